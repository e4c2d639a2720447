"""The Idempotency-Key rules on the in-memory unit of work: one run per key, the same answer
replayed, a different body refused; the answer is remembered in the request's transaction."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.unit.services.fake_unit_of_work import FakeUnitOfWork

from regulars.api.idempotency import idempotent
from regulars.services.errors import Conflict
from regulars.store.idempotency import RememberedAnswer

BODY = {"purchase_id": "P1", "lines": [{"amount": 10000}]}


class Counter:
    def __init__(self) -> None:
        self.runs = 0

    def __call__(self) -> tuple[int, Any]:
        self.runs += 1
        return 201, {"run": self.runs}


def test_without_a_key_every_request_runs_and_commits() -> None:
    uow, run = FakeUnitOfWork(), Counter()
    for _ in range(2):
        response = idempotent(uow, None, 1, "POST", "/v1/purchases", BODY, run)
        assert response.status_code == 201
    assert run.runs == 2
    assert uow.committed
    assert uow.idempotency.answers == {}


def test_the_same_key_and_body_replays_the_first_answer() -> None:
    uow, run = FakeUnitOfWork(), Counter()
    first = idempotent(uow, "till-3-0001", 1, "POST", "/v1/purchases", BODY, run)
    assert uow.committed
    replay = idempotent(uow, "till-3-0001", 1, "POST", "/v1/purchases", dict(BODY), run)
    assert run.runs == 1
    assert (replay.status_code, replay.body) == (first.status_code, first.body)
    assert json.loads(replay.body) == {"run": 1}
    assert replay.headers["Idempotent-Replayed"] == "true"
    # Keys belong to one API key: another caller's same key runs anew.
    idempotent(uow, "till-3-0001", 2, "POST", "/v1/purchases", BODY, run)
    assert run.runs == 2


def test_the_same_key_with_another_body_or_path_is_a_conflict() -> None:
    uow, run = FakeUnitOfWork(), Counter()
    idempotent(uow, "k", 1, "POST", "/v1/purchases", BODY, run)
    with pytest.raises(Conflict, match="different request body"):
        idempotent(uow, "k", 1, "POST", "/v1/purchases", {**BODY, "purchase_id": "P2"}, run)
    with pytest.raises(Conflict, match="different request body"):
        idempotent(uow, "k", 1, "POST", "/v1/members", BODY, run)
    with pytest.raises(Conflict, match="at most 200 characters"):
        idempotent(uow, "k" * 201, 1, "POST", "/v1/purchases", BODY, run)
    assert run.runs == 1


def test_a_failed_run_remembers_nothing() -> None:
    uow = FakeUnitOfWork()

    def failing() -> tuple[int, Any]:
        raise Conflict("no")

    with uow, pytest.raises(Conflict):
        idempotent(uow, "k", 1, "POST", "/v1/purchases", BODY, failing)
    assert uow.idempotency.find("k", 1) is None
    assert not uow.committed


def test_losing_the_race_answers_with_what_the_winner_committed() -> None:
    uow, run = FakeUnitOfWork(), Counter()

    def another_request_committed_first(key: str, api_key_id: int, **fields: Any) -> bool:
        winner = RememberedAnswer(fields["request_hash"], 201, json.dumps({"run": "winner"}))
        uow.committed_state["idempotency"][(key, api_key_id)] = winner
        return False

    uow.idempotency.remember = another_request_committed_first  # type: ignore[method-assign]
    replay = idempotent(uow, "k", 1, "POST", "/v1/purchases", BODY, run)
    assert run.runs == 1  # ours ran, and was rolled back
    assert json.loads(replay.body) == {"run": "winner"}
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert not uow.committed
