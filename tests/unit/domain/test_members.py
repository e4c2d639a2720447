from datetime import UTC, datetime

from regulars.domain.members import ConsentEvent, ContactChannel, current_consent, may_contact


def at(day: int) -> datetime:
    return datetime(2026, 1, day, tzinfo=UTC)


def test_no_history_means_no_consent() -> None:
    assert current_consent([]) == dict.fromkeys(ContactChannel, False)


def test_the_latest_event_wins_whatever_the_order_given() -> None:
    events = [
        ConsentEvent(ContactChannel.EMAIL, False, at(3), "app"),
        ConsentEvent(ContactChannel.EMAIL, True, at(1), "signup"),
        ConsentEvent(ContactChannel.SMS, True, at(2), "pos"),
    ]
    assert not may_contact(events, ContactChannel.EMAIL)
    assert may_contact(events, ContactChannel.SMS)
    assert not may_contact(events, ContactChannel.PUSH)
