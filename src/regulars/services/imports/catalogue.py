"""Stores, departments, employees and products in: upserted by code.

Purchases register unknown codes by themselves (named after the code); these imports give
them their names, kinds, regions and links. Columns:

- stores: code, name, kind (store | web | app | phone), region
- departments: code, name
- stores and departments may add alert_email and alert_webhook (an http(s) URL): who hears
  of a detractor answer about them (``services/engagement/alerts.py``); a file without
  these columns leaves the stored contacts as they are
- employees: code, name, store, department (codes; unknown ones are registered)
- products: code, name, category (code; registered if new)
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

from regulars.domain.purchases import SalesChannel
from regulars.services.imports.checks import RowChecks
from regulars.services.imports.report import ImportReport
from regulars.store import catalogue
from regulars.store.unit_of_work import UnitOfWork

CatalogueKind = Literal["stores", "departments", "employees", "products"]
COLUMNS: dict[str, tuple[str, ...]] = {
    "stores": ("code", "name", "kind", "region"),
    "departments": ("code", "name"),
    "employees": ("code", "name", "store", "department"),
    "products": ("code", "name", "category"),
}
REQUIRED = ("code", "name")
ALERT_COLUMNS = (("alert_email", 320), ("alert_webhook", 500))


def import_catalogue(uow: UnitOfWork, kind: CatalogueKind, frame: pd.DataFrame) -> ImportReport:
    """Check ``frame`` and upsert its good rows; return what happened."""
    frame = frame.copy()
    for name in COLUMNS[kind]:
        if name not in frame:
            frame[name] = None
    checks = RowChecks(frame)
    for name in COLUMNS[kind]:
        checks.max_length(name, 200 if name == "name" else 64)
    for name in REQUIRED:
        checks.required(name)
    if kind in ("stores", "departments"):
        for name, limit in ALERT_COLUMNS:
            if name in frame:
                checks.max_length(name, limit)
        if "alert_webhook" in frame:
            url = frame["alert_webhook"]
            checks.flag(
                url.notna() & ~url.astype(str).str.match(r"https?://"),
                "alert_webhook",
                "is not an http:// or https:// URL",
            )
    if kind == "stores":
        frame["kind"] = checks.one_of("kind", [c.value for c in SalesChannel], default="store")
    checks.flag(
        frame["code"].notna() & frame["code"].duplicated(),
        "code",
        "appears more than once in the file",
    )
    report = ImportReport(kind=kind, rows=len(frame), errors=list(checks.errors))
    good = frame[~checks.bad]
    records = [
        {str(k): (None if not isinstance(v, str) and pd.isna(v) else v) for k, v in r.items()}
        for r in good.to_dict("records")
    ]
    connection = uow.connection
    if kind == "employees":
        stores = catalogue.ensure_codes(connection, catalogue.stores, good["store"].dropna())
        departments = catalogue.ensure_codes(
            connection, catalogue.departments, good["department"].dropna()
        )
        for r in records:
            r["store_id"] = stores.get(r.pop("store") or "")
            r["department_id"] = departments.get(r.pop("department") or "")
    if kind == "products":
        categories = catalogue.ensure_codes(
            connection, catalogue.categories, good["category"].dropna()
        )
        for r in records:
            r["category_id"] = categories.get(r.pop("category") or "")
    for r in records:
        r.pop("_row", None)
    added, updated = catalogue.upsert_by_code(connection, getattr(catalogue, kind), records)
    report.added, report.updated = added, updated
    report.already_present = len(records) - added - updated
    return report
