"""How a member is found by part of their name, Korean included ("민준" finds 김민준).

A name is cut into overlapping pairs of characters (bigrams) after :func:`name_key`: the
store keeps one row per (bigram, member) beside the member, written with every member write
and erased with the member. A query of two or more characters is cut the same way; the
members holding every one of its bigrams are the candidates, and the name is then checked
to contain the query itself. Two characters because a Korean given name is two syllables:
a trigram index (PostgreSQL's pg_trgm) extracts nothing from a two-syllable ``LIKE``
pattern and scans the whole index.
"""

from __future__ import annotations

import unicodedata

MIN_QUERY = 2
"""The shortest part of a name that is searched (one character matches half the members)."""


def name_key(name: str | None) -> str:
    """A name as it is searched: NFKC (full-width letters and compatibility jamo folded),
    case-folded, without spaces.

    >>> name_key(" Kim  Min-Jun "), name_key("김 민준")
    ('kimmin-jun', '김민준')
    """
    if not name:
        return ""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(folded.split())


def name_grams(name: str | None) -> set[str]:
    """The bigrams a stored name is found by (a one-character name is its own gram).

    >>> sorted(name_grams("김민준"))
    ['김민', '민준']
    >>> sorted(name_grams("Jane")), name_grams("이"), name_grams(None)
    (['an', 'ja', 'ne'], {'이'}, set())
    """
    key = name_key(name)
    if len(key) == 1:
        return {key}
    return {key[i : i + 2] for i in range(len(key) - 1)}


def query_grams(query: str) -> set[str]:
    """The bigrams every match of ``query`` holds; empty when the query is too short.

    >>> sorted(query_grams("민준")), query_grams("민")
    (['민준'], set())
    """
    key = name_key(query)
    if len(key) < MIN_QUERY:
        return set()
    return {key[i : i + 2] for i in range(len(key) - 1)}
