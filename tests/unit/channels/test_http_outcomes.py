"""How HTTP answers and transport errors become outcomes (webhooks and the SMS gateway)."""

from datetime import UTC, datetime

import httpx
import pytest

from regulars.channels.base import Status
from regulars.channels.http_outcome import outcome_of, outcome_of_error, retry_after


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_2xx_is_delivered(status: int) -> None:
    outcome = outcome_of(httpx.Response(status))
    assert outcome.ok
    assert outcome.peer_status == status


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503, 504, 599])
def test_timeouts_throttling_and_server_errors_are_retried(status: int) -> None:
    outcome = outcome_of(httpx.Response(status), b"busy, try later")
    assert outcome.status is Status.RETRY
    assert outcome.peer_status == status
    assert outcome.reason.startswith(f"HTTP {status}")
    assert outcome.reason.endswith(": busy, try later")


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 413, 422])
def test_other_client_errors_fail_for_good(status: int) -> None:
    outcome = outcome_of(httpx.Response(status))
    assert outcome.status is Status.FAILED
    assert outcome.peer_status == status


def test_a_redirect_is_not_followed_and_says_where_it_pointed() -> None:
    outcome = outcome_of(httpx.Response(301, headers={"location": "https://new.example/hook"}))
    assert outcome.status is Status.FAILED
    assert "register the final URL https://new.example/hook" in outcome.reason


def test_retry_after_is_passed_on_in_seconds() -> None:
    assert outcome_of(httpx.Response(429, headers={"retry-after": "30"})).retry_after == 30.0
    assert outcome_of(httpx.Response(503)).retry_after is None


def test_retry_after_reads_both_forms() -> None:
    now = datetime(2026, 10, 21, 7, 28, tzinfo=UTC)
    assert retry_after("0") == 0.0
    assert retry_after(" 5 ") == 5.0
    assert retry_after("Wed, 21 Oct 2026 07:29:00 GMT", now) == 60.0
    assert retry_after("Wed, 21 Oct 2026 07:00:00 GMT", now) == 0.0  # already past
    assert retry_after("-3") is None
    assert retry_after("") is None
    assert retry_after(None) is None


def test_a_long_answer_is_cut_in_the_reason() -> None:
    outcome = outcome_of(httpx.Response(500), "오류".encode() * 1000)
    assert len(outcome.reason) < 260


def test_transport_errors_are_retried_but_an_unusable_url_is_not() -> None:
    request = httpx.Request("POST", "https://hooks.example/x")
    assert outcome_of_error(httpx.ConnectError("refused", request=request)).retryable
    assert outcome_of_error(httpx.ReadTimeout("slow", request=request)).retryable
    assert outcome_of_error(httpx.RemoteProtocolError("", request=request)).reason == (
        "RemoteProtocolError"
    )
    unusable = outcome_of_error(httpx.UnsupportedProtocol("ftp", request=request))
    assert unusable.status is Status.FAILED
