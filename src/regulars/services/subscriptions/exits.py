"""The exit survey: asked when a contract is cancelled, answered on the answer page (or
recorded by a call centre through the API).

A survey of kind ``exit`` (``regulars feedback define``, ``PUT /v1/surveys/{code}``) is sent
through the ordinary invitation path — :class:`~regulars.services.feedback.dispatch.
Dispatch`: sampling, consent, the member's language, an invitation with a signed single-use
link, a message in the outbox that the delivery worker sends — to the members of contracts
cancelled in the last ``lookback`` days (default 30), once per contract and survey
(dedupe key ``<survey>:exit:<contract>``). A cancellation rarely comes twice, so the
cooldown between surveys is 0 by default: a member asked about a purchase last week is still
asked why they left. The invitation is linked to its contract, so the page's answer lands on
it. A cancellation recorded through the API invites at once; after a file import, run
``regulars subscriptions invite-exits`` (idempotent: cron may run it daily). A cancellation
dated in the future is invited once its day has come.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from regulars.domain.feedback.surveys import SurveyDefinition, SurveyKind
from regulars.domain.subscriptions.exits import ExitAnswer
from regulars.services.errors import Invalid, NotFound
from regulars.services.feedback.dispatch import Dispatch, DispatchReport
from regulars.store.feedback import candidates
from regulars.store.feedback import surveys as survey_store
from regulars.store.subscriptions import contracts as contract_store
from regulars.store.subscriptions import exits as exit_store
from regulars.store.unit_of_work import UnitOfWork

DEFAULT_LOOKBACK_DAYS = 30
OCCASION = "cancellation"


def exit_surveys(uow: UnitOfWork) -> list[str]:
    """The codes of the active exit surveys."""
    codes = []
    for row in survey_store.list_surveys(uow.connection):
        definition = SurveyDefinition.from_json(row["definition"])
        if definition.kind is SurveyKind.EXIT and definition.active and row["active"]:
            codes.append(str(row["code"]))
    return codes


def invite_after_cancellations(
    uow: UnitOfWork,
    now: datetime,
    *,
    secret: str,
    base_url: str,
    timezone: str,
    survey: str | None = None,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    cooldown: timedelta = timedelta(0),
    subscriptions: list[str] | None = None,
) -> DispatchReport:
    """Invite the members of contracts cancelled in the last ``lookback_days`` (today in
    ``timezone`` included) to ``survey`` (default: every active exit survey; none defined,
    nobody is invited); only the contracts of ``subscriptions`` when given."""
    if lookback_days < 0:
        raise Invalid("lookback_days must not be negative")
    codes = [survey] if survey else exit_surveys(uow)
    today = now.astimezone(ZoneInfo(timezone)).date()
    first = max(date.min, today - timedelta(days=lookback_days))
    cancelled = contract_store.cancelled_between(uow.connection, first, today, subscriptions)
    total = DispatchReport()
    for code in codes:
        dispatch = Dispatch(uow, code, now, secret, base_url, cooldown)
        if dispatch.definition.kind is not SurveyKind.EXIT:
            raise Invalid(f"survey {code!r} is not an exit survey (give it kind: exit)")
        dispatch.load_history(sorted({int(c["member_id"]) for c in cancelled}))
        for contract in cancelled:
            key = f"{code}:exit:{contract['external_id']}"
            invited = dispatch.invite(int(contract["member_id"]), key, key, now, {}, OCCASION)
            if invited is not None:
                exit_store.link_invitation(uow.connection, invited, int(contract["id"]))
        total.invited += dispatch.report.invited
        total.skipped.update(dispatch.report.skipped)
        total.links += dispatch.report.links
    return total


def record_exit(
    uow: UnitOfWork,
    subscription_id: int,
    answer: ExitAnswer,
    *,
    response_id: str,
    language: str,
    collected_at: datetime,
    source: str,
    survey_id: int | None = None,
) -> bool:
    """Store why the member of a contract left; False when the response was stored before."""
    return exit_store.add_answer(
        uow.connection,
        {
            "response_id": response_id,
            "subscription_id": subscription_id,
            "survey_id": survey_id,
            "reason": answer.reason.value,
            "competitor": answer.competitor,
            "comment": answer.comment,
            "language": language,
            "collected_at": collected_at,
            "source": source,
        },
    )


def record_from_link(
    uow: UnitOfWork,
    invitation_id: int,
    survey_id: int,
    language: str,
    answer: ExitAnswer,
    response_id: str,
    now: datetime,
) -> bool:
    """The answer page's exit answer, on the contract its invitation asks about."""
    contract = exit_store.contract_of_invitation(uow.connection, invitation_id)
    if contract is None:  # an exit survey's link made before it was an exit survey
        return False
    return record_exit(
        uow,
        contract,
        answer,
        response_id=response_id,
        language=language,
        collected_at=now,
        source="link",
        survey_id=survey_id,
    )


def record_from_api(
    uow: UnitOfWork,
    external_id: str,
    answer: ExitAnswer,
    *,
    response_id: str | None,
    language: str | None,
    collected_at: datetime,
) -> dict[str, Any]:
    """A stated reason recorded for a contract (a call centre, a shop): idempotent by
    ``response_id`` (default ``api-exit-<contract>``, one answer per contract)."""
    stored = contract_store.stored(uow.connection, [external_id]).get(external_id)
    if stored is None:
        raise NotFound(f"no contract with id {external_id!r}")
    if stored["cancelled_on"] is None:
        raise Invalid(
            f"contract {external_id!r} is not cancelled: record its cancellation first",
            [{"field": "subscription_id", "value": external_id, "reason": "is not cancelled"}],
        )
    response = response_id or f"api-exit-{external_id}"
    member = int(stored["member_id"])
    locale = language or candidates.member_locales(uow.connection, [member]).get(member, "ko")
    added = record_exit(
        uow,
        int(stored["id"]),
        answer,
        response_id=response,
        language=locale,
        collected_at=collected_at,
        source="api",
    )
    return {"response_id": response, "added": added}
