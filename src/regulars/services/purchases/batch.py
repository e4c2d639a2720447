"""Purchases in: one row per purchase line, checked in bulk, written purchase by purchase.

File columns (required: purchase_id, occurred_at, product, amount): purchase_id,
member_id (blank: an anonymous purchase), occurred_at, store, channel (store | web | app |
phone, default store), employee, kind (sale | refund | return, default sale),
original_purchase_id (required for refunds and returns), line_no, product, category,
quantity (default 1), amount (minor units; refunds may be written either sign).

A purchase is all or nothing: if one of its lines is rejected, none is written, and every
line says why. Stores, employees, categories and products seen for the first time are
registered under their code. Sales are written before refunds and returns, so a refund may
come before its sale in the file. Purchases already in the store are skipped, never changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from regulars.domain.purchases import PurchaseKind, SalesChannel
from regulars.services.imports.checks import RowChecks, RowError, sql_timestamps
from regulars.services.imports.report import ImportReport
from regulars.store import catalogue
from regulars.store import members as member_store
from regulars.store import purchases as purchase_store
from regulars.store.unit_of_work import UnitOfWork

COLUMNS = (
    "purchase_id",
    "member_id",
    "occurred_at",
    "store",
    "channel",
    "employee",
    "kind",
    "original_purchase_id",
    "line_no",
    "product",
    "category",
    "quantity",
    "amount",
)
REQUIRED = ("purchase_id", "occurred_at", "product", "amount")
HEADER = (
    "member_id",
    "occurred_at",
    "store",
    "channel",
    "employee",
    "kind",
    "original_purchase_id",
)
BATCH_ROWS = 50_000


def check_purchases(frame: pd.DataFrame, timezone: str) -> tuple[pd.DataFrame, list[RowError]]:
    """Validate and normalise the lines; return the good ones and every error.

    The good frame has columns ``_row, purchase_id, member_id, occurred_at (UTC strings),
    store, channel, employee, kind, original_purchase_id, line_no, product, category,
    quantity, amount`` with signed quantities and amounts.
    """
    frame = frame.copy()
    for name in COLUMNS:
        if name not in frame:
            frame[name] = None
    checks = RowChecks(frame)
    for name in REQUIRED:
        checks.required(name)
    for name in (
        "purchase_id",
        "member_id",
        "store",
        "employee",
        "original_purchase_id",
        "product",
        "category",
    ):
        checks.max_length(name, 64)
    kind = checks.one_of("kind", [k.value for k in PurchaseKind], default="sale")
    channel = checks.one_of("channel", [c.value for c in SalesChannel], default="store")
    quantity = checks.integer("quantity", nonzero=True).fillna(1)
    amount = checks.integer("amount")
    line_no = checks.integer("line_no", minimum=1)
    occurred = checks.timestamp("occurred_at", timezone)
    undo = kind.isin(["refund", "return"]).to_numpy()
    checks.flag(
        undo & frame["original_purchase_id"].isna().to_numpy(),
        "original_purchase_id",
        "is required for a refund or a return",
    )
    checks.flag(
        ~undo & frame["original_purchase_id"].notna().to_numpy(),
        "original_purchase_id",
        "is only for refunds and returns",
    )
    checks.flag(
        frame["original_purchase_id"].notna().to_numpy()
        & (frame["original_purchase_id"] == frame["purchase_id"]).to_numpy(),
        "original_purchase_id",
        "cannot be the purchase itself",
    )
    sign = np.where(undo, -1, 1)
    group = pd.factorize(frame["purchase_id"])[0]
    # Each line must agree with the first line of its purchase on every header field.
    uniques, first_line = np.unique(group, return_index=True)
    leader = first_line[np.searchsorted(uniques, group)]
    for name in HEADER:
        codes = pd.factorize(frame[name])[0]
        checks.flag(
            (codes != codes[leader]) & (group >= 0),
            name,
            "differs between the lines of one purchase",
        )
    position = pd.Series(group, index=frame.index).groupby(group).cumcount() + 1
    numbered = line_no.fillna(position)
    clash = pd.DataFrame({"g": group, "n": numbered.to_numpy()}).duplicated(keep="first")
    checks.flag(
        clash.to_numpy() & (group >= 0), "line_no", "repeats a line number of this purchase"
    )
    good = pd.DataFrame(
        {
            "_row": frame["_row"],
            "purchase_id": frame["purchase_id"],
            "member_id": frame["member_id"],
            "occurred_at": occurred,
            "store": frame["store"],
            "channel": channel,
            "employee": frame["employee"],
            "kind": kind,
            "original_purchase_id": frame["original_purchase_id"],
            "line_no": numbered,
            "product": frame["product"],
            "category": frame["category"],
            "quantity": np.abs(quantity.to_numpy()) * sign,
            "amount": np.abs(amount.fillna(0).to_numpy()) * sign,
        }
    )
    errors = _whole_purchases(frame, checks)
    good = good[~checks.bad]
    good["occurred_at"] = sql_timestamps(good["occurred_at"])
    good["line_no"] = good["line_no"].astype("int64")
    good["quantity"] = good["quantity"].astype("int64")
    good["amount"] = good["amount"].astype("int64")
    return good, errors


def _whole_purchases(frame: pd.DataFrame, checks: RowChecks) -> list[RowError]:
    """Reject every line of a purchase one of whose lines was rejected."""
    ids = frame["purchase_id"]
    bad_ids = set(ids[checks.bad].dropna())
    sibling = ids.isin(bad_ids).to_numpy() & ~checks.bad
    if sibling.any():
        first_bad = (
            frame.loc[checks.bad & ids.notna().to_numpy()].groupby("purchase_id")["_row"].min()
        )
        rows = frame.loc[sibling, ["_row", "purchase_id"]]
        checks.bad |= sibling
        checks.errors.extend(
            RowError(
                int(r),
                "purchase_id",
                p,
                f"not imported: line at row {int(first_bad[p])} of this purchase was rejected",
            )
            for r, p in zip(rows["_row"], rows["purchase_id"], strict=True)
        )
    return checks.errors


def batches(good: pd.DataFrame, size: int = BATCH_ROWS) -> Iterator[pd.DataFrame]:
    """Split into batches of about ``size`` lines, never cutting a purchase, sales first."""
    for undo in (False, True):
        part = good[good["kind"].isin(["refund", "return"]) == undo]
        if part.empty:
            continue
        part = part.sort_values(["purchase_id", "line_no"], kind="stable")
        starts = (
            np.flatnonzero(
                part["purchase_id"].to_numpy()[1:] != part["purchase_id"].to_numpy()[:-1]
            )
            + 1
        )
        cut = 0
        for boundary in [*starts.tolist(), len(part)]:
            if boundary - cut >= size or boundary == len(part):
                yield part.iloc[cut:boundary]
                cut = boundary


def write_purchases(uow: UnitOfWork, batch: pd.DataFrame, report: ImportReport) -> None:
    """Write one checked batch (whole purchases) in the caller's transaction."""
    connection = uow.connection
    batch = _resolve_members(connection, batch, report)
    batch = _resolve_originals(connection, batch, report)
    if batch.empty:
        return
    stores = catalogue.ensure_codes(connection, catalogue.stores, batch["store"].dropna())
    employees = catalogue.ensure_codes(connection, catalogue.employees, batch["employee"].dropna())
    categories = catalogue.ensure_codes(
        connection, catalogue.categories, batch["category"].dropna()
    )
    first_category = batch.drop_duplicates("product").set_index("product")["category"]
    products = catalogue.ensure_products(
        connection,
        {str(p): categories.get(c) for p, c in first_category.items()},
    )
    heads = batch.drop_duplicates("purchase_id")
    totals = batch.groupby("purchase_id", sort=False)["amount"].sum()
    added = purchase_store.insert_purchases(
        connection,
        {
            "external_id": heads["purchase_id"].to_numpy(),
            "member_id": heads["_member"].to_numpy(),
            "occurred_at": heads["occurred_at"].to_numpy(),
            "store_id": _ids(heads["store"], stores),
            "channel": heads["channel"].to_numpy(),
            "employee_id": _ids(heads["employee"], employees),
            "kind": heads["kind"].to_numpy(),
            "original_id": heads["_original"].to_numpy(),
            "total_amount": totals.loc[heads["purchase_id"]].to_numpy(),
        },
    )
    report.added += len(added)
    report.already_present += len(heads) - len(added)
    # A purchase already present came with its lines (all or nothing): only new ones need them.
    lines = batch[batch["purchase_id"].isin(list(added)).to_numpy()] if added else batch[:0]
    purchase_store.insert_lines(
        connection,
        {
            "purchase_id": _ids(lines["purchase_id"], added),
            "line_no": lines["line_no"].to_numpy(),
            "product_id": _ids(lines["product"], products),
            "category_id": _ids(lines["category"], categories),
            "quantity": lines["quantity"].to_numpy(),
            "amount": lines["amount"].to_numpy(),
        },
    )


def _ids(codes: pd.Series, mapping: dict[str, int]) -> np.ndarray:
    """Map codes to ids (an object array of ints), blanks and unknown codes to None.

    Factorising first means one dictionary look-up per distinct code, not per row.
    """
    positions, uniques = pd.factorize(codes)
    looked_up = np.array([*(mapping.get(u) for u in uniques), None], dtype=object)
    return looked_up[positions]  # position -1 (blank) picks the trailing None


def _reject(
    batch: pd.DataFrame, mask: np.ndarray, field: str, reason: str, report: ImportReport
) -> pd.DataFrame:
    bad_ids = set(batch.loc[mask, "purchase_id"])
    drop = batch["purchase_id"].isin(bad_ids).to_numpy()
    report.errors.extend(
        RowError(int(r), field, None if pd.isna(v) else str(v), reason)
        for r, v in zip(batch.loc[drop, "_row"], batch.loc[drop, field], strict=True)
    )
    return batch[~drop]


def _resolve(
    connection: Connection, batch: pd.DataFrame, field: str, store: ModuleType, into: str
) -> tuple[pd.DataFrame, np.ndarray]:
    """Look up ``field``'s external ids with ``store``; return the batch with the ids in
    column ``into`` and the mask of rows whose id was given but is unknown."""
    given = batch[field].dropna()
    ids = store.ids_by_external_id(connection, given.unique().tolist()) if len(given) else {}
    resolved = _ids(batch[field], ids)
    unknown = batch[field].notna().to_numpy() & pd.isna(resolved)
    return batch.assign(**{into: pd.Series(resolved, index=batch.index, dtype=object)}), unknown


def _resolve_members(
    connection: Connection, batch: pd.DataFrame, report: ImportReport
) -> pd.DataFrame:
    batch, unknown = _resolve(connection, batch, "member_id", member_store, "_member")
    return _reject(
        batch,
        unknown,
        "member_id",
        "no member with this id (import members first, or leave blank)",
        report,
    )


def _resolve_originals(
    connection: Connection, batch: pd.DataFrame, report: ImportReport
) -> pd.DataFrame:
    batch, unknown = _resolve(
        connection, batch, "original_purchase_id", purchase_store, "_original"
    )
    return _reject(batch, unknown, "original_purchase_id", "no purchase with this id", report)
