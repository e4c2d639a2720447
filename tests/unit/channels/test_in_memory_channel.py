"""The in-memory twin: what it records, how it fails on request, and that threads may share it."""

from concurrent.futures import ThreadPoolExecutor

from regulars.channels import Channel, Delivery, InMemoryChannel, Outcome, Status


def _delivery(number: int) -> Delivery:
    return Delivery(str(number), "points.earned", data={"points": number})


def test_it_records_every_attempt_and_every_delivery() -> None:
    channel = InMemoryChannel("webhook")
    assert isinstance(channel, Channel)
    assert channel.name == "webhook"
    channel.fail_next(3)
    outcomes = [channel.send(_delivery(1)) for _ in range(4)]
    assert [outcome.status for outcome in outcomes] == [Status.RETRY] * 3 + [Status.DELIVERED]
    assert len(channel.attempts) == 4
    assert channel.sent == [_delivery(1)]


def test_it_answers_with_the_outcome_it_was_given() -> None:
    channel = InMemoryChannel()
    channel.fail_next(1, Outcome.failed("HTTP 410 Gone", 410))
    outcome = channel.send(_delivery(1))
    assert (outcome.status, outcome.peer_status, outcome.reason) == (
        Status.FAILED,
        410,
        "HTTP 410 Gone",
    )
    assert not outcome.ok
    assert not outcome.retryable
    assert channel.sent == []
    assert channel.send(_delivery(1)).ok


def test_threads_may_share_it() -> None:
    channel = InMemoryChannel()
    channel.fail_next(50)
    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(channel.send, [_delivery(n) for n in range(400)]))
    assert sum(outcome.retryable for outcome in outcomes) == 50
    assert len(channel.sent) == 350
    assert len(channel.attempts) == 400


def test_it_is_a_context_manager_that_closes() -> None:
    with InMemoryChannel() as channel:
        channel.send(_delivery(1))
    assert channel.closed
