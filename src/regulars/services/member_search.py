"""Finding a member from one search box: the console's (and a till's) lookup.

Whatever is typed is read the way a person means it (:func:`read_query`): an e-mail address
(it has ``@``); a phone number in any Korean format (``010-1234-5678``, ``01012345678``,
``+82 10 1234 5678``: digits and ``+ - ( ) .`` and spaces, at least nine digits) — which may
also be a card number or a member id printed in digits; otherwise a member id, a card number
or part of a name, Korean included ("민준" finds 김민준). Each reading is an indexed lookup:
``store.members.find`` for phone, e-mail, card and id (migration 0010), the name bigrams of
``store.member_names`` for names (migration 0011). Erased members are never found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from regulars.domain.member_names import MIN_QUERY, name_key
from regulars.domain.members import card_key, email_key, phone_key
from regulars.store import member_names
from regulars.store.unit_of_work import UnitOfWork

PHONE_LIKE = re.compile(r"\+?[0-9 ().\-]+")
LIMIT = 20


@dataclass(frozen=True)
class Found:
    """What the search understood (``readings``: email, phone, card, member_id, name) and
    the members it found, each once, in that order."""

    query: str
    readings: tuple[str, ...]
    members: list[dict[str, Any]] = field(default_factory=list)
    too_short: bool = False


def read_query(text: str) -> tuple[str, ...]:
    """The ways ``text`` may be meant, most specific first.

    >>> read_query("010-1234-5678"), read_query("Mina@Example.com")
    (('phone', 'card', 'member_id'), ('email',))
    >>> read_query("민준"), read_query("M-1001")
    (('member_id', 'card', 'name'), ('member_id', 'card', 'name'))
    """
    query = text.strip()
    if not query:
        return ()
    if "@" in query:
        return ("email",)
    digits = sum(c.isdigit() for c in query)
    if PHONE_LIKE.fullmatch(query) and digits >= 9 and phone_key(query):
        return ("phone", "card", "member_id")
    return ("member_id", "card", "name")


def _shown(row: Any, matched: str) -> dict[str, Any]:
    return {
        "member_id": row["external_id"],
        "name": row["name"],
        "phone": row["phone"],
        "email": row["email"],
        "card_id": row["card_id"],
        "segment": row["segment"],
        "locale": row["locale"],
        "matched": matched,
    }


_CRITERION = {"email": "email", "phone": "phone", "card": "card", "member_id": "external_id"}


def _key(reading: str, query: str) -> str | None:
    if reading == "email":
        return email_key(query)
    if reading == "phone":
        return phone_key(query)
    if reading == "card":
        return card_key(query)
    return query


def search_members(uow: UnitOfWork, text: str, limit: int = LIMIT) -> Found:
    """The members ``text`` finds (at most ``limit``)."""
    query = text.strip()[:200]
    readings = read_query(query)
    found: dict[str, dict[str, Any]] = {}
    too_short = False
    for reading in readings:
        if len(found) >= limit:
            break
        rows: list[Any]
        if reading == "name":
            if len(name_key(query)) < MIN_QUERY:
                too_short = True
                continue
            rows = member_names.find_by_name(uow.connection, query, limit)
        else:
            key = _key(reading, query)
            if key is None:
                continue
            rows = uow.members.find(**{_CRITERION[reading]: key}, limit=limit)
        for row in rows:
            found.setdefault(row["external_id"], _shown(row, reading))
    return Found(query, readings, list(found.values())[:limit], too_short and not found)
