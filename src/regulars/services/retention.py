"""The retention policy: personal free text and delivered messages are kept no longer than
the business says (``REGULARS_RETENTION_FREE_TEXT_DAYS``, ``REGULARS_RETENTION_DELIVERY_DAYS``;
unset: kept). Run by ``regulars privacy retention``; idempotent, it reports what it removed.

Numbers stay: an answer's score, a case's status and times, a message's topic and times.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from regulars.store import retention as retention_store
from regulars.store.subscriptions import exits as exit_store
from regulars.store.unit_of_work import UnitOfWork


@dataclass
class RetentionReport:
    """Rows changed, by kind; ``kept`` names what no period is configured for."""

    removed: dict[str, int] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)


def apply_retention(
    uow: UnitOfWork,
    now: datetime,
    free_text_days: int | None,
    delivery_days: int | None,
) -> RetentionReport:
    """Remove what is older than its period, in the caller's transaction."""
    report = RetentionReport()
    if free_text_days is None:
        report.kept.append("free text")
    else:
        before = now - timedelta(days=free_text_days)
        report.removed |= retention_store.remove_free_text(uow.connection, before)
        report.removed["exit_comments"] = exit_store.remove_old_comments(uow.connection, before)
    if delivery_days is None:
        report.kept.append("sent messages")
    else:
        before = now - timedelta(days=delivery_days)
        report.removed["sent_payloads"] = retention_store.remove_sent_payloads(
            uow.connection, before
        )
    return report
