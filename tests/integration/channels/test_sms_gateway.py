"""SMS through a real HTTP gateway stand-in on 127.0.0.1, in the request shape configured."""

from __future__ import annotations

import json

from tests.integration.channels.peers import Answer, HttpReceiver

from regulars.channels.base import Delivery, Status
from regulars.channels.sms import SmsChannel, SmsGateway


def _gateway(receiver: HttpReceiver) -> SmsGateway:
    return SmsGateway(
        url=receiver.url + "/v1/messages",
        sender="0212345678",
        auth_header="X-Api-Key",
        auth_value="key-123",
        to_field="receiver",
        from_field="sender",
        text_field="msg",
        type_field="msg_type",
        subject_field="title",
        reference_field="message_id",
        extra={"testmode": "Y"},
    )


def test_a_korean_sms_in_the_configured_shape(receiver: HttpReceiver) -> None:
    receiver.answer_next(Answer(200, {"content-type": "application/json"}, b'{"message_id": 991}'))
    delivery = Delivery(
        "evt_5", "points.earned", recipient="01012345678", text="[단골커피] 300점 적립"
    )
    with SmsChannel(_gateway(receiver)) as channel:
        outcome = channel.send(delivery)
    assert outcome.ok
    assert outcome.reference == "991"
    [request] = receiver.requests
    assert request.path == "/v1/messages"
    assert request.headers["x-api-key"] == "key-123"
    assert request.headers["idempotency-key"] == "evt_5"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.body) == {
        "testmode": "Y",
        "receiver": "01012345678",
        "sender": "0212345678",
        "msg": "[단골커피] 300점 적립",
        "msg_type": "SMS",
    }


def test_a_long_text_goes_as_lms_with_its_subject(receiver: HttpReceiver) -> None:
    text = "지난 방문은 어떠셨나요? " * 8  # 8 × 24 = 192 bytes
    delivery = Delivery("evt_6", "survey.invitation", "01012345678", subject="설문", text=text)
    with SmsChannel(_gateway(receiver)) as channel:
        assert channel.send(delivery).ok
    body = json.loads(receiver.requests[0].body)
    assert (body["msg_type"], body["title"], body["msg"]) == ("LMS", "설문", text)


def test_a_text_longer_than_an_lms_is_refused_before_sending(receiver: HttpReceiver) -> None:
    with SmsChannel(_gateway(receiver)) as channel:
        outcome = channel.send(Delivery("evt_7", "t", "01012345678", text="가" * 1001))
    assert outcome.status is Status.FAILED
    assert "2002 bytes" in outcome.reason
    assert receiver.requests == []


def test_gateway_errors(receiver: HttpReceiver) -> None:
    receiver.answer_next(
        Answer(503, body=b"upstream carrier down"),
        Answer(400, body='{"error": "잘못된 번호"}'.encode()),
    )
    with SmsChannel(_gateway(receiver)) as channel:
        busy = channel.send(Delivery("evt_8", "t", "01012345678", text="hi"))
        wrong = channel.send(Delivery("evt_9", "t", "0101234", text="hi"))
        fine = channel.send(Delivery("evt_8", "t", "01012345678", text="hi"))
    assert (busy.status, busy.peer_status) == (Status.RETRY, 503)
    assert (wrong.status, wrong.peer_status) == (Status.FAILED, 400)
    assert "잘못된 번호" in wrong.reason
    assert fine.ok
    assert fine.reference is None  # the default answer has no message_id field


def test_a_message_without_number_or_text_is_not_sent(receiver: HttpReceiver) -> None:
    with SmsChannel(_gateway(receiver)) as channel:
        assert channel.send(Delivery("1", "t", "", text="hi")).status is Status.FAILED
        assert channel.send(Delivery("2", "t", "010", text="")).status is Status.FAILED
    assert receiver.requests == []
