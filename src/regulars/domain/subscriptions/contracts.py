"""Contracts, plans, plan changes and monthly bills: what each record is, and the rules its
fields keep.

A **plan** is an entry of the operator's catalogue (a code, a name, its list fee per month).
A **contract** (a subscription: a telecom line, a membership) belongs to one member for its
whole life; it is signed on a plan at a monthly fee (minor units, integers) on
``started_on``, may commit the member until ``committed_until``, and ends when it is
cancelled on ``cancelled_on`` — with the reason the operator recorded and, when the member
went to a competitor (a number ported out), the competitor's name. A **plan change** moves
a contract from one plan and fee to another on a day; the contract's own plan and fee are the
ones it was *signed on*, so the plan in force on a day is the last change's ``to_plan`` on or
before it, else the contract's plan. A **bill** is one month of a contract: the amount
billed (minor units) and its usage figures (data in GB, voice minutes, a generic quantity).

Dates are calendar days (a "day" in ``REGULARS_TIMEZONE``); a bill's month is written
``YYYY-MM`` (or any day of it, ``YYYY-MM-DD``) and stored as its first day.

The fields of each record are stated here once as :class:`~regulars.domain.fields.Field`
rules (plus the date and decimal fields, which the file checks read by their own parsers),
and the rules between fields as reasons the checks give.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from regulars.domain.bounds import MAX_AMOUNT, MAX_COMMITMENT_MONTHS
from regulars.domain.fields import Field
from regulars.domain.purchases import CODE, SalesChannel


class CancelReason(StrEnum):
    """Why a contract was cancelled: the reasons a member gives in the exit survey, and
    ``non_payment`` (involuntary: the operator ended it), which only the operator records."""

    PRICE = "price"
    NETWORK = "network"
    SERVICE = "service"
    COMPETITOR = "competitor"
    MOVING = "moving"
    OTHER = "other"
    NON_PAYMENT = "non_payment"


EXIT_REASONS = tuple(r for r in CancelReason if r is not CancelReason.NON_PAYMENT)
"""What a member may answer to "why are you leaving?": price, network quality, service
quality, a competitor's offer, moving, other."""

NAME = 200
COMPETITOR = 100
DEVICE = 100
CHOICES_OF_REASON = tuple(r.value for r in CancelReason)
CHANNELS = tuple(c.value for c in SalesChannel)

PLAN_FIELDS = (
    Field("code", required=True, max_length=CODE),
    Field("name", required=True, max_length=NAME),
    Field("category", max_length=CODE),
    Field("monthly_fee", required=True, whole=True, minimum=0, maximum=MAX_AMOUNT),
    Field("commitment_months", whole=True, minimum=0, maximum=MAX_COMMITMENT_MONTHS),
)
"""A plan of the catalogue: ``category`` is free (mobile, internet, tv, bundle…)."""

CONTRACT_FIELDS = (
    Field("subscription_id", required=True, max_length=CODE),
    Field("member_id", required=True, max_length=CODE),
    Field("plan", required=True, max_length=CODE),
    Field("competitor", max_length=COMPETITOR),
    Field("device", max_length=DEVICE),
    Field("cancel_reason", choices=CHOICES_OF_REASON),
    Field("channel", choices=CHANNELS),
    Field("monthly_fee", required=True, whole=True, minimum=0, maximum=MAX_AMOUNT),
)
CONTRACT_DATES = ("started_on", "committed_until", "cancelled_on")
CONTRACT_REQUIRED_DATES = ("started_on",)

CHANGE_FIELDS = (
    Field("change_id", max_length=CODE),
    Field("subscription_id", required=True, max_length=CODE),
    Field("from_plan", required=True, max_length=CODE),
    Field("to_plan", required=True, max_length=CODE),
    Field("fee_before", required=True, whole=True, minimum=0, maximum=MAX_AMOUNT),
    Field("fee_after", required=True, whole=True, minimum=0, maximum=MAX_AMOUNT),
)
CHANGE_DATES = ("changed_on",)

BILL_FIELDS = (
    Field("subscription_id", required=True, max_length=CODE),
    Field("member_id", max_length=CODE),
    Field("amount", required=True, whole=True, maximum=MAX_AMOUNT),
)
BILL_USAGE = ("data_gb", "voice_minutes", "usage")
"""A bill's usage figures: decimal numbers from 0 (blank: not measured)."""
BILL_MONTH = "month"

# --- What the checks say when a rule between fields is broken ---------------------------------

BEFORE_START = "is before the contract's start"
ONLY_WHEN_CANCELLED = "is only for a cancelled contract (give cancelled_on)"
CHANGES_NOTHING = "changes nothing: the same plan at the same fee"
UNKNOWN_MEMBER = "no member with this id (import members first)"
UNKNOWN_CONTRACT = "no contract with this id (import subscriptions first)"
OTHER_MEMBER = "belongs to another member: a contract does not change hands"
NOT_A_MONTH = "is not a month (expected YYYY-MM, e.g. 2026-03)"
NOT_A_NUMBER = "is not a number"
TWICE_IN_FILE = "appears more than once in the file; the first is kept"


def after_cancellation(cancelled_on: date) -> str:
    """Why a plan change dated after the contract ended is refused."""
    return f"is after the contract was cancelled on {cancelled_on.isoformat()}"


def before_start_month(started_on: date) -> str:
    return f"is before the contract's first month ({started_on.strftime('%Y-%m')})"


def default_change_id(subscription_id: str, changed_on: date, to_plan: str) -> str:
    """The id of a plan change a file gives none: the contract, the day and the new plan
    (what makes a re-import of the same change add nothing).

    >>> default_change_id("L-1", date(2026, 3, 1), "5G-basic")
    'L-1:2026-03-01:5G-basic'
    """
    return f"{subscription_id}:{changed_on.isoformat()}:{to_plan}"


def is_downgrade(fee_before: int, fee_after: int) -> bool:
    """A plan change is a downgrade when the member pays less afterwards.

    >>> is_downgrade(55000, 33000), is_downgrade(33000, 55000)
    (True, False)
    """
    return fee_after < fee_before
