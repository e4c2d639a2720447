"""A telecom operator's subscription data for the cross-engine tests: generated members,
plans, contracts, plan changes, monthly bills and survey answers in the import format, with
the edge cases spelled out, loaded into a store through the import path, written as files
for DuckDB and Spark, and an independent per-contract computation of the features' stated
definitions to hold the engines to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select, update

from regulars.bootstrap import App
from regulars.domain.subscriptions.tenure import age_band, month_number, whole_months, whole_years
from regulars.services.feedback import surveys
from regulars.services.imports.answers import import_answers_frame
from regulars.services.imports.checks import text_frame
from regulars.services.imports.files import import_source
from regulars.store.reads.subscriber_features import StoreSubscriptions
from regulars.store.tables import feedback_cases

AS_OF = date(2025, 12, 31)
OFFSET = 9.0
ZONE = "Asia/Seoul"
PLANS = {"S": 33000, "M": 55000, "L": 79000}
COMPETITORS = ["SKT", "KT", "LG U+", "skt ", "Kt"]
DRIVERS = ("network", "price", "service")
SURVEY = {"code": "svc", "name": "Service", "drivers": list(DRIVERS)}


@dataclass
class SubscriptionData:
    members: pd.DataFrame
    plans: pd.DataFrame
    subscriptions: pd.DataFrame
    plan_changes: pd.DataFrame
    bills: pd.DataFrame
    answers: pd.DataFrame


def _months_after(day: date, months: int) -> date:
    number = month_number(day) + months
    return date(number // 12, number % 12 + 1, 1)


def generate(n: int = 300, seed: int = 17) -> SubscriptionData:
    """``n`` members with one or two contracts each, and the edge cases E1–E7."""
    rng = np.random.default_rng(seed)
    members, contracts, changes, bills, answers = [], [], [], [], []
    for i in range(1, n + 1):
        born = (
            None
            if rng.random() < 0.1
            else date(1950, 1, 1) + timedelta(int(rng.integers(0, 18000)))
        )
        members.append(
            {
                "member_id": f"M{i:04d}",
                "segment": str(rng.choice(["individual", "business", "vip"], p=[0.8, 0.15, 0.05])),
                "birth_date": born,
                "locale": "ko",
            }
        )
        for line in range(1 + int(rng.random() < 0.2)):
            sid = f"L{i:04d}-{line}"
            plan = str(rng.choice(list(PLANS)))
            start = date(2022, 1, 1) + timedelta(int(rng.integers(0, 1460)))
            cancelled = None
            if rng.random() < 0.45:
                cancelled = start + timedelta(int(rng.integers(0, 1100)))
            committed = _months_after(start, 24) if rng.random() < 0.6 else None
            reason = (
                str(rng.choice(["price", "network", "competitor", "moving"])) if cancelled else None
            )
            contracts.append(
                {
                    "subscription_id": sid,
                    "member_id": f"M{i:04d}",
                    "plan": plan,
                    "monthly_fee": PLANS[plan] - int(rng.choice([0, 0, 3000])),
                    "started_on": start,
                    "committed_until": committed,
                    "cancelled_on": cancelled,
                    "cancel_reason": reason,
                    "competitor": str(rng.choice(COMPETITORS)) if reason == "competitor" else None,
                    "channel": "store",
                }
            )
            last_day = min(cancelled or AS_OF + timedelta(60), AS_OF + timedelta(60))
            fee, current = PLANS[plan], plan
            for c in range(int(rng.choice([0, 0, 1, 2]))):
                span = (last_day - start).days
                if span < 1:
                    break
                day = start + timedelta(int(rng.integers(0, span + 1)))
                to = str(rng.choice([p for p in PLANS if p != current]))
                changes.append(
                    {
                        "change_id": f"{sid}-c{c}",
                        "subscription_id": sid,
                        "changed_on": day,
                        "from_plan": current,
                        "to_plan": to,
                        "fee_before": fee,
                        "fee_after": PLANS[to],
                    }
                )
                fee, current = PLANS[to], to
            if rng.random() < 0.08:
                continue  # a contract with no bills at all
            final = month_number(min(cancelled or AS_OF, AS_OF)) + 1  # a bill after the end
            level = float(rng.gamma(2.0, 5.0))
            for m in range(month_number(start), final + 1):
                if rng.random() < 0.07:
                    continue  # a month not billed
                gb = None if rng.random() < 0.05 else round(level * float(rng.lognormal(0, 0.3)), 2)
                bills.append(
                    {
                        "subscription_id": sid,
                        "month": date(m // 12, m % 12 + 1, 1),
                        "amount": fee + int(rng.integers(-2000, 5000)),
                        "data_gb": gb,
                        "voice_minutes": round(float(rng.gamma(3.0, 60.0)), 1),
                    }
                )
        for r in range(int(rng.choice([0, 0, 1, 2, 3]))):
            at = datetime(2023, 1, 1, tzinfo=UTC) + timedelta(
                seconds=int(rng.integers(0, 100_000_000))
            )
            rid = f"R{i:04d}-{r}"
            answers.append(
                {
                    "response_id": rid,
                    "member_id": f"M{i:04d}",
                    "question": "nps",
                    "driver": None,
                    "value": int(rng.integers(0, 11)),
                    "collected_at": at,
                }
            )
            for driver in DRIVERS:
                if rng.random() < 0.8:
                    answers.append(
                        {
                            "response_id": rid,
                            "member_id": f"M{i:04d}",
                            "question": "driver_rating",
                            "driver": driver,
                            "value": int(rng.integers(1, 6)),
                            "collected_at": at,
                        }
                    )
    _edge_cases(members, contracts, changes, bills, answers)
    answers_frame = pd.DataFrame(answers)
    answers_frame.insert(1, "survey", "svc")
    return SubscriptionData(
        pd.DataFrame(members),
        pd.DataFrame(
            [{"code": k, "name": f"Plan {k}", "monthly_fee": v} for k, v in PLANS.items()]
        ),
        pd.DataFrame(contracts),
        pd.DataFrame(changes),
        pd.DataFrame(bills),
        answers_frame,
    )


def _edge_cases(
    members: list[Any],
    contracts: list[Any],
    changes: list[Any],
    bills: list[Any],
    answers: list[Any],
) -> None:
    members.append(
        {
            "member_id": "EDGE",
            "segment": "business",
            "birth_date": date(1990, 12, 31),
            "locale": "en",
        }
    )

    def contract(sid: str, start: date, cancelled: date | None = None, **extra: Any) -> None:
        contracts.append(
            {
                "subscription_id": sid,
                "member_id": "EDGE",
                "plan": "M",
                "monthly_fee": 55000,
                "started_on": start,
                "committed_until": None,
                "cancelled_on": cancelled,
                "cancel_reason": "price" if cancelled else None,
                "competitor": None,
                "channel": "web",
                **extra,
            }
        )

    def bill(sid: str, month: date, gb: float | None) -> None:
        bills.append(
            {
                "subscription_id": sid,
                "month": month,
                "amount": 55000,
                "data_gb": gb,
                "voice_minutes": 100.0,
            }
        )

    # E1: cancelled in its first month, with bills after the cancellation
    contract("E1", date(2025, 3, 10), date(2025, 3, 25))
    for month, gb in ((date(2025, 3, 1), 4.0), (date(2025, 4, 1), 9.0), (date(2025, 5, 1), 1.0)):
        bill("E1", month, gb)
    # E2: started on the 31st, no bills, a plan change on the observation day itself
    contract("E2", date(2025, 1, 31), committed_until=date(2027, 1, 31))
    changes.append(
        {
            "change_id": "E2-c",
            "subscription_id": "E2",
            "changed_on": AS_OF,
            "from_plan": "M",
            "to_plan": "S",
            "fee_before": 55000,
            "fee_after": 33000,
        }
    )
    # E3: a downgrade on the last day of the contract, the cancellation day
    contract("E3", date(2024, 5, 15), date(2025, 8, 20))
    changes.append(
        {
            "change_id": "E3-c",
            "subscription_id": "E3",
            "changed_on": date(2025, 8, 20),
            "from_plan": "M",
            "to_plan": "S",
            "fee_before": 55000,
            "fee_after": 33000,
        }
    )
    for k, gb in enumerate([10.0, 9.0, 9.5, 7.0, 7.0, 3.0, 2.5, 1.0]):
        bill("E3", _months_after(date(2025, 1, 1), k), gb)
    # E4: starts after the observation day: not a subscriber yet
    contract("E4", date(2026, 1, 5))
    # E5: cancelled after the observation day: still running then (censored)
    contract("E5", date(2023, 2, 28), date(2026, 2, 1), committed_until=date(2025, 2, 28))
    # E6: two plan changes on one day (the later change id wins)
    contract("E6", date(2024, 1, 1))
    for cid, to, fee in (("E6-a", "L", 79000), ("E6-b", "S", 33000)):
        changes.append(
            {
                "change_id": cid,
                "subscription_id": "E6",
                "changed_on": date(2025, 6, 1),
                "from_plan": "M",
                "to_plan": to,
                "fee_before": 55000,
                "fee_after": fee,
            }
        )
    # E7: one month billed only (no slope), usage missing in it
    contract("E7", date(2025, 12, 2))
    bill("E7", date(2025, 12, 1), None)
    # the member's answers: one by the end of the observation day in Seoul, one just after
    late = datetime(2025, 12, 31, 15, 30, tzinfo=UTC)  # 00:30 on 1 January in Seoul
    inside = datetime(2025, 12, 31, 14, 30, tzinfo=UTC)  # 23:30 on 31 December
    for rid, at, score in (("EDGE-in", inside, 3), ("EDGE-late", late, 10)):
        answers.append(
            {
                "response_id": rid,
                "member_id": "EDGE",
                "question": "nps",
                "driver": None,
                "value": score,
                "collected_at": at,
            }
        )
        answers.append(
            {
                "response_id": rid,
                "member_id": "EDGE",
                "question": "driver_rating",
                "driver": "network",
                "value": 1 if score < 5 else 5,
                "collected_at": at,
            }
        )


def load_store(app: App, data: SubscriptionData) -> None:
    """Write ``data`` into the store through the import path (files' rules and writers)."""
    with app.unit_of_work() as uow:
        surveys.define_survey(uow, SURVEY, datetime(2022, 1, 1, tzinfo=UTC))
        uow.commit()
    for kind, frame in (
        ("members", data.members),
        ("plans", data.plans),
        ("subscriptions", data.subscriptions),
        ("plan-changes", data.plan_changes),
        ("bills", data.bills),
    ):
        report = import_source(kind, as_text(frame), app.run_committed, timezone=ZONE)  # type: ignore[arg-type]
        assert not report.errors, (kind, report.sorted_errors()[:5])
    answers = data.answers.assign(
        collected_at=data.answers["collected_at"].map(lambda t: t.isoformat())
    )
    report = import_answers_frame(answers, app.run_committed, timezone=ZONE)
    assert not report.errors, report.sorted_errors()[:5]
    # A case is opened when its answer is imported (now); date each as if its answer had
    # come in live: two hours after it was given.
    opened = {
        r: t + timedelta(hours=2)
        for r, t in zip(data.answers["response_id"], data.answers["collected_at"], strict=True)
    }
    with app.unit_of_work() as uow:
        for response_id, case_id in uow.connection.execute(
            select(feedback_cases.c.response_id, feedback_cases.c.id)
        ).all():
            uow.connection.execute(
                update(feedback_cases)
                .where(feedback_cases.c.id == case_id)
                .values(opened_at=opened[response_id])
            )
        uow.commit()


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame as the text cells a file import reads."""
    records = [
        {
            k: (None if v is None or (isinstance(v, float) and np.isnan(v)) else v)
            for k, v in r.items()
        }
        for r in frame.to_dict("records")
    ]
    return text_frame(records, tuple(frame.columns))


def store_cases(app: App) -> pd.DataFrame:
    """The follow-up cases the answers opened, as the features read them."""
    with app.unit_of_work() as uow:
        engine = StoreSubscriptions(uow.connection)
        cases = engine.query(engine.relation("cases"))
    cases["opened_at"] = pd.to_datetime(cases["opened_at"], utc=True)
    return cases


def write_files(data: SubscriptionData, cases: pd.DataFrame, folder: Path, suffix: str) -> Path:
    """The relations as files of one type in ``folder`` (``.parquet`` or ``.csv``)."""
    folder.mkdir(parents=True, exist_ok=True)
    frames = {
        "subscriptions": data.subscriptions,
        "plan_changes": data.plan_changes,
        "bills": data.bills,
        "members": data.members,
        "answers": data.answers,
        "cases": cases,
    }
    for name, frame in frames.items():
        if suffix == ".parquet":
            out = frame.copy()
            for column in out.columns:
                if column.endswith(("_on", "_until", "_date")) or column == "month":
                    out[column] = pd.to_datetime(out[column]).dt.date
            if "collected_at" in out:
                out["collected_at"] = pd.to_datetime(out["collected_at"], utc=True)
            out.to_parquet(folder / f"{name}.parquet", index=False)
        else:
            out = frame.copy()
            if name == "bills":  # a file may write the month as YYYY-MM
                out["month"] = pd.to_datetime(out["month"]).dt.strftime("%Y-%m")
            for column in ("collected_at", "opened_at"):
                if column in out:
                    out[column] = pd.to_datetime(out[column], utc=True).map(lambda t: t.isoformat())
            out.to_csv(folder / f"{name}.csv", index=False)
    return folder


# --- the definitions, contract by contract ---------------------------------------------------


def _local_day(moment: Any, offset_hours: float) -> date:
    return (pd.Timestamp(moment).tz_convert("UTC") + pd.Timedelta(hours=offset_hours)).date()


def _slope(points: list[tuple[int, float]]) -> float:
    if len(points) < 2:
        return float("nan")
    x = np.array([p[0] for p in points], dtype=float)
    y = np.array([p[1] for p in points], dtype=float)
    return float(np.polyfit(x, y, 1)[0])


def expected_features(
    data: SubscriptionData,
    cases: pd.DataFrame,
    as_of: date,
    months: int = 6,
    usage: str = "data_gb",
    offset_hours: float = OFFSET,
) -> pd.DataFrame:
    """The features by their stated definitions, computed one contract at a time."""
    members = {r["member_id"]: r for r in data.members.to_dict("records")}
    rows = []
    for c in data.subscriptions.to_dict("records"):
        start = c["started_on"]
        if start > as_of:
            continue
        ends = c["cancelled_on"] if isinstance(c["cancelled_on"], date) else None
        cancelled = ends is not None and ends <= as_of
        end = ends if cancelled else as_of
        mine = [
            ch
            for ch in data.plan_changes.to_dict("records")
            if ch["subscription_id"] == c["subscription_id"] and start <= ch["changed_on"] <= end
        ]
        mine.sort(key=lambda ch: (ch["changed_on"], ch["change_id"]))
        plan, fee = (
            (mine[-1]["to_plan"], mine[-1]["fee_after"]) if mine else (c["plan"], c["monthly_fee"])
        )
        committed = c["committed_until"] if isinstance(c["committed_until"], date) else None
        left = (
            None if committed is None else 0 if committed <= end else whole_months(end, committed)
        )
        member = members[c["member_id"]]
        born = member["birth_date"] if isinstance(member["birth_date"], date) else None
        billed = [
            b
            for b in data.bills.to_dict("records")
            if b["subscription_id"] == c["subscription_id"]
            and month_number(start) <= month_number(b["month"]) <= month_number(end)
        ]
        window = {
            month_number(end) - month_number(b["month"]): b
            for b in billed
            if month_number(end) - month_number(b["month"]) < months
        }
        used = {
            k: float(b[usage])
            for k, b in window.items()
            if b[usage] is not None and not np.isnan(b[usage])
        }
        pairs = [k for k in range(months - 1) if k in used and k + 1 in used]
        drops = [k for k in pairs if used[k] < used[k + 1]]
        opened = [
            o
            for o in cases.to_dict("records")
            if o["member_id"] == c["member_id"] and _local_day(o["opened_at"], offset_hours) <= end
        ]
        said = [
            a
            for a in data.answers.to_dict("records")
            if a["member_id"] == c["member_id"]
            and _local_day(a["collected_at"], offset_hours) <= end
        ]

        def latest(question: str, driver: str | None = None, said: list[Any] = said) -> float:
            found = [
                a
                for a in said
                if a["question"] == question and (driver is None or a["driver"] == driver)
            ]
            if not found:
                return float("nan")
            return float(
                max(found, key=lambda a: (pd.Timestamp(a["collected_at"]), a["response_id"]))[
                    "value"
                ]
            )

        total = sum(int(b["amount"]) for b in billed)
        rows.append(
            {
                "subscription_id": c["subscription_id"],
                "member_id": c["member_id"],
                "plan": plan,
                "fee": int(fee),
                "started_on": start,
                "cancelled": cancelled,
                "cancel_reason": c["cancel_reason"] if cancelled else None,
                "duration_days": (end - start).days,
                "duration_months": whole_months(start, end),
                "commitment_months_left": left,
                "segment": member["segment"],
                "age_band": age_band(None if born is None else whole_years(born, end)),
                "months_billed": len(billed),
                "total_billed": total,
                "mean_bill": total / len(billed) if billed else float("nan"),
                "recent_months": len(window),
                "usage_mean": float(np.mean(list(used.values()))) if used else float("nan"),
                "usage_slope": _slope([(-k, v) for k, v in used.items()]),
                "usage_drop_share": len(drops) / len(pairs) if pairs else float("nan"),
                "bill_slope": _slope([(-k, float(b["amount"])) for k, b in window.items()]),
                "plan_changes": len(mine),
                "downgrades": sum(ch["fee_after"] < ch["fee_before"] for ch in mine),
                "upgrades": sum(ch["fee_after"] > ch["fee_before"] for ch in mine),
                "cases": len(opened),
                "nps_last": latest("nps"),
                **{f"driver_{d}": latest("driver_rating", d) for d in DRIVERS},
            }
        )
    frame = pd.DataFrame(rows)
    frame["commitment_months_left"] = frame["commitment_months_left"].astype("Int64")
    for name in (
        "subscription_id",
        "member_id",
        "plan",
        "cancel_reason",
        "segment",
        "age_band",
        "started_on",
    ):
        frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    return frame.sort_values("subscription_id", kind="stable").reset_index(drop=True)
