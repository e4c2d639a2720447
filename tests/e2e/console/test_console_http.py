"""The console over HTTP (in-process, both databases): CSRF and Origin checks, cookies
(Secure behind HTTPS), the throttle's message, roles and scopes answering 403, unknown routes,
the docs' headers, and programs paused, resumed and ended through the API (audited)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from regulars.api import create_api
from regulars.bootstrap import App
from regulars.services import audit
from regulars.services.loyalty import accounts as loyalty
from tests.e2e.conftest import make_key
from tests.e2e.console.seed import MANAGER_S01, OWNER, PASSWORD, STAFF, Seeded, seed

CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


@pytest.fixture
def seeded(app: App) -> Seeded:
    return seed(app)


@pytest.fixture
def client(app: App, seeded: Seeded) -> Iterator[TestClient]:
    with TestClient(create_api(app), follow_redirects=False) as test_client:
        yield test_client


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign in like a browser; return the CSRF token of the signed-in pages."""
    page = client.get("/console/sign-in")
    token = CSRF.search(page.text)
    assert token is not None
    answer = client.post(
        "/console/sign-in", data={"email": email, "password": password, "csrf": token[1]}
    )
    assert answer.status_code == 303, answer.text
    members = client.get("/console/members")
    found = CSRF.search(members.text) or CSRF.search(client.get("/console/settings").text)
    assert found is not None
    return found[1]


def test_a_post_without_the_sessions_token_or_from_another_site_changes_nothing(
    app: App, client: TestClient
) -> None:
    csrf = sign_in(client, OWNER)
    with app.unit_of_work() as uow:
        balance = loyalty.balances(uow, "M-1003")["programs"]
    form = {"program": "beans", "points": "100", "reason": "test", "once": "one"}
    for sent, headers in (
        (form, {}),
        ({**form, "csrf": "0" * 64}, {}),
        ({**form, "csrf": csrf}, {"Origin": "https://evil.example"}),
    ):
        answer = client.post("/console/members/M-1003/adjust", data=sent, headers=headers)
        assert answer.status_code == 403, answer.text
        assert "text/html" in answer.headers["content-type"]
    with app.unit_of_work() as uow:
        assert loyalty.balances(uow, "M-1003")["programs"] == balance
    good = client.post("/console/members/M-1003/adjust", data={**form, "csrf": csrf})
    assert good.status_code == 303
    again = client.post("/console/members/M-1003/adjust", data={**form, "csrf": csrf})
    assert again.status_code == 303  # the same form twice adjusts once (its "once" key)
    with app.unit_of_work() as uow:
        [beans] = [
            a for a in loyalty.balances(uow, "M-1003")["programs"] if a["program"] == "beans"
        ]
        adjusted = [e for e in audit.entries(uow) if e["action"] == "points.adjust"]
    assert beans["balance"] == 100
    assert len(adjusted) == 1


def test_sign_in_needs_its_cookie_and_token_and_is_throttled_with_a_clear_message(
    client: TestClient,
) -> None:
    refused = client.post("/console/sign-in", data={"email": OWNER, "password": PASSWORD})
    assert refused.status_code == 403  # no signed double-submit token
    page = client.get("/console/sign-in?lang=en")
    token = CSRF.search(page.text)
    assert token is not None
    for _ in range(5):
        wrong = client.post(
            "/console/sign-in",
            data={"email": OWNER, "password": "wrong password", "csrf": token[1], "lang": "en"},
        )
        assert wrong.status_code == 401
        assert "do not match an active staff account" in wrong.text
    throttled = client.post(
        "/console/sign-in",
        data={"email": OWNER, "password": PASSWORD, "csrf": token[1], "lang": "en"},
    )
    assert throttled.status_code == 429
    assert re.search(
        r"Too many failed sign-ins for this account\. Try again after \d\d:\d\d", throttled.text
    )


def test_the_session_cookie_is_httponly_lax_and_secure_over_https(app: App, seeded: Seeded) -> None:
    def cookie_of(base_url: str, application: App) -> str:
        with TestClient(create_api(application), base_url=base_url, follow_redirects=False) as c:
            token = CSRF.search(c.get("/console/sign-in").text)
            assert token is not None
            answer = c.post(
                "/console/sign-in", data={"email": OWNER, "password": PASSWORD, "csrf": token[1]}
            )
            assert answer.status_code == 303
            return next(
                v
                for k, v in answer.headers.multi_items()
                if k == "set-cookie" and v.startswith("regulars_console=")
            )

    plain = cookie_of("http://testserver", app)
    assert "HttpOnly" in plain
    assert "SameSite=lax" in plain
    assert "Path=/console" in plain
    assert "Secure" not in plain
    assert "Secure" in cookie_of("https://testserver", app)  # the request came over HTTPS
    behind = App(replace(app.settings, public_url="https://coffee.example"))
    try:  # served as https:// (behind a proxy): the first cookie is Secure already
        with TestClient(create_api(behind), follow_redirects=False) as c:
            assert "Secure" in c.get("/console/sign-in").headers["set-cookie"]
    finally:
        behind.engine.dispose()


def test_roles_and_scopes_answer_403(client: TestClient, seeded: Seeded) -> None:
    csrf = sign_in(client, STAFF)
    assert client.get("/console/settings/keys").status_code == 403
    assert client.get("/console/audit").status_code == 403
    assert client.get("/console/members/M-1001/erase").status_code == 403
    assert client.post("/console/members/M-1001/erase", data={"csrf": csrf}).status_code == 403
    assert client.get(f"/console/cases/{seeded.case_s02}").status_code == 200  # all stores
    not_a_case = client.get("/console/cases/not-a-number")
    assert not_a_case.status_code == 404
    assert "text/html" in not_a_case.headers["content-type"]
    client.cookies.clear()
    csrf = sign_in(client, MANAGER_S01)
    assert client.get(f"/console/cases/{seeded.case_s02}").status_code == 403
    assert client.get(f"/console/cases/{seeded.case_s01}").status_code == 200
    # a store's manager does not pause the chain's program
    paused = client.post("/console/programs/beans/pause", data={"csrf": csrf})
    assert paused.status_code == 403


def test_unknown_routes_answer_an_html_page_in_the_console_and_json_elsewhere(
    client: TestClient,
) -> None:
    page = client.get("/console/no-such-page", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "콘솔에 그런 페이지가 없습니다" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for path in ("/v1/no-such-thing", "/no-such-thing", "/console-not"):
        answer = client.get(path)
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "not_found"
    wrong = client.put("/console/sign-in")
    assert wrong.status_code == 405
    assert wrong.headers["content-type"].startswith("text/html")
    assert client.get("/console/members").status_code == 303  # no session: to sign-in
    assert client.get("/console/sign-in?next=https://evil.example").status_code == 200
    assert "evil.example" not in client.get("/console/sign-in?next=//evil.example").text


def test_the_docs_pages_load_only_what_regulars_serves(client: TestClient) -> None:
    for path, asset in (("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")):
        page = client.get(path)
        assert page.status_code == 200
        policy = page.headers["content-security-policy"]
        assert "script-src 'self';" in policy
        assert "frame-ancestors 'none'" in policy
        assert "unsafe-eval" not in policy
        assert "<script>" not in page.text  # no inline script
        assert f'src="/docs-assets/{asset}"' in page.text
        assert client.get(f"/docs-assets/{asset}").status_code == 200


def test_programs_pause_resume_and_end_through_the_api_audited(
    app: App, client: TestClient
) -> None:
    admin = {"Authorization": f"Bearer {make_key(app, 'admin')}"}
    pos = {"Authorization": f"Bearer {make_key(app, 'pos')}"}
    assert client.post("/v1/programs/beans/pause", headers=pos).status_code == 403
    paused = client.post("/v1/programs/beans/pause", headers=admin)
    assert paused.status_code == 200
    assert paused.json()["state"] == "paused"
    assert client.post("/v1/programs/beans/pause", headers=admin).status_code == 409
    quote = client.post(
        "/v1/loyalty/quote",
        headers=pos,
        json={"member_id": "M-1001", "lines": [{"product": "latte", "amount": 5000}]},
    )
    assert [p["program"] for p in quote.json()["programs"]] == ["coffee-card"]  # no earning
    assert client.post("/v1/programs/beans/resume", headers=admin).json()["state"] == "active"
    ended = client.post("/v1/programs/beans/end", headers=admin)
    assert ended.json()["state"] == "ended"
    assert client.post("/v1/programs/beans/resume", headers=admin).status_code == 409
    program = client.get("/v1/programs/beans", headers=pos).json()
    assert program["state"] == "ended"
    assert [v["version"] for v in program["versions"]] == [1]
    reinstalled = client.post(
        "/v1/programs", headers=admin, json={**program["definition"], "name": "Again"}
    )
    assert reinstalled.status_code == 409
    assert client.post("/v1/programs/nope/pause", headers=admin).status_code == 404
    with app.unit_of_work() as uow:
        moves = [e for e in audit.entries(uow) if e["target_kind"] == "program"]
    assert [e["action"] for e in moves] == ["program.end", "program.resume", "program.pause"]
    assert moves[0]["actor_kind"] == "api_key"
    assert moves[0]["before"] == {"state": "active"}
    assert moves[0]["after"] == {"state": "ended"}
