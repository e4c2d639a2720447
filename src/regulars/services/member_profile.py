"""Everything the console's member page shows, in one call.

The member, their consent history and purchases, and what the access-request export holds
(:func:`regulars.services.members.export_member`: accounts, ledger, lots, vouchers, answers,
cases, messages, scores), arranged per loyalty program with the tier's privileges from the
running program's rules; the per-member analytics (stage, loyalty type, RFM…) when the
``member_analytics`` write-back is installed (``services/member_analytics.py``, built with
the campaigns), else ``None``; and only the cases the viewer's scope sees.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections import defaultdict
from datetime import datetime
from typing import Any

from regulars.domain.staff import StaffScope
from regulars.services.feedback import cases as case_service
from regulars.services.loyalty import accounts as loyalty
from regulars.services.loyalty.programs import running
from regulars.services.members import export_member
from regulars.store.unit_of_work import UnitOfWork

HISTORY_SHOWN = 50
ANALYTICS_MODULE = "regulars.services.member_analytics"


def member_analytics(uow: UnitOfWork, external_id: str) -> dict[str, Any] | None:
    """The member's stage, loyalty type, RFM scores… from the analytics write-back, or None
    while it is not installed or has not run."""
    if importlib.util.find_spec(ANALYTICS_MODULE) is None:
        return None
    module = importlib.import_module(ANALYTICS_MODULE)
    found: dict[str, Any] | None = module.member_analytics_of(uow, external_id)
    return found


def _tier(rules: Any, code: str | None) -> dict[str, Any] | None:
    if rules is None or code is None:
        return None
    tier = rules.get(code)
    if tier is None:
        return {"code": code, "name": code, "privileges": [], "discount_percent": "0"}
    return {
        "code": tier.code,
        "name": tier.name,
        "privileges": list(tier.privileges),
        "discount_percent": str(tier.discount_percent),
    }


def member_profile(
    uow: UnitOfWork, external_id: str, now: datetime, scope: StaffScope
) -> dict[str, Any]:
    exported = export_member(uow, external_id)
    programs = {rp.program.code: rp.program for rp in running(uow)}
    ledger: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for txn in reversed(exported["ledger"]):
        if len(ledger[txn["program"]]) < HISTORY_SHOWN:
            ledger[txn["program"]].append(txn)
    lots: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for lot in exported["lots"]:
        lots[lot["program"]].append(lot)
    accounts = []
    for account in loyalty.balances(uow, external_id, now)["programs"]:
        program = programs.get(account["program"])
        accounts.append(
            {
                **account,
                "name": program.name if program else account["program"],
                "kind": program.kind.value if program else None,
                "running": program is not None,
                "tier_detail": _tier(program.tiers if program else None, account["tier"]),
                "history": ledger.get(account["program"], []),
                "lots": lots.get(account["program"], []),
            }
        )
    answers: dict[str, dict[str, Any]] = {}
    for answer in exported["survey_answers"]:
        response = answers.setdefault(
            answer["response_id"],
            {
                "response_id": answer["response_id"],
                "survey": answer["survey"],
                "collected_at": answer["collected_at"],
                "items": [],
            },
        )
        response["items"].append(answer)
    cases = []
    for case in exported["feedback_cases"]:
        full = case_service.get_case(uow, int(case["case_id"]))
        if scope.sees(full["store"], full["department"]):
            cases.append(full)
    return {
        "member": exported["member"],
        "consent_history": exported["consent_history"],
        "purchases": list(reversed(exported["purchases"]))[:20],
        "purchase_count": len(exported["purchases"]),
        "accounts": accounts,
        "vouchers": exported["vouchers"],
        "scores": exported["scores"][-1] if exported["scores"] else None,
        "analytics": member_analytics(uow, external_id),
        "answers": sorted(answers.values(), key=lambda a: a["collected_at"], reverse=True),
        "cases": cases,
        "messages": list(reversed(exported["messages"]))[:30],
        "programs": [
            {"code": p.code, "name": p.name, "kind": p.kind.value, "stamps": p.stamps is not None}
            for p in programs.values()
        ],
    }
