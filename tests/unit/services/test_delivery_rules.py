"""The delivery rules that need no I/O: event type patterns, backoff, sealed secrets."""

from __future__ import annotations

import pytest

from regulars.services.engagement.retries import Policy
from regulars.services.engagement.sealing import Sealer, UnreadableSecret
from regulars.services.engagement.webhooks import parse_events, wants
from regulars.services.errors import Invalid


def test_patterns_are_parsed_and_matched() -> None:
    assert parse_events("points.*, feedback.case_opened") == ("points.*", "feedback.case_opened")
    assert parse_events(None) == ("*",)
    assert wants(("*",), "anything.at_all")
    assert wants(("points.*",), "points.expiring_soon")
    assert not wants(("points.*",), "pointsx.earned")
    assert not wants(("feedback.case_opened",), "feedback.case_closed")
    for bad in ("Points.*", "points..earned", "points earned", "*.*x"):
        with pytest.raises(Invalid):
            parse_events(bad)


def test_backoff_is_full_jitter_capped_and_honours_retry_after() -> None:
    policy = Policy(backoff_seconds=30, backoff_max_seconds=3600)
    ceilings = [policy.backoff(n, uniform=lambda: 1.0) for n in range(1, 10)]
    assert ceilings == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert policy.backoff(5, uniform=lambda: 0.0) == 0.0
    assert policy.backoff(1, retry_after=600, uniform=lambda: 0.5) == 600
    assert policy.backoff(1, retry_after=10**9, uniform=lambda: 0.5) == 86_400
    waits = {policy.backoff(3) for _ in range(50)}
    assert len(waits) > 40  # jittered
    assert all(0 <= wait <= 120 for wait in waits)


def test_sealed_secrets_open_only_with_the_same_key() -> None:
    sealed = Sealer("key one").seal("whsec_c2VjcmV0")
    assert "whsec_" not in sealed
    assert Sealer("key one").open(sealed) == "whsec_c2VjcmV0"
    assert Sealer("key one").seal("whsec_c2VjcmV0") != sealed  # fresh IV each time
    with pytest.raises(UnreadableSecret):
        Sealer("key two").open(sealed)
