"""Purchase use cases for the API: record purchases through the domain's rules, read back.

A request's purchases become one record per line (:func:`lines_of`), and one of the two
runners of the rules in :mod:`regulars.domain.purchases` checks and writes them: the
row-by-row one for a small request it can read (:func:`regulars.services.purchases.rows.
readable`), the vectorised one for anything else. Both give the same report and rows.

Purchases recorded here earn in the same transaction (``live``: as they happen, so a sale
may also lift the member's tier at once). :func:`record_sale` is the till's one purchase: it
answers with what the sale did in every program (:mod:`regulars.services.purchases.
receipts`), built from what was just posted, without reading it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from regulars.domain.loyalty.earning import Basket, BasketLine
from regulars.domain.purchases import HEAD, LINE
from regulars.domain.times import as_utc
from regulars.services.errors import NotFound
from regulars.services.imports.report import ImportReport
from regulars.services.loyalty import accrual as loyalty_accrual
from regulars.services.loyalty.effects import Effect, Effects, Held, posted_by
from regulars.services.loyalty.programs import running
from regulars.services.purchases import batch, receipts, rows
from regulars.store import erasure as erasure_store
from regulars.store import purchases as purchase_store
from regulars.store.loyalty import accounts as account_store
from regulars.store.loyalty import accruals as accrual_store
from regulars.store.loyalty import measures
from regulars.store.unit_of_work import UnitOfWork


def lines_of(records: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[int]]:
    """Purchases given as ``{head fields..., "lines": [{...}, ...]}`` as one record per line
    (a purchase without lines as one empty line, which the checks reject), and for each
    line the 1-based index of the purchase it came from. A line without a number is
    numbered by its place in its purchase."""
    lines: list[dict[str, Any]] = []
    owner: list[int] = []
    for index, record in enumerate(records, start=1):
        head = {f: record.get(f) for f in HEAD}
        for position, line in enumerate(record.get("lines") or [{}], start=1):
            given = {f: line.get(f) for f in LINE}
            lines.append({**head, **given, "line_no": given["line_no"] or position})
            owner.append(index)
    return lines, owner


def record_purchases(
    uow: UnitOfWork,
    records: list[dict[str, Any]],
    timezone: str,
    *,
    effects: Effects | None = None,
    kept: list[dict[str, Any]] | None = None,
    spend: dict[int, int] | None = None,
) -> tuple[ImportReport, list[int]]:
    """Write purchases given as ``{head fields..., "lines": [{...}, ...]}`` and accrue them.

    Returns the report (errors numbered by line row; ``added_ids`` the new purchases' ids)
    and, for each row, the 1-based index of the purchase it came from, so the caller can
    say which purchase an error belongs to. ``effects`` collects what each purchase posted;
    ``kept`` the good lines as written (when the row runner took them); ``spend`` each
    discount card's cumulative spend for the member of a single sale.
    """
    lines, owner = lines_of(records)
    report = ImportReport(kind="purchases", rows=len(lines), added_ids={})
    written: list[dict[str, Any]] = [] if kept is None else kept
    record_lines(uow, lines, timezone, report, written)
    added = report.added_ids or {}
    known = [r["purchase_id"] for r in records if r.get("purchase_id") not in added]
    ids = list(added.values())
    if any(known):  # sent before: accrued then, or now if they were imported unaccrued
        ids += accrual_store.purchase_ids(uow.connection, [k for k in known if k])
    # Purchases recorded through the API earn in the same transaction (idempotent per purchase).
    loyalty_accrual.accrue_ids(
        uow,
        sorted(set(ids)),
        effects=effects,
        live=True,
        baskets=_baskets(written, added),
        spend=spend,
    )
    return report, owner


def _baskets(written: list[dict[str, Any]], added: dict[str, int]) -> dict[int, Basket]:
    """The baskets of the sales just written (the accrual need not read them back)."""
    lines: dict[int, list[BasketLine]] = {}
    heads: dict[int, dict[str, Any]] = {}
    for line in written:
        pid = added.get(line["purchase_id"])
        if pid is None or line["kind"] != "sale":
            continue
        heads.setdefault(pid, line)
        lines.setdefault(pid, []).append(
            BasketLine(line["product"], line["category"], line["quantity"], line["amount"])
        )
    return {
        pid: Basket(
            tuple(lines[pid]),
            at=as_utc(datetime.fromisoformat(head["occurred_at"])),
            store=head["store"],
            channel=head["channel"],
        )
        for pid, head in heads.items()
    }


def record_lines(
    uow: UnitOfWork,
    lines: list[dict[str, Any]],
    timezone: str,
    report: ImportReport | None = None,
    kept: list[dict[str, Any]] | None = None,
) -> ImportReport:
    """Check and write purchase lines by the runner that suits them."""
    if rows.readable(lines):
        return rows.record_lines(uow, lines, report, kept)
    return batch.record_lines(uow, lines, timezone, report)


@dataclass
class Sale:
    """A till's purchase as recorded: the report (its errors), whether it was new, and the
    answer (None when it was refused)."""

    report: ImportReport
    owner: list[int]
    added: bool
    answer: dict[str, Any] | None


def record_sale(
    uow: UnitOfWork, record: dict[str, Any], timezone: str, now: datetime | None = None
) -> Sale:
    """Record one purchase, accrue it, and answer what the till prints (see
    :mod:`regulars.services.purchases.receipts`); a purchase already recorded answers what
    it posted then, with the balances now."""
    zone = ZoneInfo(timezone)
    effects: Effects = {}
    kept: list[dict[str, Any]] = []
    spend: dict[int, int] = {}
    report, owner = record_purchases(
        uow, [record], timezone, effects=effects, kept=kept, spend=spend
    )
    if report.errors:
        return Sale(report, owner, False, None)
    pid = (report.added_ids or {}).get(str(record["purchase_id"]).strip())
    if pid is None or not kept:  # sent before, or read by the vectorised runner
        return Sale(report, owner, pid is not None, receipt(uow, record["purchase_id"], timezone))
    head = {**kept[0], "occurred_at": as_utc(datetime.fromisoformat(kept[0]["occurred_at"]))}
    answer = receipts.shown_purchase(head, kept, zone)
    posted = effects.get(pid, {})
    member = next((e.member_id for e in posted.values()), None)
    if member is None and head["member_id"] is not None:
        member = account_store.member_id(uow.connection, head["member_id"])
    answer["loyalty"] = loyalty_of(
        uow, posted, member, now or datetime.now(UTC), zone, spend if posted else None
    )
    return Sale(report, owner, True, answer)


def loyalty_of(
    uow: UnitOfWork,
    posted: dict[int, Any],
    member: int | None,
    now: datetime,
    zone: ZoneInfo,
    spend: dict[int, int] | None = None,
) -> list[dict[str, Any]]:
    """The answer's programs: what ``posted`` (by account) did, the balances after it, and
    each discount card's rate now (nothing for an anonymous or erased member)."""
    if member is None:
        return []
    if not posted and erasure_store.erased_among(uow.connection, [member]):
        return []  # (a member who earned anything is not erased: accrual skips them)
    programs = running(uow)
    if spend is None:  # (a sale's accrual read it with its other sums)
        spend = {
            program: measures.cumulative_spend(uow.connection, member, since, now)
            for program, since in receipts.discount_windows(programs, now)
        }
    held = {e.program_id: e.held for e in posted.values() if e.held is not None}
    return receipts.loyalty_lines(programs, receipts.by_program(posted), held, spend, zone)


def receipt(uow: UnitOfWork, external_id: str, timezone: str) -> dict[str, Any]:
    """A purchase as the till's answer gives it, read back: what it posted (from the
    ledger) and the member's balances now."""
    zone = ZoneInfo(timezone)
    found = purchase_store.with_codes(uow.connection, external_id)
    if found is None:
        raise NotFound(f"no purchase with id {external_id!r}")
    answer = receipts.shown_purchase(found, found["lines"], zone)
    member = found["member_row_id"]
    posted = posted_by(uow, found["id"])
    if member is not None:
        for row in account_store.member_accounts(uow.connection, member):
            one = posted.setdefault(row["id"], Effect(row["id"], row["program_id"]))
            one.held = Held(
                row["available"], row["pending"], row["debt"], row["stamps"], row["tier"]
            )
    answer["loyalty"] = loyalty_of(uow, posted, member, datetime.now(UTC), zone)
    return answer


def get_purchase(uow: UnitOfWork, external_id: str, timezone: str = "UTC") -> dict[str, Any]:
    """A purchase with its lines and what it did in each program (the till's answer)."""
    return receipt(uow, external_id, timezone)
