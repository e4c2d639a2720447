"""Staff of the business in the console: roles, what each may do, and where they may look.

A staff user has one role and one scope. The role decides *what* they may do
(:data:`PERMISSIONS`, printed as a table in the README); the scope decides *where*: all
stores, or one store (and optionally one department of it). A store-scoped manager works
the follow-up cases of their own store and no other (403).

Sign-in throttling is a rule too (:func:`throttled_for`): too many failed attempts for one
account, or from one address, within :data:`THROTTLE_WINDOW` refuse further attempts until
the oldest failure leaves the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    """Runs the business: everything, including staff users and the audit log."""
    MANAGER = "manager"
    """Runs a store or the chain's service: members, cases, programs, export and erasure."""
    STAFF = "staff"
    """At the till or on the phone: looks members up, adjusts points, works cases."""
    ANALYST = "analyst"
    """Reads: members, cases, programs. Changes nothing."""


class Permission(StrEnum):
    VIEW_MEMBERS = "view_members"
    ADJUST_POINTS = "adjust_points"
    ISSUE_VOUCHER = "issue_voucher"
    CHANGE_CONSENT = "change_consent"
    EXPORT_MEMBER = "export_member"
    ERASE_MEMBER = "erase_member"
    VIEW_CASES = "view_cases"
    WORK_CASES = "work_cases"
    VIEW_PROGRAMS = "view_programs"
    CHANGE_PROGRAMS = "change_programs"
    MANAGE_KEYS = "manage_keys"
    MANAGE_WEBHOOKS = "manage_webhooks"
    MANAGE_STAFF = "manage_staff"
    READ_AUDIT = "read_audit"
    VIEW_CAMPAIGNS = "view_campaigns"
    CHANGE_CAMPAIGNS = "change_campaigns"
    WORK_TASKS = "work_tasks"


_READ = frozenset(
    {
        Permission.VIEW_MEMBERS,
        Permission.VIEW_CASES,
        Permission.VIEW_PROGRAMS,
        Permission.VIEW_CAMPAIGNS,
    }
)
_FRONT_DESK = _READ | {
    Permission.WORK_TASKS,
    Permission.ADJUST_POINTS,
    Permission.ISSUE_VOUCHER,
    Permission.CHANGE_CONSENT,
    Permission.WORK_CASES,
}
_MANAGER = _FRONT_DESK | {
    Permission.EXPORT_MEMBER,
    Permission.ERASE_MEMBER,
    Permission.CHANGE_PROGRAMS,
    Permission.CHANGE_CAMPAIGNS,
    Permission.MANAGE_KEYS,
    Permission.MANAGE_WEBHOOKS,
}
PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.MANAGER: _MANAGER,
    Role.STAFF: _FRONT_DESK,
    Role.ANALYST: _READ,
}
"""What each role may do. Owners alone manage staff users and read the audit log."""

CHAIN_WIDE = frozenset(
    {
        Permission.CHANGE_PROGRAMS,
        Permission.CHANGE_CAMPAIGNS,
        Permission.MANAGE_KEYS,
        Permission.MANAGE_WEBHOOKS,
        Permission.MANAGE_STAFF,
        Permission.READ_AUDIT,
    }
)
"""What acts on the whole business, so a user scoped to one store may not do it whatever
their role: a store's manager does not pause the chain's program or hold its API keys."""


def may(role: Role, permission: Permission, *, scoped: bool = False) -> bool:
    """Whether a user of ``role`` may do ``permission``; ``scoped`` users (one store) never
    do what acts on the whole chain.

    >>> may(Role.STAFF, Permission.ADJUST_POINTS), may(Role.ANALYST, Permission.ADJUST_POINTS)
    (True, False)
    >>> may(Role.MANAGER, Permission.CHANGE_PROGRAMS, scoped=True)
    False
    """
    if scoped and permission in CHAIN_WIDE:
        return False
    return permission in PERMISSIONS[role]


@dataclass(frozen=True)
class StaffScope:
    """Where a staff user may look: every store (``store`` None) or one store, optionally
    one department of the business."""

    store: str | None = None
    department: str | None = None

    @property
    def chain_wide(self) -> bool:
        return self.store is None and self.department is None

    def sees(self, store: str | None, department: str | None = None) -> bool:
        """Whether a thing of ``store`` (and ``department``) is within this scope. A thing of
        no store is seen only chain-wide.

        >>> StaffScope("S01").sees("S01"), StaffScope("S01").sees("S02"), StaffScope().sees(None)
        (True, False, True)
        """
        if self.store is not None and store != self.store:
            return False
        return self.department is None or department == self.department


def parse_role(text: str) -> Role:
    """A role from its name; ValueError naming the choices otherwise.

    >>> parse_role(" Manager ")
    <Role.MANAGER: 'manager'>
    """
    try:
        return Role(text.strip().lower())
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise ValueError(f"unknown role {text!r}: choose one of {choices}") from None


# --- Sign-in throttling ------------------------------------------------------------------

THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20


@dataclass(frozen=True)
class Throttle:
    """Why sign-in is refused now, and until when."""

    reason: str  # "account" or "address"
    until: datetime


def throttled_for(
    account_failures: list[datetime], address_failures: list[datetime], now: datetime
) -> Throttle | None:
    """The throttle in force given the failed attempts (their times, any order) for the
    account and from the address, or None. An attempt is refused once the account has
    :data:`MAX_FAILURES_PER_ACCOUNT` failures, or the address
    :data:`MAX_FAILURES_PER_ADDRESS`, within :data:`THROTTLE_WINDOW`; it may try again when
    the oldest of those failures leaves the window.

    >>> from datetime import UTC
    >>> t0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    >>> throttled_for([t0] * 5, [], t0 + timedelta(minutes=1)).until == t0 + THROTTLE_WINDOW
    True
    >>> throttled_for([t0] * 4, [], t0) is None
    True
    """
    since = now - THROTTLE_WINDOW
    for reason, failures, limit in (
        ("account", account_failures, MAX_FAILURES_PER_ACCOUNT),
        ("address", address_failures, MAX_FAILURES_PER_ADDRESS),
    ):
        recent = sorted(t for t in failures if t > since)
        if len(recent) >= limit:
            return Throttle(reason, recent[-limit] + THROTTLE_WINDOW)
    return None


MIN_PASSWORD_LENGTH = 10


def password_problem(password: str) -> str | None:
    """What is wrong with a new password, or None. Length is what matters (NIST SP 800-63B
    §5.1.1.2: at least 8 characters, no composition rules); regulars asks for 10.

    >>> password_problem("short"), password_problem("a long enough phrase")
    ('a password needs at least 10 characters', None)
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"a password needs at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > 1024:
        return "a password may have at most 1024 characters"
    return None
