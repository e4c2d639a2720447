"""Closing the loop: what follows an NPS answer, and the follow-up cases of detractors.

Every detractor (0-6) opens a case for the store or department responsible for the
experience, due :data:`~regulars.domain.feedback.cases.DEFAULT_CASE_DUE` later, handled
until the customer is at least neutral again. Promoters are invited to refer a friend and
passives who did not say what would make it a 10 are asked, through a channel they
consented to and only while the answer is fresh (:data:`MESSAGE_WINDOW`): an import of last
year's phone survey opens cases but sends nobody a message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from regulars.domain.feedback.cases import (
    DEFAULT_CASE_DUE,
    CaseStatus,
    FollowUp,
    case_due_at,
    follow_up,
    is_closed,
    may_move,
)
from regulars.domain.feedback.nps import NpsClass, classify
from regulars.domain.members import ContactChannel
from regulars.domain.times import as_utc
from regulars.services.errors import Invalid, NotFound
from regulars.store import members as member_store
from regulars.store import outbox
from regulars.store.feedback import answers as answer_store
from regulars.store.feedback import cases as case_store
from regulars.store.unit_of_work import UnitOfWork

MESSAGE_WINDOW = timedelta(days=14)
CHANNEL_PREFERENCE = (ContactChannel.EMAIL, ContactChannel.SMS, ContactChannel.PUSH)


def first_consented(state: dict[tuple[int, str], bool], member_id: int) -> str | None:
    """The first channel (email, SMS, push) the member consents to, or None; ``state`` is
    :func:`regulars.store.members.consent_state`'s answer."""
    for channel in CHANNEL_PREFERENCE:
        if state.get((member_id, channel.value), False):
            return channel.value
    return None


def consented_channel(uow: UnitOfWork, member_id: int) -> str | None:
    """The first channel (email, SMS, push) the member consents to now, or None."""
    return first_consented(member_store.consent_state(uow.connection, [member_id]), member_id)


def follow_up_responses(
    uow: UnitOfWork,
    response_ids: Sequence[str],
    now: datetime,
    due_in: timedelta | None = None,
    nps_classes: Mapping[str, NpsClass] | None = None,
) -> dict[str, FollowUp]:
    """Open the cases and queue the messages that new responses call for; say which.

    ``nps_classes`` holds the classes already computed where the answers came in (the
    answer page); the score of any other response is classified here.
    """
    if not response_ids:
        return {}
    connection = uow.connection
    known = nps_classes or {}
    done: dict[str, FollowUp] = {}
    case_rows = []
    for answer in answer_store.nps_answers(connection, response_ids):
        response_id = answer["response_id"]
        nps_class = known.get(response_id) or classify(answer["value"])
        action = follow_up(nps_class, bool(answer["to_10"]))
        done[response_id] = action
        if action is FollowUp.OPEN_CASE:
            case_rows.append(
                {
                    "response_id": response_id,
                    "survey_id": answer["survey_id"],
                    "member_id": answer["member_id"],
                    "score": int(answer["value"]),
                    "reason": answer["why"],
                    "store_id": answer["store_id"],
                    "department_id": answer["department_id"],
                    "employee_id": answer["employee_id"],
                    "status": CaseStatus.OPEN.value,
                    "owner": None,
                    "opened_at": now,
                    "due_at": case_due_at(now, due_in or DEFAULT_CASE_DUE),
                    "updated_at": now,
                }
            )
            continue
        member_id = answer["member_id"]
        fresh = now - as_utc(answer["collected_at"]) <= MESSAGE_WINDOW
        if action is FollowUp.NONE or member_id is None or not fresh:
            continue
        channel = consented_channel(uow, int(member_id))
        if channel is None:
            continue
        topic = (
            "feedback.referral_invite"
            if action is FollowUp.INVITE_REFERRAL
            else "feedback.ask_what_makes_a_10"
        )
        payload = {
            "response_id": response_id,
            "language": answer["language"],
            "score": answer["value"],
            "member_id": answer["member_external_id"],
        }
        if action is FollowUp.INVITE_REFERRAL:
            # the loyalty engine pays the referral bonus once the friend, registered with
            # POST /v1/loyalty/referrals {referrer, referee}, has bought
            payload["referral"] = {"referrer": answer["member_external_id"]}
        outbox.enqueue(
            connection,
            topic,
            payload,
            member_id=int(member_id),
            channel=channel,
            dedupe_key=f"{topic}:{response_id}",
            now=now,
        )
    if case_rows:
        case_store.insert_cases(connection, case_rows)
        opened = case_store.case_ids_by_response(connection, [r["response_id"] for r in case_rows])
        for row in case_rows:
            response_id = row["response_id"]
            outbox.enqueue(
                connection,
                "feedback.case_opened",
                {"case_id": opened[response_id], "response_id": response_id, "score": row["score"]},
                dedupe_key=f"feedback.case_opened:{response_id}",
                now=now,
            )
    return done


def _case_dict(row: Any, notes: list[Any] | None = None) -> dict[str, Any]:
    shown = {
        "id": int(row["id"]),
        "response_id": row["response_id"],
        "survey": row["survey"],
        "member_id": row["member"],
        "score": row["score"],
        "reason": row["reason"],
        "store": row["store"],
        "department": row["department"],
        "employee": row["employee"],
        "status": row["status"],
        "owner": row["owner"],
        "opened_at": as_utc(row["opened_at"]),
        "due_at": as_utc(row["due_at"]),
        "updated_at": as_utc(row["updated_at"]),
        "closed_at": as_utc(row["closed_at"]),
    }
    if notes is not None:
        shown["notes"] = [
            {"at": as_utc(n["at"]), "author": n["author"], "text": n["text"]} for n in notes
        ]
    return shown


def list_cases(
    uow: UnitOfWork,
    *,
    status: Sequence[str] = (),
    store: str | None = None,
    department: str | None = None,
    overdue_at: datetime | None = None,
    after: int = 0,
    limit: int = 100,
    owner: str | None = None,
) -> list[dict[str, Any]]:
    """Cases, oldest first; ``overdue_at`` keeps those due before it and still open;
    ``owner`` keeps one owner's (``""``: the unassigned)."""
    wanted = [CaseStatus(s).value for s in status]
    if overdue_at is not None and not wanted:
        wanted = [CaseStatus.OPEN.value, CaseStatus.IN_PROGRESS.value]
    rows = case_store.cases(
        uow.connection,
        statuses=wanted,
        store=store,
        department=department,
        overdue_at=overdue_at,
        after_id=after,
        limit=limit,
        owner=owner,
    )
    return [_case_dict(r) for r in rows]


def get_case(uow: UnitOfWork, case_id: int) -> dict[str, Any]:
    row = case_store.case(uow.connection, case_id)
    if row is None:
        raise NotFound(f"no follow-up case {case_id}")
    return _case_dict(row, case_store.case_notes(uow.connection, case_id))


def update_case(
    uow: UnitOfWork,
    case_id: int,
    now: datetime,
    *,
    status: str | None = None,
    owner: str | None = None,
    note: str | None = None,
    author: str = "staff",
) -> dict[str, Any]:
    """Move a case, give it an owner, add a note; Invalid names a move that is not allowed."""
    row = case_store.case(uow.connection, case_id)
    if row is None:
        raise NotFound(f"no follow-up case {case_id}")
    changes: dict[str, Any] = {"updated_at": now}
    current = CaseStatus(row["status"])
    if status is not None:
        try:
            target = CaseStatus(status)
        except ValueError:
            choices = ", ".join(s.value for s in CaseStatus)
            raise Invalid(f"status must be one of {choices}, not {status!r}") from None
        if not may_move(current, target):
            raise Invalid(f"a case cannot go from {current.value} to {target.value}")
        changes["status"] = target.value
        changes["closed_at"] = now if is_closed(target) else None
    if owner is not None:
        changes["owner"] = owner.strip() or None
    if note is not None and not note.strip():
        raise Invalid("a note needs some text")
    case_store.update_case(uow.connection, case_id, changes)
    if note:
        case_store.add_case_note(uow.connection, case_id, now, author, note.strip())
    return get_case(uow, case_id)
