"""From the long answers frame to one row per survey response.

The store gives answers one per (response, question, driver) — the frame of
``regulars.store.feedback.answers.answers_frame`` with the columns of :data:`ANSWER_COLUMNS`.
Most statistics want one row per response: the 0-10 score, the open answers, the CSAT,
each driver's rating and stated importance, the share of wallet and the intent to rebuy,
beside where and by whom the customer was served. :func:`responses_wide` makes that frame.
"""

from __future__ import annotations

import pandas as pd

from regulars.store.feedback.answers import ANSWER_COLUMNS

__all__ = ["ANSWER_COLUMNS", "csat_answers", "driver_names", "empty_answers", "responses_wide"]

CONTEXT_COLUMNS = (
    "survey",
    "member_id",
    "language",
    "store",
    "channel",
    "department",
    "employee",
    "purchase_id",
    "collected_at",
)


def empty_answers() -> pd.DataFrame:
    """An answers frame with the right columns and no rows."""
    return pd.DataFrame({column: pd.Series(dtype="object") for column in ANSWER_COLUMNS})


def responses_wide(answers: pd.DataFrame, members: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per response.

    Columns: ``response_id``, the context columns (survey, member_id, language, store,
    channel, department, employee, purchase_id, collected_at), ``ltr`` (the 0-10 answer),
    ``why`` (the open answer, with "what would make it a 10" appended),
    ``share_of_wallet`` (0-100), ``intent_rebuy``, one ``sat_<driver>`` column per rated
    driver and one ``imp_<driver>`` per driver whose importance was asked. With ``members``
    (member_id, segment, region, ...), the member's segment and region are joined on.
    """
    if answers.empty:
        frame = pd.DataFrame(columns=["response_id", *CONTEXT_COLUMNS, "ltr", "why"])
        return _with_members(frame, members)
    answers = answers.copy()
    answers["collected_at"] = pd.to_datetime(answers["collected_at"], utc=True)
    # A csat row carries only what it rates; the other questions carry the whole context.
    whole = answers[answers["question"] != "csat"]
    context = whole.groupby("response_id", sort=False)[list(CONTEXT_COLUMNS)].first()
    frame = context.reset_index()

    numeric = answers[answers["question"].isin(["nps", "share_of_wallet", "intent_rebuy"])]
    if not numeric.empty:
        single = numeric.pivot_table(
            index="response_id", columns="question", values="value", aggfunc="mean"
        )
        single = single.rename(columns={"nps": "ltr"})
        frame = frame.merge(single, left_on="response_id", right_index=True, how="left")

    for question, prefix in (("driver_rating", "sat_"), ("driver_importance", "imp_")):
        part = answers[(answers["question"] == question) & answers["driver"].notna()]
        if part.empty:
            continue
        wide = part.pivot_table(
            index="response_id", columns="driver", values="value", aggfunc="mean"
        )
        wide.columns = [f"{prefix}{driver}" for driver in wide.columns]
        frame = frame.merge(wide, left_on="response_id", right_index=True, how="left")

    texts = answers[answers["question"].isin(["nps_why", "nps_to_10"]) & answers["text"].notna()]
    if not texts.empty:
        why = texts.groupby("response_id", sort=False)["text"].agg(lambda t: " ".join(map(str, t)))
        frame = frame.merge(why.rename("why"), left_on="response_id", right_index=True, how="left")
    for column in ("ltr", "why"):
        if column not in frame:
            frame[column] = None if column == "why" else float("nan")
    return _with_members(frame, members)


def csat_answers(answers: pd.DataFrame) -> pd.DataFrame:
    """The CSAT answers (1-5), one row per rated touchpoint, the rating in ``csat``.

    Each row keeps the columns of what it rates (store and channel, department, or
    employee), so :func:`regulars.analytics.satisfaction.csat_table` can group by them.
    """
    rows = answers[(answers["question"] == "csat") & answers["value"].notna()]
    return rows.assign(csat=rows["value"].astype(float)).reset_index(drop=True)


def _with_members(frame: pd.DataFrame, members: pd.DataFrame | None) -> pd.DataFrame:
    if members is None or members.empty:
        return frame
    wanted = [c for c in ("member_id", "segment", "region") if c in members.columns]
    extra = members[wanted].drop_duplicates("member_id")
    frame = frame.drop(columns=[c for c in wanted if c != "member_id" and c in frame.columns])
    merged: pd.DataFrame = frame.merge(extra, on="member_id", how="left")
    return merged


def driver_names(responses: pd.DataFrame, prefix: str = "sat_") -> list[str]:
    """The drivers that have a ``sat_`` (or ``imp_``) column, in column order."""
    return [c[len(prefix) :] for c in responses.columns if c.startswith(prefix)]
