"""Standard Webhooks signatures: the spec's published vector, several secrets, secret rules.

The expected values are computed here with the standard library's HMAC, independently of
the ``standardwebhooks`` package that production signs with.
"""

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta, timezone

import pytest

from regulars.channels.webhook import (
    WebhookEndpoint,
    active_secrets,
    check_secret,
    new_secret,
    signature_headers,
)

# The test vector published with the Standard Webhooks specification (and Svix's docs).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def _hmac_signature(secret: str, message_id: str, timestamp: str, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def test_the_spec_test_vector() -> None:
    moment = datetime.fromtimestamp(SPEC_TIMESTAMP, UTC)
    headers = signature_headers(SPEC_ID, SPEC_BODY, [SPEC_SECRET], moment)
    assert headers == {
        "webhook-id": SPEC_ID,
        "webhook-timestamp": str(SPEC_TIMESTAMP),
        "webhook-signature": SPEC_SIGNATURE,
    }
    assert _hmac_signature(SPEC_SECRET, SPEC_ID, str(SPEC_TIMESTAMP), SPEC_BODY) == SPEC_SIGNATURE


def test_a_time_in_another_zone_is_signed_as_the_same_moment() -> None:
    seoul = datetime.fromtimestamp(SPEC_TIMESTAMP, timezone(timedelta(hours=9)))
    assert signature_headers(SPEC_ID, SPEC_BODY, [SPEC_SECRET], seoul)["webhook-signature"] == (
        SPEC_SIGNATURE
    )


def test_every_secret_signs_during_a_rotation() -> None:
    old, new = new_secret(), new_secret()
    body = '{"data":{"comment":"좋아요"}}'.encode()
    headers = signature_headers("evt_1", body, [new, old], datetime(2026, 1, 1, tzinfo=UTC))
    signatures = headers["webhook-signature"].split(" ")
    assert signatures == [
        _hmac_signature(secret, "evt_1", headers["webhook-timestamp"], body)
        for secret in (new, old)
    ]


def test_signing_needs_a_secret() -> None:
    with pytest.raises(ValueError, match="at least one secret"):
        signature_headers("evt_1", b"{}", [], datetime(2026, 1, 1, tzinfo=UTC))


def test_new_secrets_are_whsec_and_32_random_bytes() -> None:
    secrets = {new_secret() for _ in range(20)}
    assert len(secrets) == 20
    for secret in secrets:
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
        check_secret(secret)


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "starts with"),
        ("whsec_not base64!", "base64"),
        ("whsec_" + base64.b64encode(b"short").decode(), "at least 24"),
    ],
)
def test_weak_or_malformed_secrets_are_refused(secret: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        check_secret(secret)


def test_an_old_secret_signs_until_its_window_closes() -> None:
    now = datetime(2026, 5, 1, 12, tzinfo=UTC)
    keys = [("new", None), ("old", now + timedelta(hours=24)), ("older", now - timedelta(days=1))]
    assert active_secrets(keys, now) == ("new", "old")
    assert active_secrets(keys, now + timedelta(days=2)) == ("new",)
    naive_end = [("old", datetime(2026, 5, 1, 13))]  # naive means UTC, as in the store
    assert active_secrets(naive_end, now) == ("old",)


def test_an_endpoint_does_not_show_its_secrets() -> None:
    endpoint = WebhookEndpoint("https://hooks.example/x", (SPEC_SECRET,))
    assert SPEC_SECRET not in repr(endpoint)
