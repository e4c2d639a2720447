"""The proof of erasure: after ``DELETE /v1/members/{id}``, no text, JSON or date column of
any row of any table of the schema holds anything of the member, while the books (purchase
amounts, the points ledger) are exactly what they were."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Date, String, Text, func, select
from tests.integration.privacy.conftest import BIRTH, EXTERNAL_ID, MARKERS, Business

from regulars.domain.member_names import name_grams
from regulars.store import erasure
from regulars.store.tables import (
    audit_log,
    ledger_entries,
    ledger_transactions,
    loyalty_accounts,
    member_name_grams,
    metadata,
    points_lots,
    purchase_lines,
    purchases,
)


def traces(business: Business) -> dict[str, set[str]]:
    """Every (table.column) where a marker of the member is found, by marker."""
    found: dict[str, set[str]] = {}
    birth = date.fromisoformat(BIRTH)
    with business.app.engine.connect() as connection:
        for table in metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | Date)]
            if not columns:
                continue
            for row in connection.execute(select(*columns)).mappings():
                for column in columns:
                    value = row[column.name]
                    where = f"{table.name}.{column.name}"
                    if isinstance(value, date) and value == birth:
                        found.setdefault(BIRTH, set()).add(where)
                    elif isinstance(value, str):
                        for marker in MARKERS:
                            if marker in value:
                                found.setdefault(marker, set()).add(where)
    return found


def books(business: Business) -> dict[str, Any]:
    """The sums the business's accounts rest on."""
    with business.app.engine.connect() as connection:

        def total(column: Any) -> int:
            return int(connection.execute(select(func.coalesce(func.sum(column), 0))).scalar_one())

        return {
            "purchases": total(purchases.c.total_amount),
            "lines": total(purchase_lines.c.amount),
            "transactions": total(ledger_transactions.c.points),
            "entries": total(ledger_entries.c.points),
            "available": total(loyalty_accounts.c.available),
            "pending": total(loyalty_accounts.c.pending),
            "lots": total(points_lots.c.remaining),
            "purchase_rows": connection.execute(
                select(func.count()).select_from(purchases)
            ).scalar_one(),
        }


def test_erasure_leaves_nothing_of_the_member_in_any_table(business: Business) -> None:
    before = traces(business)
    # The set-up really put the member everywhere the walk looks.
    everywhere = set().union(*before.values())
    for where in (
        "members.external_id",
        "members.name",
        "members.email",
        "members.phone",
        "members.birth_date",
        "members.region",
        "survey_answers.text",
        "feedback_case_notes.text",
        "ledger_transactions.reason",
        "ledger_transactions.detail",
        "idempotency_keys.response_body",
        "audit_log.target",
        "audit_log.after_json",
        "subscription_exit_answers.comment",
    ):
        assert where in everywhere, (where, before)
    with business.app.engine.connect() as connection:
        grams = connection.execute(select(func.count()).select_from(member_name_grams))
        assert grams.scalar_one() > 0  # the name is indexed for search
    kept = books(business)

    erased = business.client.delete(f"/v1/members/{EXTERNAL_ID}", headers=business.admin)
    assert erased.status_code == 204

    assert traces(business) == {}
    assert books(business) == kept
    with business.app.engine.connect() as connection:
        left = connection.execute(select(member_name_grams.c.gram)).scalars().all()
        actions = connection.execute(select(audit_log.c.action)).scalars().all()
    assert set(left) == set(name_grams("Friend"))  # only the other member's name is found
    assert actions == ["points.adjust", "consent.change"]  # who did what stays, about no one
    # Erasing is not deleting the other members' data.
    friend = business.client.get("/v1/members/FRIEND-1", headers=business.pos).json()
    assert friend["name"] == "Friend"
    assert business.client.get("/v1/purchases/P3", headers=business.pos).status_code == 200


def test_every_table_has_a_stated_fate_on_erasure() -> None:
    """A new table is placed by store/erasure.py: erased, kept for the books, or holding
    nothing personal (then the walk above checks the claim)."""
    stated = [
        erasure.ERASED_OR_PSEUDONYMISED,
        erasure.KEPT_FOR_THE_BOOKS,
        erasure.NOTHING_PERSONAL,
    ]
    assert sum(len(group) for group in stated) == len(set().union(*stated))
    assert set().union(*stated) == {t.name for t in metadata.sorted_tables}
