"""The Net Promoter classes: the one definition of who is a detractor, a passive or a promoter.

The Net Promoter question is "How likely are you to recommend us to a friend, 0 to 10?";
detractors answer 0-6, passives 7-8, promoters 9-10 (Reichheld 2003, "The One Number You Need
to Grow", Harvard Business Review 81(12)). The scale starts at 0.

Everything that sorts answers into classes reads the bounds here: the answer page (which
thanks each class in its own words), the follow-up of an answer (a detractor opens a case)
and the analytics, whose vectorised :func:`regulars.analytics.nps.classify` is built on
:data:`DETRACTOR_HIGHEST` and :data:`PASSIVE_HIGHEST`.

>>> classify(6), classify(7), classify(10)
(<NpsClass.DETRACTOR: 'detractor'>, <NpsClass.PASSIVE: 'passive'>, <NpsClass.PROMOTER: 'promoter'>)
"""

from __future__ import annotations

from enum import StrEnum

LOWEST = 0
HIGHEST = 10
DETRACTOR_HIGHEST = 6
"""Answers from :data:`LOWEST` to this one are detractors."""
PASSIVE_HIGHEST = 8
"""Answers above :data:`DETRACTOR_HIGHEST` up to this one are passives; the rest, up to
:data:`HIGHEST`, promoters."""


class NpsClass(StrEnum):
    DETRACTOR = "detractor"
    PASSIVE = "passive"
    PROMOTER = "promoter"


def classify(score: int | float) -> NpsClass:
    """The NPS class of a 0-10 answer; raise ValueError outside the scale."""
    if not LOWEST <= score <= HIGHEST:
        raise ValueError(f"an NPS answer is {LOWEST} to {HIGHEST}, not {score}")
    if score <= DETRACTOR_HIGHEST:
        return NpsClass.DETRACTOR
    return NpsClass.PASSIVE if score <= PASSIVE_HIGHEST else NpsClass.PROMOTER
