"""Who is owed a bonus: members (signup, birthday) and referrals — who brought whom, and
whether the referral bonus was paid."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, select, update

from regulars.store.tables import loyalty_referrals, members, purchases


def members_for_bonuses(connection: Connection) -> list[tuple[int, date | None, datetime | None]]:
    """Every member's ``(id, birth date, erased at)``."""
    return [
        (int(m), birth, erased)
        for m, birth, erased in connection.execute(
            select(members.c.id, members.c.birth_date, members.c.erased_at)
        )
    ]


def referrer_of(connection: Connection, referee_id: int) -> int | None:
    """Who referred this member (None: nobody)."""
    found = connection.execute(
        select(loyalty_referrals.c.referrer_id).where(loyalty_referrals.c.referee_id == referee_id)
    ).scalar_one_or_none()
    return None if found is None else int(found)


def add_referral(connection: Connection, referrer_id: int, referee_id: int, now: datetime) -> None:
    connection.execute(
        loyalty_referrals.insert().values(
            referrer_id=referrer_id, referee_id=referee_id, created_at=now
        )
    )


def referrals_due(connection: Connection) -> list[tuple[int, int, int]]:
    """``(id, referrer_id, referee_id)`` of the referrals not rewarded yet whose referee has
    bought."""
    rows = connection.execute(
        select(
            loyalty_referrals.c.id,
            loyalty_referrals.c.referrer_id,
            loyalty_referrals.c.referee_id,
        ).where(
            loyalty_referrals.c.rewarded_at.is_(None),
            select(purchases.c.id)
            .where(
                purchases.c.member_id == loyalty_referrals.c.referee_id,
                purchases.c.kind == "sale",
            )
            .exists(),
        )
    )
    return [(int(i), int(referrer), int(referee)) for i, referrer, referee in rows]


def mark_rewarded(connection: Connection, referral_ids: list[int], when: datetime) -> None:
    connection.execute(
        update(loyalty_referrals)
        .where(loyalty_referrals.c.id.in_(referral_ids))
        .values(rewarded_at=when)
    )
