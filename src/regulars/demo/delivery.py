"""The demo's deliveries: everything the demo business decided, sent.

A local webhook receiver (started here, on 127.0.0.1) subscribes to every event, and member
messages are written to a mailbox folder (``demo-output/mailbox/email`` and ``…/sms``)
instead of a real SMTP server or SMS gateway; then the delivery worker drains the outbox
exactly as ``regulars deliver --once`` would. What arrived is counted by kind.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections import Counter
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from regulars.bootstrap import App
from regulars.channels.folder import FolderChannel
from regulars.services.engagement import deliveries, webhooks


class _Receiver(BaseHTTPRequestHandler):
    topics: Counter[str]
    lock = threading.Lock()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        topic = str(json.loads(body or b"{}").get("type", "?"))
        with self.lock:
            self.topics[topic] += 1
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:  # quiet
        return


def deliver_everything(app: App, mailbox: Path, now: datetime) -> dict[str, Any]:
    """Register a local receiver for every event, drain the outbox at ``now``; return what
    arrived at the receiver (by event type), in the mailbox (by channel) and the delivery
    counts per channel and state."""
    received: Counter[str] = Counter()
    handler = type("DemoReceiver", (_Receiver,), {"topics": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app = dataclasses.replace(
        app, settings=dataclasses.replace(app.settings, webhook_allow_private=True)
    )
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/regulars"
        with app.unit_of_work() as uow:
            webhooks.add(uow, app.sealer, url, now, events="*", allow_private=True)
            uow.commit()
        with app.delivery_worker() as worker:
            worker.channels["email"] = FolderChannel(mailbox / "email", "email")
            worker.channels["sms"] = FolderChannel(mailbox / "sms", "sms")
            worker.clock = lambda: now
            worker.drain()
        with app.unit_of_work() as uow:
            status = deliveries.status(uow)
    finally:
        server.shutdown()
        server.server_close()
    written = {
        channel: len(list((mailbox / channel).glob("*.txt"))) for channel in ("email", "sms")
    }
    return {"webhook": dict(received), "mailbox": written, "status": status}
