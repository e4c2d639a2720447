"""Members found by part of their name: the bigram table kept in step with ``members.name``.

Every member write (:func:`regulars.store.members.upsert`) calls :func:`index_names` for the
rows it added or whose name changed; erasure deletes the member's grams
(:mod:`regulars.store.erasure`). :func:`find_by_name` takes the members holding every bigram
of the query (``domain.member_names.query_grams``) and keeps those whose name holds the query
itself, in member id order. On PostgreSQL the bigram lookup is an index range scan of the
primary key ``(gram, member_id)``: a common Korean given name (민준) at a million members is
a few thousand rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, RowMapping, delete, select

from regulars.domain.member_names import name_grams, name_key, query_grams
from regulars.store.bulk import among, ids_by_key
from regulars.store.tables import member_name_grams, members

CHUNK = 5_000


def index_names(connection: Connection, named: Sequence[tuple[str, str | None]]) -> None:
    """Rewrite the grams of these members, given as ``(external_id, name)``."""
    if not named:
        return
    ids = ids_by_key(connection, members, "external_id", [e for e, _ in named])
    by_id = {ids[e]: name for e, name in named if e in ids}
    wanted = sorted(by_id)
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        connection.execute(
            delete(member_name_grams).where(member_name_grams.c.member_id.in_(chunk))
        )
        rows = [
            {"gram": gram, "member_id": member_id}
            for member_id in chunk
            for gram in sorted(name_grams(by_id[member_id]))
        ]
        if rows:
            connection.execute(member_name_grams.insert(), rows)


def forget(connection: Connection, member_ids: Iterable[int]) -> None:
    """Delete the grams of these members (their name was erased)."""
    wanted = sorted({int(m) for m in member_ids})
    if wanted:
        connection.execute(
            delete(member_name_grams).where(member_name_grams.c.member_id.in_(wanted))
        )


def find_by_name(connection: Connection, query: str, limit: int = 20) -> list[RowMapping]:
    """Members (not erased) whose name contains ``query`` (as ``name_key`` folds both), by
    member id; empty when the query is shorter than ``member_names.MIN_QUERY``.

    The first bigram's members are read in id order straight off the primary key, each
    probed for the other bigrams (an index lookup each), so the query stops as soon as a
    page is full instead of collecting every holder of a common bigram."""
    grams = sorted(query_grams(query))
    if not grams:
        return []
    first, *others = grams
    g = member_name_grams.alias("g")
    holders = select(g.c.member_id).where(g.c.gram == first)
    for gram in others:
        other = member_name_grams.alias()
        holders = holders.where(
            select(other.c.member_id)
            .where(other.c.gram == gram, other.c.member_id == g.c.member_id)
            .exists()
        )
    wanted = name_key(query)
    found: list[RowMapping] = []
    page_size = max(limit * 4, 50)
    after = 0
    # The bigrams narrow the members down; the name must still hold the query in one piece
    # ("민준김민" holds both bigrams of "김민준"). Read pages until enough are found.
    while len(found) < limit:
        ids = [
            int(i)
            for i in connection.execute(
                holders.where(g.c.member_id > after).order_by(g.c.member_id).limit(page_size)
            ).scalars()
        ]
        if not ids:
            break
        rows = connection.execute(
            select(members)
            .where(among(connection, members.c.id, ids), members.c.erased_at.is_(None))
            .order_by(members.c.id)
        ).mappings()
        found.extend(r for r in rows if wanted in name_key(r["name"]))
        if len(ids) < page_size:
            break
        after = ids[-1]
    return found[:limit]
