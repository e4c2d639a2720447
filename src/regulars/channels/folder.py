"""A mailbox folder: every delivery written as a text file, one per delivery id.

For a demo, a staging system or a developer without an SMTP server or SMS gateway: set the
folder and read what members would have received. Writing the same delivery again (a
retry) rewrites the same file, so the folder holds each message once.
"""

from __future__ import annotations

from email.header import decode_header, make_header
from pathlib import Path

from regulars.channels.base import Channel, Delivery, Outcome


class FolderChannel(Channel):
    """Writes ``<folder>/<delivery id>.txt``: recipient, subject, then the text."""

    def __init__(self, folder: Path, name: str = "folder") -> None:
        self.folder = folder
        self.name = name

    def send(self, delivery: Delivery) -> Outcome:
        self.folder.mkdir(parents=True, exist_ok=True)
        recipient = str(make_header(decode_header(delivery.recipient)))  # "=?utf-8?…" names
        lines = [f"To: {recipient}", f"Topic: {delivery.topic}"]
        if delivery.subject:
            lines.append(f"Subject: {delivery.subject}")
        text = "\n".join(lines) + "\n\n" + (delivery.text or "") + "\n"
        try:
            (self.folder / f"{delivery.id}.txt").write_text(text, encoding="utf-8")
        except OSError as error:
            return Outcome.retry(f"cannot write to {self.folder}: {error}")
        return Outcome.delivered()
