"""Each member's analytics, one row per member, as the campaigns target them.

The loyalty report counts members per stage, type, RFM segment and share-of-wallet band;
this module keeps the same figures *per member*, so that they can be written back to the
store (``member_analytics``) and used in audiences. It adds no definition of its own: the
stage and the loyalty type are :func:`regulars.analytics.stages.loyalty_stages`, the
attachment and share of wallet :func:`regulars.analytics.stages.attachment_scores`, the RFM
scores and segment :func:`regulars.analytics.behaviour.rfm`, the NPS class
:func:`regulars.analytics.nps.classify` — the functions the report calls.

The names stored are short codes: stages ``first_visit``, ``first_purchase``, ``repeat``,
``attached``, ``loyal``; types ``true``, ``latent``, ``spurious``, ``none``, ``unknown`` (no
answers: never guessed); bands ``loyal``, ``middle``, ``at_risk``.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from regulars.analytics import behaviour, stages
from regulars.analytics.nps import classify

STAGE_CODES: dict[str, str] = dict(
    zip(
        stages.STAGES, ("first_visit", "first_purchase", "repeat", "attached", "loyal"), strict=True
    )
)
TYPE_CODES: dict[str, str] = {
    **dict(zip(stages.TYPES, ("true", "latent", "spurious", "none"), strict=True)),
    stages.UNKNOWN_TYPE: "unknown",
}
BAND_CODES: dict[str, str] = {"loyal": "loyal", "middle": "middle", "at risk": "at_risk"}

PROFILE_COLUMNS = (
    "member_id",
    "stage",
    "loyalty_type",
    "attachment",
    "recency_score",
    "frequency_score",
    "monetary_score",
    "rfm_segment",
    "nps_class",
    "last_nps",
    "last_answer_at",
    "share_of_wallet",
    "share_of_wallet_band",
    "last_purchase_at",
    "net_spend",
)


def member_profiles(
    summary: pd.DataFrame,
    responses: pd.DataFrame,
    as_of: date,
    rules: stages.StageRules = stages.StageRules(),
) -> pd.DataFrame:
    """One row per member of ``summary`` (the report's member summary, buyers or not).

    ``responses`` is one row per survey response (``responses_wide``: ``member_id``,
    ``collected_at``, ``ltr``, ``share_of_wallet``, ``intent_rebuy``). Returns the columns
    of :data:`PROFILE_COLUMNS`: the stage and type codes, the attachment (0-1), the RFM
    scores 1-5 and segment (missing for members without a purchase), the class and value
    of the latest 0-10 answer and the time of the latest answer of any kind, the latest
    share of wallet and its band, the last purchase and the net spend.
    """
    attachment = stages.attachment_scores(responses, rules)
    placed = stages.loyalty_stages(summary, attachment, as_of, rules)
    out = pd.DataFrame({"member_id": placed["member_id"]})
    out["stage"] = placed["stage"].map(STAGE_CODES)
    out["loyalty_type"] = placed["loyalty_type"].map(TYPE_CODES)
    out["attachment"] = placed["attachment"].astype(float)
    out["share_of_wallet"] = placed["share_of_wallet"].astype(float)
    out["share_of_wallet_band"] = placed["wallet_band"].map(BAND_CODES)
    scores = behaviour.rfm(summary, as_of)
    rfm = scores.set_index("member_id")[["r", "f", "m", "rfm_segment"]].rename(
        columns={"r": "recency_score", "f": "frequency_score", "m": "monetary_score"}
    )
    out = out.merge(rfm, left_on="member_id", right_index=True, how="left")
    out = out.merge(_latest_answers(responses), on="member_id", how="left")
    money = summary.set_index("member_id")[["last_purchase", "net_spend"]]
    out = out.merge(money, left_on="member_id", right_index=True, how="left")
    out = out.rename(columns={"last_purchase": "last_purchase_at"})
    out["net_spend"] = out["net_spend"].fillna(0).astype("int64")
    return out[list(PROFILE_COLUMNS)].reset_index(drop=True)


def _latest_answers(responses: pd.DataFrame) -> pd.DataFrame:
    """Per member: the latest 0-10 answer (value and class) and the time of the latest
    response of any kind."""
    columns = ["member_id", "nps_class", "last_nps", "last_answer_at"]
    if responses.empty or "member_id" not in responses:
        return pd.DataFrame(columns=columns)
    data = responses[responses["member_id"].notna()].copy()
    data["collected_at"] = pd.to_datetime(data["collected_at"], utc=True)
    data = data.sort_values("collected_at")
    last = data.groupby("member_id")["collected_at"].max().rename("last_answer_at")
    scored = data[data["ltr"].notna()] if "ltr" in data else data.iloc[0:0]
    latest = scored.groupby("member_id")["ltr"].last()
    nps = pd.DataFrame(
        {"last_nps": latest.round().astype("Int64"), "nps_class": classify(latest)},
        index=latest.index,
    )
    out = pd.DataFrame(last).join(nps, how="left").reset_index()
    return out[columns]
