"""The exit survey in the store: which contract an invitation asks about, and the answers
(one per response: reason, competitor, comment)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, select, update

from regulars.domain.times import as_utc
from regulars.store.dialect import upsert_insert
from regulars.store.tables import (
    subscription_exit_answers,
    subscription_exit_invitations,
    subscriptions,
    surveys,
)


def link_invitation(connection: Connection, invitation_id: int, subscription_id: int) -> None:
    """Remember that the invitation asks about the contract (once)."""
    connection.execute(
        upsert_insert(connection, subscription_exit_invitations)
        .values(invitation_id=invitation_id, subscription_id=subscription_id)
        .on_conflict_do_nothing()
    )


def contract_of_invitation(connection: Connection, invitation_id: int) -> int | None:
    """The contract an exit invitation asks about (None: not an exit invitation)."""
    found = connection.execute(
        select(subscription_exit_invitations.c.subscription_id).where(
            subscription_exit_invitations.c.invitation_id == invitation_id
        )
    ).scalar()
    return None if found is None else int(found)


def add_answer(connection: Connection, values: dict[str, Any]) -> bool:
    """Store one exit answer; False when its ``response_id`` is already stored."""
    statement = (
        upsert_insert(connection, subscription_exit_answers)
        .values(**{k: as_utc(v) if isinstance(v, datetime) else v for k, v in values.items()})
        .on_conflict_do_nothing(index_elements=[subscription_exit_answers.c.response_id])
        .returning(subscription_exit_answers.c.id)
    )
    return connection.execute(statement).scalar() is not None


def answers_of(connection: Connection, subscription_id: int) -> list[RowMapping]:
    """A contract's exit answers, oldest first, with their survey's code."""
    a = subscription_exit_answers
    query = (
        select(
            a.c.response_id,
            surveys.c.code.label("survey"),
            a.c.reason,
            a.c.competitor,
            a.c.comment,
            a.c.language,
            a.c.collected_at,
            a.c.source,
        )
        .outerjoin(surveys, surveys.c.id == a.c.survey_id)
        .where(a.c.subscription_id == subscription_id)
        .order_by(a.c.collected_at, a.c.id)
    )
    return list(connection.execute(query).mappings())


def _of_member(member_id: int) -> Any:
    return select(subscriptions.c.id).where(subscriptions.c.member_id == member_id)


def erase_comments(connection: Connection, member_id: int) -> None:
    """Erasure: the comments of the member's exit answers go (reason and competitor stay
    with the contract, which is kept for the books under the member's pseudonym)."""
    connection.execute(
        update(subscription_exit_answers)
        .where(subscription_exit_answers.c.subscription_id.in_(_of_member(member_id)))
        .values(comment=None)
    )


def remove_old_comments(connection: Connection, before: datetime) -> int:
    """Retention: clear the comments of exit answers collected before ``before``."""
    a = subscription_exit_answers
    return int(
        connection.execute(
            update(a)
            .where(a.c.collected_at < before, a.c.comment.is_not(None))
            .values(comment=None)
        ).rowcount
    )
