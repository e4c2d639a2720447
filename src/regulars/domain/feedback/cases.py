"""Closing the loop: what an NPS answer calls for, and the life of a detractor's case."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from regulars.domain.feedback.nps import NpsClass

DEFAULT_CASE_DUE = timedelta(hours=48)


class FollowUp(StrEnum):
    """What an NPS answer calls for (the brief, section 5)."""

    OPEN_CASE = "open_case"
    """A detractor: a case for the responsible store or department, until the customer is
    at least neutral again."""
    INVITE_REFERRAL = "invite_referral"
    """A promoter: ask them to recommend us to a friend."""
    ASK_TO_10 = "ask_to_10"
    """A passive who has not said what would make it a 10: ask them."""
    NONE = "none"


def follow_up(nps_class: NpsClass, told_what_makes_a_10: bool) -> FollowUp:
    """The follow-up an NPS answer of this class needs (the class is computed once, where
    the answer comes in).

    >>> follow_up(NpsClass.DETRACTOR, True), follow_up(NpsClass.PASSIVE, False)
    (<FollowUp.OPEN_CASE: 'open_case'>, <FollowUp.ASK_TO_10: 'ask_to_10'>)
    >>> follow_up(NpsClass.PASSIVE, True), follow_up(NpsClass.PROMOTER, False)
    (<FollowUp.NONE: 'none'>, <FollowUp.INVITE_REFERRAL: 'invite_referral'>)
    """
    if nps_class is NpsClass.DETRACTOR:
        return FollowUp.OPEN_CASE
    if nps_class is NpsClass.PROMOTER:
        return FollowUp.INVITE_REFERRAL
    return FollowUp.NONE if told_what_makes_a_10 else FollowUp.ASK_TO_10


class CaseStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"


CASE_TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.OPEN: frozenset({CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED, CaseStatus.CLOSED}),
    CaseStatus.IN_PROGRESS: frozenset({CaseStatus.OPEN, CaseStatus.RESOLVED, CaseStatus.CLOSED}),
    CaseStatus.RESOLVED: frozenset({CaseStatus.CLOSED, CaseStatus.IN_PROGRESS}),
    CaseStatus.CLOSED: frozenset({CaseStatus.IN_PROGRESS}),
}
"""Where a case may go from each status; a closed case may be reopened (to in progress)."""


def may_move(current: CaseStatus, target: CaseStatus) -> bool:
    return target == current or target in CASE_TRANSITIONS[current]


def case_due_at(opened_at: datetime, due_in: timedelta = DEFAULT_CASE_DUE) -> datetime:
    """When a case opened at ``opened_at`` must be handled by."""
    return opened_at + due_in


def is_closed(status: CaseStatus) -> bool:
    return status in (CaseStatus.RESOLVED, CaseStatus.CLOSED)
