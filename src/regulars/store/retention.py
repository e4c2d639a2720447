"""Retention: free text and delivered messages removed once older than the business keeps
them (``REGULARS_RETENTION_*``; see :mod:`regulars.services.retention`).

Each function changes only rows not yet cleared, so running it again changes nothing and
counts nothing; the counts are of rows changed now.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Connection, delete, update

from regulars.store.tables import feedback_case_notes, feedback_cases, outbox, survey_answers

REMOVED = "[removed after the retention period]"
REMOVED_PAYLOAD = json.dumps({"removed": "retention"})


def remove_free_text(connection: Connection, before: datetime) -> dict[str, int]:
    """Clear free text written before ``before``: answers' comments (an answer that is only
    a comment goes), case reasons, case notes (the note's time and author stay)."""
    old_answers = survey_answers.c.collected_at < before
    comments = connection.execute(
        delete(survey_answers).where(
            old_answers, survey_answers.c.value.is_(None), survey_answers.c.text.is_not(None)
        )
    ).rowcount
    comments += connection.execute(
        update(survey_answers)
        .where(old_answers, survey_answers.c.text.is_not(None))
        .values(text=None)
    ).rowcount
    reasons = connection.execute(
        update(feedback_cases)
        .where(feedback_cases.c.opened_at < before, feedback_cases.c.reason.is_not(None))
        .values(reason=None)
    ).rowcount
    notes = connection.execute(
        update(feedback_case_notes)
        .where(feedback_case_notes.c.at < before, feedback_case_notes.c.text != REMOVED)
        .values(text=REMOVED)
    ).rowcount
    return {"answer_texts": comments, "case_reasons": reasons, "case_notes": notes}


def remove_sent_payloads(connection: Connection, before: datetime) -> int:
    """Clear the payload (and last error) of messages sent before ``before``."""
    return int(
        connection.execute(
            update(outbox)
            .where(outbox.c.sent_at < before, outbox.c.payload != REMOVED_PAYLOAD)
            .values(payload=REMOVED_PAYLOAD, last_error=None)
        ).rowcount
    )
