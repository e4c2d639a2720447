"""SMS length as Korean carriers count it, and the SMS/LMS choice at its edges."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from regulars.channels.base import Delivery
from regulars.channels.sms import (
    LMS_BYTES,
    SMS_BYTES,
    MessageTooLong,
    SmsGateway,
    carrier_length,
    message_kind,
)


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("", 0),
        ("hello", 5),
        ("안녕하세요", 10),
        ("[단골] 포인트 1,200점이 적립되었습니다.", 39),
        ("(광고) 10% off", 14),
        ("줄\n바꿈", 7),
        ("ＡＢ", 4),  # full-width Latin is 2 bytes in EUC-KR
        ("🎉", 2),  # not in CP949: counted as the 2-byte substitute
    ],
)
def test_carrier_length_counts_euc_kr_bytes(text: str, length: int) -> None:
    assert carrier_length(text) == length


_encodable = st.characters(min_codepoint=0x20, max_codepoint=0x7E) | st.characters(
    min_codepoint=0xAC00, max_codepoint=0xD7A3
)


@given(st.text(alphabet=_encodable, max_size=300))
def test_carrier_length_matches_the_cp949_encoding(text: str) -> None:
    """An independent count: the bytes Python's own CP949 codec produces."""
    assert carrier_length(text) == len(text.encode("cp949"))


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("a" * SMS_BYTES, "SMS"),
        ("a" * (SMS_BYTES + 1), "LMS"),
        ("가" * 45, "SMS"),
        ("가" * 44 + "ab", "SMS"),
        ("가" * 44 + "abc", "LMS"),
        ("가" * 46, "LMS"),
        ("a" * LMS_BYTES, "LMS"),
        ("가" * 1000, "LMS"),
        ("가" * 999 + "ab", "LMS"),
    ],
)
def test_message_kind_at_the_edges(text: str, kind: str) -> None:
    assert message_kind(text) == kind


@pytest.mark.parametrize("text", ["a" * (LMS_BYTES + 1), "가" * 1000 + "a", "가" * 1001])
def test_longer_than_an_lms_is_refused(text: str) -> None:
    with pytest.raises(MessageTooLong, match=f"{carrier_length(text)} bytes"):
        message_kind(text)


def test_the_gateway_request_follows_the_configured_shape() -> None:
    gateway = SmsGateway(
        url="https://sms.example/send",
        sender="0212345678",
        to_field="receiver",
        from_field="sender",
        text_field="msg",
        type_field="msg_type",
        subject_field="title",
        extra={"account": "shop-1"},
    )
    short = Delivery("1", "points.earned", recipient="01012345678", text="적립 완료")
    long = Delivery(
        "2", "survey.invitation", recipient="01012345678", subject="설문", text="가" * 50
    )
    assert gateway.request_body(short, message_kind(short.text)) == {
        "account": "shop-1",
        "receiver": "01012345678",
        "sender": "0212345678",
        "msg": "적립 완료",
        "msg_type": "SMS",
    }
    assert gateway.request_body(long, message_kind(long.text))["title"] == "설문"
    assert gateway.request_body(long, "LMS")["msg_type"] == "LMS"


def test_fields_a_gateway_does_not_take_are_left_out() -> None:
    gateway = SmsGateway(url="https://sms.example", sender="1", type_field=None, subject_field=None)
    body = gateway.request_body(
        Delivery("1", "t", recipient="2", subject="s", text="가" * 50), "LMS"
    )
    assert body == {"to": "2", "from": "1", "text": "가" * 50}
    assert "auth_value" not in repr(SmsGateway(url="u", sender="1", auth_value="secret"))
