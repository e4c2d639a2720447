"""What moved, in sentences: the NPS, the average check and returning customers, this
period against the one before (:mod:`regulars.services.briefing.periods`).

A sentence says "rose" or "fell" only when the period's test rejects "no change" at 5 %;
"held" when the figure, as shown, did not move; otherwise that the change is within the
margin and not significant. A period with nothing to compare says so instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from regulars.analytics.changes import Change
from regulars.services.briefing.periods import Movements
from regulars.services.briefing.values import (
    Count,
    Money,
    Percent,
    PercentPoints,
    PValue,
    Range,
    Score,
    Sentence,
    Term,
    Value,
    rounded,
)


def _verdict(change: Change) -> str:
    """``rose`` / ``fell`` only when the test says so; ``steady`` when the figure shows no
    change; ``within_margin`` otherwise."""
    if change.significant:
        return "rose" if change.difference > 0 else "fell"
    return "within_margin"


def nps_sentences(movements: Movements, overall: Mapping[str, Any]) -> list[Sentence]:
    m = movements.nps
    change, days = m.change, Count(movements.current.days)
    found: list[Sentence] = []
    if m.after.n == 0:
        found.append(Sentence("summary.nps.no_answers", {"days": days}))
    elif m.before.n == 0:
        found.append(
            Sentence(
                "summary.nps.only_now",
                {
                    "nps": Score(m.after.nps),
                    "interval": Range(Score(m.after.low), Score(m.after.high)),
                    "n": Count(m.after.n),
                    "days": days,
                },
            )
        )
    else:
        verdict = _verdict(change)
        if verdict == "within_margin" and rounded(m.before.nps) == rounded(m.after.nps):
            verdict = "steady"
        found.append(
            Sentence(
                f"summary.nps.{verdict}",
                {
                    "before": Score(m.before.nps),
                    "after": Score(m.after.nps),
                    "change": Score(change.difference, signed=True),
                    "interval": Range(
                        Score(change.low, signed=True), Score(change.high, signed=True)
                    ),
                    "p": PValue(change.p_value),
                    "n_before": Count(m.before.n),
                    "n_after": Count(m.after.n),
                },
            )
        )
    n = int(overall.get("n") or 0)
    if n:
        found.append(
            Sentence(
                "summary.nps.overall",
                {
                    "nps": Score(float(overall["nps"])),
                    "interval": Range(Score(float(overall["low"])), Score(float(overall["high"]))),
                    "n": Count(n),
                    "band": Term(f"band.{overall['band']}"),
                },
            )
        )
        against = overall.get("against_benchmark")
        if overall.get("benchmark") is not None and against in ("above", "below", "not different"):
            key = "not_different" if against == "not different" else against
            found.append(
                Sentence(
                    f"summary.nps.benchmark_{key}",
                    {"benchmark": Score(float(overall["benchmark"]))},
                )
            )
    return found


def check_sentence(movements: Movements) -> Sentence:
    change, days = movements.average_check, Count(movements.current.days)
    if change.n_after == 0:
        return Sentence("summary.check.no_sales", {"days": days})
    if change.n_before == 0 or change.significant is None:
        return Sentence(
            "summary.check.only_now",
            {"after": Money(round(change.after)), "sales": Count(change.n_after), "days": days},
        )
    verdict = _verdict(change)
    if verdict == "within_margin" and rounded(change.before) == rounded(change.after):
        verdict = "steady"
    growth = 100 * (change.after / change.before - 1) if change.before else float("nan")
    return Sentence(
        f"summary.check.{verdict}",
        {
            "before": Money(round(change.before)),
            "after": Money(round(change.after)),
            "growth": Percent(growth, signed=True),
            "p": PValue(change.p_value),
            "n_before": Count(change.n_before),
            "n_after": Count(change.n_after),
        },
    )


def returning_sentence(movements: Movements) -> Sentence:
    change, days = movements.returning, Count(movements.current.days)
    if change.n_after == 0:
        return Sentence("summary.returning.no_buyers", {"days": days})
    values: dict[str, Value] = {
        "after": Percent(change.after),
        "buyers": Count(change.n_after),
        "returning": Count(movements.returning_members[1]),
        "days": days,
    }
    if change.n_before == 0 or change.significant is None:
        return Sentence("summary.returning.only_now", values)
    verdict = _verdict(change)
    if verdict == "within_margin" and round(change.before, 1) == round(change.after, 1):
        verdict = "steady"
    return Sentence(
        f"summary.returning.{verdict}",
        {
            **values,
            "before": Percent(change.before),
            "change": PercentPoints(change.difference),
            "p": PValue(change.p_value),
        },
    )
