"""The exit survey's own question: "why are you leaving?", answered once per cancelled
contract — a reason (:data:`~regulars.domain.subscriptions.contracts.EXIT_REASONS`), the
competitor whose offer the member took (free text, optional) and a comment.

The answer page reads it from its form fields (:func:`read_exit_form`); the API from a
body. A survey of kind ``exit`` asks it first, then whatever else it defines (an NPS
question, driver ratings), which are stored with the other survey answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from regulars.domain.subscriptions.contracts import COMPETITOR, EXIT_REASONS, CancelReason

REASON_FIELD = "exit_reason"
COMPETITOR_FIELD = "exit_competitor"
COMMENT_FIELD = "exit_comment"
MAX_COMMENT = 5_000
CHOICES = tuple(r.value for r in EXIT_REASONS)


class ExitReason(StrEnum):
    """The answers to "why are you leaving?" (the reasons of a cancellation a member gives)."""

    PRICE = "price"
    NETWORK = "network"
    SERVICE = "service"
    COMPETITOR = "competitor"
    MOVING = "moving"
    OTHER = "other"


@dataclass(frozen=True)
class ExitAnswer:
    """Why a member left: a reason, the competitor named (if any), a comment (if any)."""

    reason: CancelReason
    competitor: str | None = None
    comment: str | None = None

    def __post_init__(self) -> None:
        if self.reason not in EXIT_REASONS:
            raise ValueError(f"reason: must be one of {', '.join(CHOICES)}")


def _text(value: str | None, limit: int) -> str | None:
    cleaned = (value or "").strip()[:limit].strip()
    return cleaned or None


def read_exit_form(form: Mapping[str, str]) -> tuple[ExitAnswer | None, dict[str, str]]:
    """The exit answer of a submitted page, or the problems keyed by form field (message ids
    of the page's catalogue). A competitor's name and the comment are kept as typed, cut to
    their lengths.

    >>> read_exit_form({"exit_reason": "competitor", "exit_competitor": " SKT "})[0]
    ExitAnswer(reason=<CancelReason.COMPETITOR: 'competitor'>, competitor='SKT', comment=None)
    >>> read_exit_form({})
    (None, {'exit_reason': 'error_exit_reason'})
    """
    chosen = (form.get(REASON_FIELD) or "").strip().lower()
    if not chosen:
        return None, {REASON_FIELD: "error_exit_reason"}
    if chosen not in CHOICES:
        return None, {REASON_FIELD: "error_choice"}
    return (
        ExitAnswer(
            CancelReason(chosen),
            _text(form.get(COMPETITOR_FIELD), COMPETITOR),
            _text(form.get(COMMENT_FIELD), MAX_COMMENT),
        ),
        {},
    )
