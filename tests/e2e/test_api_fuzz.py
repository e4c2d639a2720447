"""Fuzzing the whole API: schemathesis over the OpenAPI document, on SQLite and PostgreSQL.

Every operation the document declares gets generated requests, both valid ones and ones
that break the schema (wrong types, numbers past the bounds, NUL bytes, missing fields),
sent in-process to the ASGI app with an admin key. Each answer must be no server error,
carry a status the document declares for that operation, in the declared content type,
matching the declared schema (the one error shape included). The run is bounded (a few
examples per operation, derandomised) so that it fits the suite's time on both databases.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from regulars.api import create_api
from regulars.bootstrap import App
from tests.e2e.conftest import make_key

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 30
FUZZ = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _seed(app: App, client_headers: dict[str, str]) -> None:
    """A member, a purchase, a program and a survey, so that requests reach past 404."""
    from fastapi.testclient import TestClient

    with TestClient(create_api(app)) as client:
        client.post("/v1/members", json={"member_id": "M1", "name": "Kim"}, headers=client_headers)
        client.post(
            "/v1/purchases",
            json={
                "purchase_id": "P1",
                "member_id": "M1",
                "occurred_at": "2026-03-01T10:00:00+09:00",
                "lines": [{"product": "latte", "amount": 4500}],
            },
            headers=client_headers,
        )


def _failures(error: BaseException) -> list[Failure]:
    if isinstance(error, FailureGroup):
        return [f for e in error.exceptions for f in _failures(e)]
    if isinstance(error, Failure):
        return [error]
    raise error


def _fuzz(operation: Any, headers: dict[str, str], found: dict[tuple[str, str, str], str]) -> None:
    """Send one operation its generated requests; record each distinct failure in ``found``."""
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @FUZZ
    @given(case=cases)
    def exercise(case: Any) -> None:
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except (Failure, FailureGroup) as error:
            for failure in _failures(error):
                key = (operation.label, type(failure).__name__, failure.title)
                found.setdefault(key, f"{failure.message}\n{case.as_curl_command()}")
        except Exception as error:  # the app raised: a server error that never got an answer
            key = (operation.label, "ServerError", type(error).__name__)
            found.setdefault(key, f"{error}\n{case.as_curl_command()}")

    exercise()


@pytest.mark.slow
def test_no_request_breaks_the_api_contract(app: App) -> None:
    api = create_api(app)
    headers = {"Authorization": f"Bearer {make_key(app, 'admin')}"}
    _seed(app, headers)
    schema = schemathesis.openapi.from_asgi("/openapi.json", api)
    found: dict[tuple[str, str, str], str] = {}
    operations = 0

    for result in schema.get_all_operations():
        _fuzz(result.ok(), headers, found)
        operations += 1

    assert operations >= 30, "the fuzzing did not find the API's operations"
    report = "\n\n".join(
        f"{label} — {title}: {detail}" for (label, _, title), detail in found.items()
    )
    assert not found, f"{len(found)} distinct failure(s):\n{report}"
