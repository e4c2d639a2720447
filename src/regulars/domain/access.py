"""Who may do what through the API: scopes carried by API keys.

- ``admin``: everything, including keys and personal-data export and erasure;
- ``pos``: what a till or web shop needs: write purchases and members, read a member,
  quote and redeem;
- ``analyst``: read data and analytics, write nothing.
"""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    ADMIN = "admin"
    POS = "pos"
    ANALYST = "analyst"


def parse_scopes(text: str) -> frozenset[Scope]:
    """Parse ``"pos,analyst"``; raise ValueError naming an unknown scope.

    >>> sorted(parse_scopes("pos, analyst"))
    [<Scope.ANALYST: 'analyst'>, <Scope.POS: 'pos'>]
    """
    names = [part.strip().lower() for part in text.split(",") if part.strip()]
    if not names:
        raise ValueError("at least one scope is required (admin, pos, analyst)")
    unknown = [n for n in names if n not in Scope.__members__.values()]
    if unknown:
        raise ValueError(f"unknown scope {unknown[0]!r}: choose from admin, pos, analyst")
    return frozenset(Scope(n) for n in names)


def allows(granted: frozenset[Scope], needed: Scope) -> bool:
    """Admin may do anything; otherwise the exact scope is needed."""
    return Scope.ADMIN in granted or needed in granted
