"""Members in: checked in bulk, upserted by external id, consent kept as a history.

File columns (only ``member_id`` is required): member_id, name, email, phone, birth_date,
locale (ko | en), segment (individual | business | vip), region, signup_date,
acquisition_channel, acquisition_cost, card_id (a loyalty card number, one member's at a
time), consent_email, consent_sms, consent_push (yes / no; blank leaves the consent as it
is), consent_at, consent_source, re_enrol.

A member erased on request cannot come back by accident (a stale file, a till that still
knows the card): a row with an erased member's id is refused unless its ``re_enrol`` is
yes, which enrols the person as a new member with no link to the erased history.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pandas as pd

from regulars.domain.bounds import MAX_AMOUNT
from regulars.domain.members import CARD_ID, ContactChannel, Locale, Segment, card_key
from regulars.services.imports.checks import RowChecks, RowError
from regulars.services.imports.report import ImportReport
from regulars.services.unit_of_work import UnitOfWork

COLUMNS = (
    "member_id",
    "name",
    "email",
    "phone",
    "birth_date",
    "locale",
    "segment",
    "region",
    "signup_date",
    "acquisition_channel",
    "acquisition_cost",
    "card_id",
    "consent_email",
    "consent_sms",
    "consent_push",
    "consent_at",
    "consent_source",
    "re_enrol",
)
REQUIRED = ("member_id",)
YES = ("yes", "y", "true", "1", "granted", "동의")
NO = ("no", "n", "false", "0", "withdrawn", "refused", "거부")
BATCH_ROWS = 20_000


def check_members(frame: pd.DataFrame, timezone: str) -> tuple[pd.DataFrame, list[RowError]]:
    """Validate and normalise; return the good rows (typed) and the errors."""
    frame = frame.copy()
    for name in COLUMNS:
        if name not in frame:
            frame[name] = None
    checks = RowChecks(frame)
    checks.required("member_id")
    for name, limit in (
        ("member_id", 64),
        ("name", 200),
        ("email", 320),
        ("phone", 40),
        ("card_id", 80),
        ("region", 100),
        ("acquisition_channel", 50),
        ("consent_source", 100),
    ):
        checks.max_length(name, limit)
    email = frame["email"]
    checks.flag(
        email.notna().to_numpy()
        & ~email.fillna("").str.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+").to_numpy(),
        "email",
        "is not an e-mail address",
    )
    phone = frame["phone"]
    checks.flag(
        phone.notna().to_numpy()
        & ~phone.fillna("").str.fullmatch(r"\+?[0-9 ()\-]{5,40}").to_numpy(),
        "phone",
        "is not a phone number",
    )
    card = frame["card_id"]
    checks.flag(
        card.notna().to_numpy() & ~card.fillna("").str.fullmatch(CARD_ID.pattern).to_numpy(),
        "card_id",
        "is not a card number (letters, digits, spaces and dashes, at most 80)",
    )
    out = pd.DataFrame({"_row": frame["_row"], "external_id": frame["member_id"]})
    out["card_id"] = [card_key(v) if isinstance(v, str) else None for v in card]
    for name in ("name", "email", "phone", "region", "acquisition_channel"):
        out[name] = frame[name]
    out["locale"] = checks.one_of("locale", [v.value for v in Locale], default="ko")
    out["segment"] = checks.one_of("segment", [v.value for v in Segment], default="individual")
    out["birth_date"] = checks.date("birth_date")
    out["signup_date"] = checks.date("signup_date")
    out["acquisition_cost"] = checks.integer("acquisition_cost", minimum=0, maximum=MAX_AMOUNT)
    for channel in ContactChannel:
        column = f"consent_{channel.value}"
        checks.one_of(column, YES + NO)
        lowered = frame[column].str.lower()
        out[column] = [True if v in YES else False if v in NO else None for v in lowered]
    out["consent_at"] = checks.timestamp("consent_at", timezone)
    out["consent_source"] = frame["consent_source"].fillna("import")
    checks.one_of("re_enrol", YES + NO)
    out["re_enrol"] = [v in YES for v in frame["re_enrol"].str.lower()]
    duplicated = frame["member_id"].notna() & frame["member_id"].duplicated(keep="first")
    checks.flag(duplicated, "member_id", "appears more than once in the file; the first is kept")
    shared = out["card_id"].notna() & out["card_id"].duplicated(keep="first")
    checks.flag(shared.to_numpy(), "card_id", "is given to another member earlier in the file")
    return out[~checks.bad], checks.errors


def batches(frame: pd.DataFrame, size: int = BATCH_ROWS) -> Iterator[pd.DataFrame]:
    for start in range(0, len(frame), size):
        yield frame.iloc[start : start + size]


def write_members(
    uow: UnitOfWork, batch: pd.DataFrame, now: datetime, report: ImportReport
) -> None:
    """Upsert one checked batch and append consent changes; counts go into ``report``."""
    batch = _without_erased(uow, batch, report)
    batch = _without_taken_cards(uow, batch, report)
    rows = [_member_row({str(k): v for k, v in r.items()}) for r in batch.to_dict("records")]
    added, updated = uow.members.upsert(rows, now)
    report.added += added
    report.updated += updated
    report.already_present += len(rows) - added - updated
    ids = uow.members.ids_by_external_id(batch["external_id"])
    state = uow.members.consent_state(ids.values())
    events = []
    for record in batch.to_dict("records"):
        member_id = ids[record["external_id"]]
        for channel in ContactChannel:
            granted = record[f"consent_{channel.value}"]
            if granted is None or state.get((member_id, channel.value)) == granted:
                continue
            at = record["consent_at"]
            events.append(
                {
                    "member_id": member_id,
                    "channel": channel.value,
                    "granted": bool(granted),
                    "at": now if pd.isna(at) else at.to_pydatetime(),
                    "source": record["consent_source"],
                }
            )
    uow.members.add_consent_events(events)


def _without_erased(uow: UnitOfWork, batch: pd.DataFrame, report: ImportReport) -> pd.DataFrame:
    """The batch less the rows of erased members not marked ``re_enrol`` (reported); the
    ids of those marked are freed, so that they enrol as new members."""
    erased = uow.members.erased_ids(batch["external_id"])
    if not erased:
        return batch
    hit = batch["external_id"].isin(erased).to_numpy()
    again = hit & batch["re_enrol"].to_numpy(dtype=bool)
    for row, external_id in zip(
        batch["_row"][hit & ~again], batch["external_id"][hit & ~again], strict=True
    ):
        report.errors.append(
            RowError(
                int(row),
                "member_id",
                external_id,
                "this member was erased on request; to enrol the person again as a new "
                "member (no link to the erased history), set re_enrol to yes",
            )
        )
    uow.members.forget_erased(batch["external_id"][again])
    kept: pd.DataFrame = batch[~(hit & ~again)]
    return kept


def _without_taken_cards(
    uow: UnitOfWork, batch: pd.DataFrame, report: ImportReport
) -> pd.DataFrame:
    """The batch less the rows whose card number another member holds (reported). A card
    moves to a new holder only once its old holder gives it up (their row clears it)."""
    cards = batch["card_id"].dropna()
    if cards.empty:
        return batch
    holders = uow.members.card_holders(cards)
    taken = [
        holders.get(card) not in (None, member)
        for card, member in zip(batch["card_id"], batch["external_id"], strict=True)
    ]
    if not any(taken):
        return batch
    for row, card in zip(batch["_row"][taken], batch["card_id"][taken], strict=True):
        report.errors.append(
            RowError(int(row), "card_id", card, f"is held by member {holders[card]!r}")
        )
    kept: pd.DataFrame = batch[[not t for t in taken]]
    return kept


def _member_row(record: dict[str, Any]) -> dict[str, Any]:
    def clean(value: Any) -> Any:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return None
        return value

    return {
        "external_id": record["external_id"],
        **{
            f: clean(record[f])
            for f in (
                "name",
                "email",
                "phone",
                "region",
                "acquisition_channel",
                "locale",
                "segment",
                "card_id",
            )
        },
        "birth_date": None if pd.isna(record["birth_date"]) else record["birth_date"].date(),
        "signup_date": None if pd.isna(record["signup_date"]) else record["signup_date"].date(),
        "acquisition_cost": None
        if pd.isna(record["acquisition_cost"])
        else int(record["acquisition_cost"]),
    }
