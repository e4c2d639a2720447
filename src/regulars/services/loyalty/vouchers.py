"""A reward voucher issued by hand (the console: a free coffee for a bad morning).

The voucher is written like one a stamp card completes (:func:`accrual.issue_reward`'s
shape, the same ``reward.issued`` event, so the member hears of it) under the member's account
lock. It is idempotent by ``key``: the voucher's code is derived from it, so the same form
sent twice issues one voucher.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from regulars.domain.times import wire
from regulars.services.errors import Invalid
from regulars.services.loyalty import posting
from regulars.services.loyalty.accounts import active_member_id
from regulars.services.loyalty.programs import running_program
from regulars.store.loyalty import accounts as account_store
from regulars.store.loyalty import rewards as reward_store
from regulars.store.loyalty.writer import Writer
from regulars.store.unit_of_work import UnitOfWork

MAX_VALID_DAYS = 3650


def voucher_code(key: str) -> str:
    """The code of the voucher issued under ``key`` (the same key, the same code)."""
    return "RW-H" + hashlib.sha256(key.encode()).hexdigest()[:11].upper()


def issue_by_hand(
    uow: UnitOfWork,
    member: str,
    program_code: str,
    now: datetime,
    *,
    key: str,
    name: str | None = None,
    product: str | None = None,
    valid_days: int | None = None,
) -> dict[str, Any]:
    """Issue a voucher to ``member`` in ``program_code``; the program's stamp reward by
    default (its name, product and validity), or the ``name`` given."""
    rp = running_program(uow, program_code)
    stamps = rp.program.stamps
    title = (name or "").strip() or (stamps.reward_name if stamps else "")
    if not title:
        raise Invalid("a voucher needs a name", [{"field": "name", "value": name}])
    if valid_days is None and stamps is not None:
        valid_days = stamps.reward_valid_days
    if valid_days is not None and not 1 <= valid_days <= MAX_VALID_DAYS:
        raise Invalid(f"valid days must be between 1 and {MAX_VALID_DAYS}")
    code = voucher_code(key)
    existing = reward_store.reward(uow.connection, code)
    if existing is None:
        account = account_store.lock_member(
            uow.connection, active_member_id(uow, member), rp.id, now
        )
        w = Writer(uow.connection)
        w.reward(
            code=code,
            account_id=account.id,
            name=title[:200],
            product=((product or "").strip() or (stamps.reward_product if stamps else None)),
            state="issued",
            purchase_id=None,
            issued_at=now,
            expires_at=now + timedelta(days=valid_days) if valid_days else None,
        )
        posting.event(
            w, posting.REWARD_ISSUED, account, rp, now, reward=code, name=title, by_hand=True
        )
        w.flush()
    row = reward_store.reward(uow.connection, code)
    assert row is not None
    return {
        "code": code,
        "program": program_code,
        "name": row["name"],
        "product": row["product"],
        "state": row["state"],
        "expires_at": wire(row["expires_at"]),
        "replayed": existing is not None,
    }
