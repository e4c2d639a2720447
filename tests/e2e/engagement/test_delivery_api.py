"""``/v1/webhooks`` and ``/v1/deliveries`` over HTTP, delivering to a real receiver."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from tests.integration.channels.peers import HttpReceiver
from tests.integration.channels.test_webhook_delivery import verify

from regulars.bootstrap import App
from regulars.store import outbox


def test_webhooks_are_registered_pinged_rotated_and_switched(
    client: TestClient, admin: dict[str, str], receiver: HttpReceiver
) -> None:
    created = client.post(
        "/v1/webhooks",
        json={"url": receiver.url, "events": ["points.*", "case.opened"]},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    endpoint = created.json()
    assert endpoint["secret"].startswith("whsec_")
    assert endpoint["events"] == ["points.*", "case.opened"]
    listed = client.get("/v1/webhooks", headers=admin).json()["endpoints"]
    assert [e["id"] for e in listed] == [endpoint["id"]]
    assert "secret" not in listed[0]
    assert "whsec_" not in json.dumps(listed)

    ping = client.post(f"/v1/webhooks/{endpoint['id']}/ping", headers=admin).json()
    assert ping == {"delivered": True, "status": "delivered", "peer_status": 200, "reason": None}
    assert verify(endpoint["secret"], receiver.requests[-1])

    rotated = client.post(f"/v1/webhooks/{endpoint['id']}/rotate", headers=admin).json()
    assert rotated["secret"] != endpoint["secret"]
    assert rotated["previous_secret_valid_until"] is not None
    client.post(f"/v1/webhooks/{endpoint['id']}/ping", headers=admin)
    assert verify(endpoint["secret"], receiver.requests[-1])
    assert verify(rotated["secret"], receiver.requests[-1])

    disabled = client.post(f"/v1/webhooks/{endpoint['id']}/disable", headers=admin).json()
    assert disabled["enabled"] is False
    enabled = client.post(f"/v1/webhooks/{endpoint['id']}/enable", headers=admin).json()
    assert enabled["enabled"] is True


def test_webhooks_need_the_admin_scope_and_a_usable_url(
    client: TestClient, admin: dict[str, str], pos: dict[str, str]
) -> None:
    assert client.get("/v1/webhooks", headers=pos).status_code == 403
    assert client.get("/v1/deliveries/status", headers=pos).status_code == 403
    bad = client.post("/v1/webhooks", json={"url": "ftp://example.com/"}, headers=admin)
    assert bad.status_code == 422
    assert "only http and https" in bad.json()["error"]["message"]
    pattern = client.post(
        "/v1/webhooks", json={"url": "https://example.com/", "events": ["Points!"]}, headers=admin
    )
    assert pattern.status_code == 422
    assert client.post("/v1/webhooks/99/ping", headers=admin).status_code == 404


def test_private_urls_are_refused_when_not_allowed(
    client: TestClient, app: App, admin: dict[str, str]
) -> None:
    app.settings = app.settings.__class__(database_url=app.settings.database_url)
    refused = client.post("/v1/webhooks", json={"url": "http://192.168.0.10/h"}, headers=admin)
    assert refused.status_code == 422
    assert "REGULARS_WEBHOOK_ALLOW_PRIVATE" in refused.json()["error"]["message"]


def test_status_failed_and_replay(
    client: TestClient, app: App, admin: dict[str, str], receiver: HttpReceiver
) -> None:
    client.post("/v1/webhooks", json={"url": receiver.url}, headers=admin)
    with app.unit_of_work() as uow:
        outbox.enqueue(uow.connection, "points.earned", {"points": 10})
        outbox.enqueue(uow.connection, "tier.changed", {"new": "gold"})
        uow.commit()
    receiver.answer_next(200, 404)  # a 404 fails for good
    with app.delivery_worker() as worker:
        worker.drain()
    status = client.get("/v1/deliveries/status", headers=admin).json()
    assert status == {
        "channels": {"webhook": {"pending": 0, "sent": 1, "failed": 0, "dead": 1}},
        "undispatched": 0,
    }
    [dead] = client.get("/v1/deliveries/failed", headers=admin).json()["deliveries"]
    assert (dead["topic"], dead["state"], dead["peer_status"]) == ("tier.changed", "dead", 404)
    replayed = client.post(f"/v1/deliveries/{dead['id']}/replay", headers=admin)
    assert replayed.json()["state"] == "pending"
    with app.delivery_worker() as worker:
        worker.drain()
    assert client.get(f"/v1/deliveries/{dead['id']}", headers=admin).json()["state"] == "sent"
    sent = client.post(f"/v1/deliveries/{dead['id']}/replay", headers=admin)
    assert sent.status_code == 409
