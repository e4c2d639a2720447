"""Checked plans, contracts, plan changes and bills into the store, a batch at a time.

Here the rules that need the store are judged, each failure a row error: the member or
contract a row names must be there; a contract never changes hands; a plan change falls in
its contract's life; a bill's month is not before its contract's first. Plans named for the
first time are registered (named after their code, at the first fee given for them).

Contracts are written by external id: new ones added, changed ones updated, the same ones
left alone, so a re-import changes nothing. A cancellation is not undone by a row that gives
none (a stale file): a blank ``cancelled_on`` keeps a stored cancellation with its reason and
competitor. Plan changes and bills are only added (a re-import skips them).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd

from regulars.domain.subscriptions import contracts as spec
from regulars.domain.subscriptions.tenure import month_number
from regulars.services.imports.checks import RowError
from regulars.services.imports.report import ImportReport
from regulars.store.subscriptions import contracts as contract_store
from regulars.store.subscriptions import history, plans
from regulars.store.unit_of_work import UnitOfWork

CONTRACT_VALUES = ("monthly_fee", "started_on", "committed_until", "cancelled_on")
CONTRACT_TEXTS = ("cancel_reason", "competitor", "channel", "device")
KEPT_ON_BLANK = ("cancelled_on", "cancel_reason", "competitor")


def _records(batch: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r.items()} for r in batch.to_dict("records")]


def _reject(report: ImportReport, record: dict[str, Any], field: str, reason: str) -> None:
    value = record.get(f"_{field}_as_written", record.get(field))
    shown = None if value is None else value.isoformat() if isinstance(value, date) else str(value)
    report.errors.append(RowError(int(record["_row"]), field, shown, reason))


def write_plans(uow: UnitOfWork, batch: pd.DataFrame, report: ImportReport) -> None:
    records = [{k: v for k, v in r.items() if k != "_row"} for r in _records(batch)]
    added, updated = plans.upsert(uow.connection, records)
    report.added += added
    report.updated += updated
    report.already_present += len(records) - added - updated


def write_contracts(
    uow: UnitOfWork, batch: pd.DataFrame, now: datetime, report: ImportReport
) -> list[str]:
    """Write one checked batch of contracts; return the ids of those it cancelled (newly
    cancelled, or added already cancelled)."""
    records = _records(batch)
    members = uow.members.ids_by_external_id({r["member_id"] for r in records})
    stored = contract_store.stored(uow.connection, (r["subscription_id"] for r in records))
    kept: list[dict[str, Any]] = []
    for record in records:
        member = members.get(record["member_id"])
        before = stored.get(record["subscription_id"])
        if member is None:
            _reject(report, record, "member_id", spec.UNKNOWN_MEMBER)
            continue
        if before is not None and before["member_id"] != member:
            _reject(report, record, "member_id", spec.OTHER_MEMBER)
            continue
        record["member_id"] = member
        if before is not None and record["cancelled_on"] is None:
            for name in KEPT_ON_BLANK:
                record[name] = record[name] if record[name] is not None else before[name]
        ends = record["cancelled_on"]
        if ends is not None and ends < record["started_on"]:
            _reject(report, record, "started_on", f"is after the contract's cancellation on {ends}")
            continue
        kept.append(record)
    fees: dict[str, int] = {}
    for record in kept:
        fees.setdefault(record["plan"], int(record["monthly_fee"]))
    plan_ids = plans.ensure(uow.connection, fees) if fees else {}
    new, changed, cancelled = [], [], []
    for record in kept:
        row = {
            "external_id": record["subscription_id"],
            "member_id": record["member_id"],
            "plan_id": plan_ids[record["plan"]],
            **{name: record[name] for name in CONTRACT_VALUES + CONTRACT_TEXTS},
        }
        before = stored.get(record["subscription_id"])
        if before is None:
            new.append(row)
        elif any(before[f] != row[f] for f in contract_store.FIELDS):
            changed.append(row)
        if row["cancelled_on"] is not None and (before is None or before["cancelled_on"] is None):
            cancelled.append(row["external_id"])
    contract_store.add(uow.connection, new, now)
    contract_store.change(uow.connection, changed, now)
    report.added += len(new)
    report.updated += len(changed)
    report.already_present += len(kept) - len(new) - len(changed)
    return cancelled


def _contracts(
    uow: UnitOfWork, records: list[dict[str, Any]], report: ImportReport
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """The records whose contract is stored (the others rejected), and the contracts."""
    stored = contract_store.stored(uow.connection, {r["subscription_id"] for r in records})
    known = []
    for record in records:
        if record["subscription_id"] in stored:
            known.append(record)
        else:
            _reject(report, record, "subscription_id", spec.UNKNOWN_CONTRACT)
    return known, stored


def write_changes(uow: UnitOfWork, batch: pd.DataFrame, report: ImportReport) -> None:
    records, stored = _contracts(uow, _records(batch), report)
    kept = []
    for record in records:
        contract = stored[record["subscription_id"]]
        day = record["changed_on"]
        if day < contract["started_on"]:
            _reject(report, record, "changed_on", spec.BEFORE_START)
        elif contract["cancelled_on"] is not None and day > contract["cancelled_on"]:
            _reject(report, record, "changed_on", spec.after_cancellation(contract["cancelled_on"]))
        else:
            kept.append(record)
    if not kept:
        return
    fees: dict[str, int] = {}
    for record in kept:
        fees.setdefault(record["from_plan"], int(record["fee_before"]))
        fees.setdefault(record["to_plan"], int(record["fee_after"]))
    plan_ids = plans.ensure(uow.connection, fees)
    added = history.add_changes(
        uow.connection,
        {
            "external_id": [r["change_id"] for r in kept],
            "subscription_id": [stored[r["subscription_id"]]["id"] for r in kept],
            "changed_on": [r["changed_on"].isoformat() for r in kept],
            "from_plan_id": [plan_ids[r["from_plan"]] for r in kept],
            "to_plan_id": [plan_ids[r["to_plan"]] for r in kept],
            "fee_before": [int(r["fee_before"]) for r in kept],
            "fee_after": [int(r["fee_after"]) for r in kept],
        },
    )
    report.added += added
    report.already_present += len(kept) - added


def write_bills(uow: UnitOfWork, batch: pd.DataFrame, report: ImportReport) -> None:
    records, stored = _contracts(uow, _records(batch), report)
    named = {r["member_id"] for r in records if r["member_id"] is not None}
    members = uow.members.ids_by_external_id(named) if named else {}
    kept = []
    for record in records:
        contract = stored[record["subscription_id"]]
        given = record["member_id"]
        if given is not None and members.get(given) != contract["member_id"]:
            _reject(report, record, "member_id", "is not the member of this contract")
        elif month_number(record["month"]) < month_number(contract["started_on"]):
            _reject(report, record, "month", spec.before_start_month(contract["started_on"]))
        else:
            kept.append(record)
    if not kept:
        return
    added = history.add_bills(
        uow.connection,
        {
            "subscription_id": [stored[r["subscription_id"]]["id"] for r in kept],
            "month": [r["month"].isoformat() for r in kept],
            "amount": [int(r["amount"]) for r in kept],
            **{name: [r[name] for r in kept] for name in spec.BILL_USAGE},
        },
    )
    report.added += added
    report.already_present += len(kept) - added
