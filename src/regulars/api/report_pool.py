"""The process where reports and model fits run, away from the worker that serves requests.

The loyalty report, the other ``/v1/analytics`` answers and a score recomputation take
seconds of CPU, and some of that time is spent in native code that holds the interpreter
lock all along (the Korean tokenizer of the comment themes holds it for seconds at a time).
Run in the serving process, even on a thread, such work starves every other thread of it:
uvicorn's health ping goes unanswered and the supervisor kills a worker that was only busy
(``regulars serve --workers 2``). So the endpoints hand that work to a small process pool
and await it: the serving process keeps its event loop, its threads and its lock free.

Each task names a *use case* (a function of :data:`USE_CASES`) and its arguments; the pool's
process builds an :class:`~regulars.bootstrap.App` from the same settings (one per store,
kept), runs the use case in a unit of work of its own, commits it when the use case writes,
and sends back the JSON-ready answer. A business error (a :class:`ServiceError`) travels
back whole, so the API answers it as if it had been raised in the request.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, date, datetime
from typing import Any

from regulars.api.times import wire_times
from regulars.bootstrap import App, build
from regulars.config import Settings
from regulars.services.errors import ServiceError
from regulars.store.unit_of_work import UnitOfWork

POOL_SIZE = int(os.environ.get("REGULARS_REPORT_PROCESSES", "1") or 1)
"""How many report processes each serving worker keeps (``REGULARS_REPORT_PROCESSES``)."""


def _report(
    uow: UnitOfWork,
    as_of: date | None,
    benchmark: float | None,
    min_answers: int,
    *,
    language: str,
    period_days: int = 30,
    timezone: str = "Asia/Seoul",
    currency: str = "KRW",
) -> Any:
    from regulars.analytics.report import ReportOptions
    from regulars.services.briefing.build import BriefingOptions, briefing
    from regulars.services.briefing.document import briefing_json
    from regulars.services.briefing.formatting import Formatter
    from regulars.services.errors import Invalid

    options = BriefingOptions(
        ReportOptions(benchmark=benchmark, min_answers=min_answers), period_days
    )
    found = briefing(uow, datetime.now(UTC), timezone=timezone, as_of=as_of, options=options)
    try:
        formatter = Formatter(language, timezone, currency)
    except ValueError as error:  # REGULARS_REPORT_LANGUAGE set to a language we do not speak
        raise Invalid(str(error)) from None
    return briefing_json(found, formatter)


def _console_feedback(
    uow: UnitOfWork, *, language: str, timezone: str, currency: str = "KRW"
) -> Any:
    """The staff console's Feedback page: the briefing's feedback sections as HTML pieces."""
    from regulars.services.briefing.build import briefing
    from regulars.services.briefing.formatting import Formatter
    from regulars.services.briefing.page import feedback_blocks

    found = briefing(uow, datetime.now(UTC), timezone=timezone)
    formatter = Formatter(language, timezone, currency)
    return {
        "as_of": found.as_of.isoformat(),
        "period": formatter.say(found.summary.period),
        "empty": found.empty,
        "blocks": [] if found.empty else feedback_blocks(found, formatter),
    }


def _compute_scores(uow: UnitOfWork, timezone: str, **options: Any) -> Any:
    """Members' analytics first (committed even if the models cannot be fitted yet), then
    the scores, both stamped with the same time."""
    from regulars.services import member_analytics, scores

    now = datetime.now(UTC)
    written = member_analytics.compute_member_analytics(uow, now, timezone=timezone)
    try:
        run = scores.compute_scores(uow, now, timezone=timezone, **options)
    except ServiceError:
        uow.commit()  # the analytics stand on their own
        raise
    uow.commit()
    return wire_times({**run.__dict__, "analytics": written.__dict__})


def _churn_reasons(uow: UnitOfWork, **options: Any) -> Any:
    from regulars.services.subscriptions import analysis

    return analysis.reasons(uow, **options)


def _analytics(name: str) -> Callable[..., Any]:
    def use_case(uow: UnitOfWork, *args: Any, **kwargs: Any) -> Any:
        from regulars.services import analytics

        return getattr(analytics, name)(uow, *args, **kwargs)

    return use_case


USE_CASES: dict[str, Callable[..., Any]] = {
    "report": _report,
    "console_feedback": _console_feedback,
    "nps_summary": _analytics("nps_summary"),
    "nps_comparison": _analytics("nps_comparison"),
    "driver_analysis": _analytics("driver_analysis"),
    "comment_themes": _analytics("comment_themes"),
    "staff_leaderboard": _analytics("staff_leaderboard"),
    "compute_scores": _compute_scores,
    "churn_reasons": _churn_reasons,
}

_apps: dict[Settings, App] = {}


def _run(settings: Settings, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """In the pool's process: run one use case; a business error comes back as a value."""
    app = _apps.get(settings)
    if app is None:
        app = _apps[settings] = build(settings, migrate_schema=False)
    try:
        with app.unit_of_work() as uow:
            return ("ok", USE_CASES[name](uow, *args, **kwargs))
    except ServiceError as error:
        return ("error", type(error), error.message, error.details)


_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ProcessPoolExecutor:
    """This serving process's pool, started on first use (spawned: never a fork of a process
    that runs threads)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            context = multiprocessing.get_context("spawn")
            _pool = ProcessPoolExecutor(max_workers=max(1, POOL_SIZE), mp_context=context)
        return _pool


async def run_apart(settings: Settings, name: str, *args: Any, **kwargs: Any) -> Any:
    """Run the use case ``name`` in the report process and await its answer."""
    global _pool
    pool = _executor()
    try:
        outcome = await asyncio.wrap_future(pool.submit(_run, settings, name, args, kwargs))
    except BrokenProcessPool:  # its process died (killed, out of memory): start a new one
        with _pool_lock:
            if _pool is pool:
                _pool = None
        raise
    if outcome[0] == "error":
        _, kind, message, details = outcome
        raise kind(message, details)
    return outcome[1]
