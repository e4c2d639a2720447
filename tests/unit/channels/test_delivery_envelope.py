"""The envelope an event leaves in (webhook and broker bodies)."""

import json
from datetime import UTC, datetime, timedelta, timezone

from regulars.channels import Delivery

SEOUL = timezone(timedelta(hours=9))


def test_the_envelope_carries_id_type_time_and_data() -> None:
    delivery = Delivery(
        "evt_7",
        "feedback.detractor",
        data={"score": 2, "comment": "너무 늦어요"},
        occurred_at=datetime(2026, 3, 1, 9, 30, tzinfo=SEOUL),
    )
    assert delivery.envelope() == {
        "id": "evt_7",
        "type": "feedback.detractor",
        "timestamp": "2026-03-01T00:30:00+00:00",
        "data": {"score": 2, "comment": "너무 늦어요"},
    }
    body = delivery.body()
    assert "너무 늦어요".encode() in body  # UTF-8, not \\u escapes
    assert b" " not in body.replace("너무 늦어요".encode(), b"")  # compact
    assert json.loads(body) == delivery.envelope()


def test_a_value_json_cannot_hold_is_written_as_text() -> None:
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    assert json.loads(Delivery("1", "t", data={"at": moment}).body())["data"]["at"] == str(moment)
