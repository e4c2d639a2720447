"""How an HTTP peer's answer becomes an :class:`~regulars.channels.base.Outcome`.

Shared by the webhook and SMS channels, following the Standard Webhooks retry advice:
2xx is delivered; 408, 429 and 5xx are worth retrying (after ``Retry-After`` when the peer
sent one); any other status — a 4xx, or a redirect, which is never followed — fails for good.
A timeout or a broken connection is retryable; a URL that cannot be used at all is not.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from regulars.channels.base import Outcome

RETRYABLE_STATUSES = frozenset({408, 425, 429})
REASON_CHARS = 200  # how much of a peer's answer is kept as the reason


def outcome_of(response: httpx.Response, body: bytes = b"") -> Outcome:
    """The outcome of a peer's answer; the start of its ``body`` goes into the reason."""
    status = response.status_code
    if 200 <= status < 300:
        return Outcome.delivered(status)
    reason = f"HTTP {status} {response.reason_phrase}".rstrip()
    excerpt = body[: REASON_CHARS * 4].decode("utf-8", "replace").strip()[:REASON_CHARS]
    if excerpt:
        reason += f": {excerpt}"
    if status in RETRYABLE_STATUSES or status >= 500:
        return Outcome.retry(reason, status, retry_after(response.headers.get("retry-after")))
    if 300 <= status < 400:
        location = response.headers.get("location")
        reason += " (redirects are not followed; register the final URL"
        reason += f" {location})" if location else ")"
    return Outcome.failed(reason, status)


def outcome_of_error(error: httpx.HTTPError) -> Outcome:
    """The outcome of a request that got no answer."""
    if isinstance(error, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return Outcome.failed(f"unusable URL: {error}")
    kind = type(error).__name__
    return Outcome.retry(f"{kind}: {error}" if str(error) else kind)


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay-seconds or an HTTP date).

    >>> retry_after("120")
    120.0
    >>> retry_after("Wed, 21 Oct 2026 07:28:10 GMT", datetime(2026, 10, 21, 7, 28, tzinfo=UTC))
    10.0
    >>> retry_after("soon") is None
    True
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


def read_body(response: httpx.Response, cap: int = 64 * 1024) -> bytes:
    """A streamed response's body, up to ``cap`` bytes.

    A body is read to its end (so the connection can be kept for the next request) unless it
    passes ``cap``: a peer cannot make the worker read without end.
    """
    received = bytearray()
    for chunk in response.iter_bytes():
        received += chunk
        if len(received) >= cap:
            break
    return bytes(received[:cap])
