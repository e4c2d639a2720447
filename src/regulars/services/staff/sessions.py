"""Signing in to the console: throttled password checks and sessions held in a cookie.

A session's token is 32 random bytes (URL-safe) handed to the browser once, in an
``HttpOnly`` cookie; only its SHA-256 is stored, so a copy of the database opens no session.
A session ends when the user signs out, when it reaches its absolute lifetime
(``REGULARS_CONSOLE_SESSION_HOURS``), when it has been idle too long
(``REGULARS_CONSOLE_IDLE_MINUTES``), or when the user is disabled or given a new password.

Failed sign-ins are counted per account and per address
(:func:`regulars.domain.staff.throttled_for`); while throttled, even the right password is
refused, so guessing gains nothing. An unknown e-mail costs the same Argon2 verification as a
known one, so timing does not tell which accounts exist.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from regulars.domain.members import email_key
from regulars.domain.staff import THROTTLE_WINDOW, Throttle, throttled_for
from regulars.services.staff.accounts import HASHER, StaffUser, password_matches, shown
from regulars.store import staff as staff_store
from regulars.store.unit_of_work import UnitOfWork

_DUMMY_HASH = HASHER.hash("not a password anyone has: " + secrets.token_hex(8))
TOUCH_EVERY = timedelta(minutes=1)
"""How stale ``last_seen_at`` may get before a request writes it again."""


class SignInRefused(Exception):
    """Sign-in failed: ``reason`` is "credentials" (wrong e-mail or password, or a disabled
    account: the same answer for all three) or "throttled" (with ``until``)."""

    def __init__(self, reason: str, until: datetime | None = None, scope: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.until = until
        self.scope = scope


@dataclass(frozen=True)
class SignedIn:
    token: str
    user: StaffUser
    expires_at: datetime


@dataclass(frozen=True)
class Session:
    id: int
    user: StaffUser
    token: str
    expires_at: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def throttle(uow: UnitOfWork, email: str, address: str, now: datetime) -> Throttle | None:
    account, place = staff_store.failed_sign_ins(
        uow.connection, email_key(email) or "", address, now - THROTTLE_WINDOW
    )
    return throttled_for(account, place, now)


def sign_in(
    uow: UnitOfWork,
    email: str,
    password: str,
    address: str,
    now: datetime,
    *,
    lifetime: timedelta,
) -> SignedIn:
    """Check the password and open a session, or raise :class:`SignInRefused`.

    The attempt is recorded either way, in this unit of work: the caller commits it even
    when sign-in fails (that is what the throttle counts)."""
    key = (email_key(email) or "")[:320]
    staff_store.forget_sign_ins(uow.connection, now - timedelta(days=1))
    refused = throttle(uow, key, address, now)
    if refused is not None:
        raise SignInRefused("throttled", refused.until, refused.reason)
    row = staff_store.user_by_email(uow.connection, key) if key else None
    matches = password_matches(row["password_hash"] if row else _DUMMY_HASH, password)
    if row is None or not matches or not row["active"]:
        staff_store.record_sign_in(uow.connection, key, address, now, False)
        raise SignInRefused("credentials")
    staff_store.record_sign_in(uow.connection, key, address, now, True)
    changes: dict[str, object] = {"last_sign_in_at": now}
    if HASHER.check_needs_rehash(row["password_hash"]):
        changes["password_hash"] = HASHER.hash(password)
    staff_store.update_user(uow.connection, int(row["id"]), changes)
    token = secrets.token_urlsafe(32)
    expires = now + lifetime
    staff_store.add_session(
        uow.connection,
        {
            "token_hash": token_hash(token),
            "staff_id": int(row["id"]),
            "created_at": now,
            "expires_at": expires,
            "last_seen_at": now,
            "address": address[:64],
        },
    )
    user = staff_store.user(uow.connection, int(row["id"]))
    assert user is not None
    return SignedIn(token, shown(user), expires)


def current(uow: UnitOfWork, token: str, now: datetime, *, idle: timedelta) -> Session | None:
    """The live session of ``token``, or None (unknown, ended, expired, idle too long, or
    its user disabled). Keeps ``last_seen_at`` fresh to the minute."""
    if not token or len(token) > 200:
        return None
    row = staff_store.session_by_hash(uow.connection, token_hash(token))
    if row is None or row["ended_at"] is not None or row["expires_at"] <= now:
        return None
    if row["last_seen_at"] + idle <= now:
        return None
    user = staff_store.user(uow.connection, int(row["staff_id"]))
    if user is None or not user["active"]:
        return None
    if now - row["last_seen_at"] >= TOUCH_EVERY:
        staff_store.touch_session(uow.connection, int(row["id"]), now)
    return Session(int(row["id"]), shown(user), token, row["expires_at"])


def sign_out(uow: UnitOfWork, token: str, now: datetime) -> None:
    row = staff_store.session_by_hash(uow.connection, token_hash(token))
    if row is not None:
        staff_store.end_session(uow.connection, int(row["id"]), now)
