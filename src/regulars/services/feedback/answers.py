"""Survey answers in: the answers format that files and the API speak, its checks, and the
one writer every answer goes through.

Files and API bodies name things by the business's codes: they are checked in bulk
(:func:`check_answers`), resolved to ids and written batch by batch (:func:`write_answers`).
The answer page knows the ids already (its invitation holds them) and hands its rows
straight to :func:`add_answers`, the one writer, which skips answers already stored and
opens the follow-ups of the responses that are new.

The answers format, one row per answered question (required: response_id, survey, question,
collected_at): response_id, survey (code), member_id, question (nps | nps_why | nps_to_10 |
csat | driver_rating | driver_importance | share_of_wallet | intent_rebuy | test_opt_in),
driver (for driver_* questions), value, text, language (ko | en; default the member's),
store, channel (store | web | app | phone), department, employee, purchase_id, collected_at,
and optionally csat_target (touchpoint | department | employee; when blank, a csat row rates
the employee if one is named, else the department, else the touchpoint).

A response is all or nothing: if one of its rows is rejected, none is written, and each says
why. Answers already stored (same response, question and driver/target) are skipped, so a
re-import adds nothing twice. Stores, departments and employees seen for the first time are
registered under their code, as purchases do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from functools import partial

import numpy as np
import pandas as pd

from regulars.domain.feedback.nps import NpsClass
from regulars.domain.feedback.surveys import (
    NO_SUBJECT,
    SCALES,
    TEXT_QUESTIONS,
    CsatTarget,
    QuestionKind,
)
from regulars.domain.members import Locale
from regulars.domain.purchases import SalesChannel
from regulars.services.feedback import cases
from regulars.services.imports.checks import RowChecks, RowError, sql_timestamps
from regulars.services.imports.report import ImportReport
from regulars.store import catalogue
from regulars.store import members as member_store
from regulars.store import purchases as purchase_store
from regulars.store.feedback import answers as answer_store
from regulars.store.feedback import candidates
from regulars.store.feedback import surveys as survey_store
from regulars.store.feedback.answers import AnswerRow
from regulars.store.unit_of_work import UnitOfWork

COLUMNS = (
    "response_id",
    "survey",
    "member_id",
    "question",
    "driver",
    "value",
    "text",
    "language",
    "store",
    "channel",
    "department",
    "employee",
    "purchase_id",
    "collected_at",
    "csat_target",
)
REQUIRED = ("response_id", "survey", "question", "collected_at")
RESPONSE_FIELDS = ("survey", "member_id", "collected_at", "purchase_id")
DRIVER_KINDS = (QuestionKind.DRIVER_RATING.value, QuestionKind.DRIVER_IMPORTANCE.value)
BATCH_ROWS = 50_000
Lookup = Callable[[Iterable[str]], dict[str, int]]
"""Codes to store ids (an unknown code is absent)."""


def check_answers(frame: pd.DataFrame, timezone: str) -> tuple[pd.DataFrame, list[RowError]]:
    """Validate and normalise the rows; return the good ones (whole responses) and every error.

    The good frame adds ``subject`` (driver, csat target or ``-``), a float ``value`` and
    ``collected_at`` as the store's UTC wire strings.
    """
    frame = frame.copy()
    for name in COLUMNS:
        if name not in frame:
            frame[name] = None
    checks = RowChecks(frame)
    for name in REQUIRED:
        checks.required(name)
    for name in ("response_id", "survey", "member_id", "store", "department", "employee"):
        checks.max_length(name, 64)
    checks.max_length("purchase_id", 64)
    checks.max_length("driver", 30)
    checks.max_length("text", 5_000)
    question = checks.one_of("question", [q.value for q in QuestionKind])
    language = checks.one_of("language", [loc.value for loc in Locale])
    channel = checks.one_of("channel", [c.value for c in SalesChannel])
    target = checks.one_of("csat_target", [t.value for t in CsatTarget])
    collected = checks.timestamp("collected_at", timezone)
    value = pd.to_numeric(frame["value"], errors="coerce")
    checks.flag(
        frame["value"].notna().to_numpy() & value.isna().to_numpy(), "value", "is not a number"
    )
    text = frame["text"]
    for kind in QuestionKind:
        rows = (question == kind.value).to_numpy()
        if not rows.any():
            continue
        if kind in TEXT_QUESTIONS:
            checks.flag(rows & text.isna().to_numpy(), "text", f"is required for {kind}")
            continue
        low, high = SCALES[kind]
        v = value.to_numpy()
        out = ~np.isnan(v) & ((v < low) | (v > high) | (np.mod(np.nan_to_num(v), 1) != 0))
        checks.flag(rows & out, "value", f"must be a whole number from {low} to {high}")
        checks.flag(
            rows & np.isnan(v) & frame["value"].isna().to_numpy(),
            "value",
            f"is required for {kind}",
        )
    is_driver = question.isin(DRIVER_KINDS).to_numpy()
    checks.flag(is_driver & frame["driver"].isna().to_numpy(), "driver", "is required here")
    checks.flag(
        ~is_driver & frame["driver"].notna().to_numpy(),
        "driver",
        "is only for driver_rating and driver_importance",
    )
    inferred = np.where(
        frame["employee"].notna(),
        "employee",
        np.where(frame["department"].notna(), "department", "touchpoint"),
    )
    csat_subject = target.where(target.notna(), pd.Series(inferred, index=frame.index))
    subject = np.where(
        is_driver,
        frame["driver"].str.lower().fillna(NO_SUBJECT),
        np.where(question == QuestionKind.CSAT.value, csat_subject, NO_SUBJECT),
    )
    group = pd.factorize(frame["response_id"])[0]
    for name in RESPONSE_FIELDS:
        codes = pd.Series(pd.factorize(frame[name])[0])
        spread = codes.groupby(group).transform("max") != codes.groupby(group).transform("min")
        checks.flag(
            spread.to_numpy() & (group >= 0), name, "differs between the rows of one response"
        )
    twice = pd.DataFrame({"r": frame["response_id"], "q": question, "s": subject}).duplicated()
    checks.flag(
        twice.to_numpy() & frame["response_id"].notna().to_numpy(),
        "question",
        "is answered twice in this response",
    )
    good = pd.DataFrame(
        {
            "_row": frame["_row"],
            "response_id": frame["response_id"],
            "survey": frame["survey"],
            "member_id": frame["member_id"],
            "question": question,
            "subject": subject,
            "value": value,
            "text": text,
            "language": language,
            "store": frame["store"],
            "channel": channel,
            "department": frame["department"],
            "employee": frame["employee"],
            "purchase_id": frame["purchase_id"],
            "collected_at": collected,
        }
    )
    errors = _whole_responses(frame, checks)
    good = good[~checks.bad].copy()
    for name in good.columns:
        if good[name].dtype == object:
            good[name] = good[name].where(good[name].notna(), None)
    good["collected_at"] = sql_timestamps(good["collected_at"])
    return good, errors


def _whole_responses(frame: pd.DataFrame, checks: RowChecks) -> list[RowError]:
    ids = frame["response_id"]
    bad_ids = set(ids[checks.bad].dropna())
    sibling = ids.isin(bad_ids).to_numpy() & ~checks.bad
    if sibling.any():
        first_bad = (
            frame.loc[checks.bad & ids.notna().to_numpy()].groupby("response_id")["_row"].min()
        )
        rows = frame.loc[sibling, ["_row", "response_id"]]
        checks.bad |= sibling
        checks.errors.extend(
            RowError(
                int(r),
                "response_id",
                str(p),
                f"not imported: row {int(first_bad[p])} of this response was rejected",
            )
            for r, p in zip(rows["_row"], rows["response_id"], strict=True)
        )
    return checks.errors


def batches(good: pd.DataFrame, size: int = BATCH_ROWS) -> list[pd.DataFrame]:
    """Split into batches of about ``size`` rows, never cutting a response."""
    if good.empty:
        return []
    good = good.sort_values(["response_id", "_row"], kind="stable")
    ids = good["response_id"].to_numpy()
    starts = np.flatnonzero(ids[1:] != ids[:-1]) + 1
    out, cut = [], 0
    for boundary in [*starts.tolist(), len(good)]:
        if boundary - cut >= size or boundary == len(good):
            out.append(good.iloc[cut:boundary])
            cut = boundary
    return out


def write_answers(
    uow: UnitOfWork, batch: pd.DataFrame, source: str, now: datetime, report: ImportReport
) -> list[str]:
    """Write one checked batch of whole responses, named by the business's codes: resolve
    the codes to ids (rejecting the responses that name an unknown survey, member or
    purchase), then :func:`add_answers`. Return the ids of the responses that were new.
    """
    connection = uow.connection
    lookups: list[tuple[str, Lookup, str]] = [
        (
            "survey",
            partial(survey_store.survey_ids, connection),
            "no survey with this code",
        ),
        (
            "member_id",
            partial(member_store.ids_by_external_id, connection),
            "no member with this id (import members first, or leave blank)",
        ),
        (
            "purchase_id",
            partial(purchase_store.ids_by_external_id, connection),
            "no purchase with this id",
        ),
    ]
    for field, lookup, reason in lookups:
        batch = _resolve(batch, report, field, lookup, reason)
    if batch.empty:
        return []
    members = batch["_member_id"].dropna().astype(int).tolist()
    locales = candidates.member_locales(connection, members)
    language = [
        lang if lang is not None else locales.get(int(m), "ko") if m is not None else "ko"
        for lang, m in zip(batch["language"], batch["_member_id"], strict=True)
    ]
    stores = catalogue.ensure_codes(connection, catalogue.stores, batch["store"].dropna())
    departments = catalogue.ensure_codes(
        connection, catalogue.departments, batch["department"].dropna()
    )
    employees = catalogue.ensure_codes(connection, catalogue.employees, batch["employee"].dropna())
    rows = [
        AnswerRow(*row)
        for row in zip(
            batch["response_id"].tolist(),
            batch["_survey"].tolist(),
            batch["_member_id"].tolist(),
            batch["question"].tolist(),
            batch["subject"].tolist(),
            _numbers(batch["value"].to_numpy(dtype=float)),
            _none(batch["text"]),
            language,
            _ids(batch["store"], stores),
            _none(batch["channel"]),
            _ids(batch["department"], departments),
            _ids(batch["employee"], employees),
            batch["_purchase_id"].tolist(),
            batch["collected_at"].tolist(),
            [source] * len(batch),
            strict=True,
        )
    ]
    added, new = add_answers(uow, rows, now)
    report.added += added
    report.already_present += len(batch) - added
    return new


def add_answers(
    uow: UnitOfWork,
    rows: Sequence[AnswerRow],
    now: datetime,
    nps_classes: Mapping[str, NpsClass] | None = None,
) -> tuple[int, list[str]]:
    """The one writer of answers, whichever way they came: store the rows (answers already
    stored are skipped) and open the follow-ups of the responses that are new.

    ``nps_classes`` gives the NPS class of responses whose class is already known (the
    answer page classifies the score it was given); the others are classified here.
    Return how many answers were added and the ids of the new responses.
    """
    known = answer_store.existing_responses(uow.connection, (r.response_id for r in rows))
    added = answer_store.insert_answers(uow.connection, rows)
    new = sorted({r.response_id for r in rows} - known)
    cases.follow_up_responses(uow, new, now, nps_classes=nps_classes)
    return added, new


def _numbers(values: np.ndarray) -> list[float | None]:
    """Floats with NaN as None (a text answer has no value)."""
    return [None if np.isnan(v) else float(v) for v in values]


def _none(values: pd.Series) -> list[object]:
    return [None if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in values]


def _ids(codes: pd.Series, mapping: dict[str, int]) -> list[int | None]:
    return [None if c is None else mapping.get(c) for c in codes.tolist()]


def _resolve(
    batch: pd.DataFrame, report: ImportReport, field: str, lookup: Lookup, reason: str
) -> pd.DataFrame:
    """Map ``field`` to store ids in ``_<field>``; reject whole responses naming unknown ones."""
    codes = batch[field].dropna()
    ids = lookup(codes) if len(codes) else {}
    present = batch[field].notna().to_numpy()
    mapped = [ids.get(c) if p else None for c, p in zip(batch[field], present, strict=True)]
    unknown = present & np.array([m is None for m in mapped], dtype=bool)
    batch = batch.assign(**{f"_{field}": pd.Series(mapped, index=batch.index, dtype=object)})
    if not unknown.any():
        return batch
    bad_ids = set(batch.loc[unknown, "response_id"])
    drop = batch["response_id"].isin(bad_ids).to_numpy()
    report.errors.extend(
        RowError(int(r), field, None if v is None else str(v), reason)
        for r, v in zip(batch.loc[drop, "_row"], batch.loc[drop, field], strict=True)
    )
    return batch[~drop]
