"""Staff accounts: created (the first owner on the command line), listed, changed, disabled.

Passwords are hashed with Argon2id (argon2-cffi's defaults, the RFC 9106 second recommended
profile: 3 passes over 64 MiB); the hash is the only thing stored. Every change made by
someone is written to the audit log by the caller's actor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from regulars.domain.members import email_key
from regulars.domain.staff import (
    Permission,
    Role,
    StaffScope,
    may,
    parse_role,
    password_problem,
)
from regulars.services import audit
from regulars.services.errors import Conflict, Invalid, NotFound
from regulars.store import staff as staff_store
from regulars.store.unit_of_work import UnitOfWork

HASHER = PasswordHasher()
LANGUAGES = ("ko", "en")


@dataclass(frozen=True)
class StaffUser:
    """A staff user as the console and the CLI see them (never the password hash)."""

    id: int
    email: str
    name: str | None
    role: Role
    scope: StaffScope
    language: str
    active: bool
    created_at: datetime
    last_sign_in_at: datetime | None

    def may(self, permission: Permission) -> bool:
        return self.active and may(self.role, permission, scoped=not self.scope.chain_wide)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "email": self.email,
            "name": self.name,
            "role": self.role.value,
            "store": self.scope.store,
            "department": self.scope.department,
            "language": self.language,
            "active": self.active,
        }


def shown(row: dict[str, Any]) -> StaffUser:
    return StaffUser(
        id=int(row["id"]),
        email=row["email"],
        name=row["name"],
        role=Role(row["role"]),
        scope=StaffScope(row["store"], row["department"]),
        language=row["language"],
        active=bool(row["active"]),
        created_at=row["created_at"],
        last_sign_in_at=row["last_sign_in_at"],
    )


def hash_password(password: str) -> str:
    problem = password_problem(password)
    if problem:
        raise Invalid(problem, [{"field": "password", "reason": problem}])
    return HASHER.hash(password)


def password_matches(stored_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _email(text: str) -> str:
    key = email_key(text)
    if key is None or "@" not in key or len(key) > 320 or any(c.isspace() for c in key):
        raise Invalid(f"{text!r} is not an e-mail address", [{"field": "email", "value": text}])
    return key


def _text(value: str | None, limit: int = 64) -> str | None:
    if value is None or not value.strip():
        return None
    return value.strip()[:limit]


def add_staff(
    uow: UnitOfWork,
    email: str,
    role: str,
    password: str,
    now: datetime,
    actor: audit.Actor,
    *,
    name: str | None = None,
    store: str | None = None,
    department: str | None = None,
    language: str = "ko",
) -> StaffUser:
    """Create a staff user; :class:`Conflict` when the e-mail is taken."""
    address = _email(email)
    try:
        chosen = parse_role(role)
    except ValueError as error:
        raise Invalid(str(error), [{"field": "role", "value": role}]) from None
    if language not in LANGUAGES:
        raise Invalid(f"language must be ko or en, not {language!r}")
    if staff_store.user_by_email(uow.connection, address) is not None:
        raise Conflict(f"a staff user with e-mail {address} already exists")
    values = {
        "email": address,
        "name": _text(name, 200),
        "role": chosen.value,
        "store": _text(store),
        "department": _text(department),
        "language": language,
        "password_hash": hash_password(password),
        "active": True,
        "created_at": now,
        "updated_at": now,
    }
    staff_id = staff_store.add_user(uow.connection, values)
    user = get_staff(uow, staff_id)
    audit.record(
        uow, actor, "staff.add", "staff", address, now, store=user.scope.store, after=user.as_dict()
    )
    return user


def get_staff(uow: UnitOfWork, staff_id: int) -> StaffUser:
    row = staff_store.user(uow.connection, staff_id)
    if row is None:
        raise NotFound(f"no staff user {staff_id}")
    return shown(row)


def find_staff(uow: UnitOfWork, email: str) -> StaffUser:
    row = staff_store.user_by_email(uow.connection, _email(email))
    if row is None:
        raise NotFound(f"no staff user with e-mail {email!r}")
    return shown(row)


def list_staff(uow: UnitOfWork) -> list[StaffUser]:
    return [shown(r) for r in staff_store.users(uow.connection)]


def any_staff(uow: UnitOfWork) -> bool:
    return staff_store.count_users(uow.connection) > 0


def change_staff(
    uow: UnitOfWork,
    staff_id: int,
    now: datetime,
    actor: audit.Actor,
    *,
    role: str | None = None,
    store: str | None = None,
    department: str | None = None,
    active: bool | None = None,
    language: str | None = None,
    password: str | None = None,
) -> StaffUser:
    """Change a user's role, scope (``""`` for all stores), language, password or whether
    they may sign in; a disabled user's sessions end at once. The last active owner cannot
    be demoted or disabled (nobody could manage staff any more)."""
    before = get_staff(uow, staff_id)
    changes: dict[str, Any] = {"updated_at": now}
    if role is not None:
        try:
            changes["role"] = parse_role(role).value
        except ValueError as error:
            raise Invalid(str(error), [{"field": "role", "value": role}]) from None
    if store is not None:
        changes["store"] = _text(store)
    if department is not None:
        changes["department"] = _text(department)
    if language is not None:
        if language not in LANGUAGES:
            raise Invalid(f"language must be ko or en, not {language!r}")
        changes["language"] = language
    if active is not None:
        changes["active"] = active
    if password is not None:
        changes["password_hash"] = hash_password(password)
    owner_after = changes.get("role", before.role.value) == Role.OWNER.value and changes.get(
        "active", before.active
    )
    if before.role is Role.OWNER and before.active and not owner_after:
        others = [
            u for u in list_staff(uow) if u.role is Role.OWNER and u.active and u.id != staff_id
        ]
        if not others:
            raise Conflict("this is the last active owner: make someone else owner first")
    staff_store.update_user(uow.connection, staff_id, changes)
    if changes.get("active") is False or password is not None:
        staff_store.end_sessions_of(uow.connection, staff_id, now)
    after = get_staff(uow, staff_id)
    if after != before or password is not None:
        shown_after = after.as_dict() | ({"password": "changed"} if password else {})
        audit.record(
            uow,
            actor,
            "staff.change",
            "staff",
            after.email,
            now,
            store=after.scope.store,
            before=before.as_dict(),
            after=shown_after,
        )
    return after
