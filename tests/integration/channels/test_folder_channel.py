"""The mailbox folder channel (the demo's and a developer's stand-in for SMTP and SMS)."""

from __future__ import annotations

from pathlib import Path

from regulars.channels import Delivery
from regulars.channels.folder import FolderChannel


def test_the_folder_channel_writes_each_delivery_once_readably(tmp_path: Path) -> None:
    channel = FolderChannel(tmp_path / "email", "email")
    message = Delivery(
        "evt_7",
        "reward.issued",
        recipient="=?utf-8?b?7J6l7ZWY7KSA?= <m1@example.com>",
        subject="리워드",
        text="본문",
    )
    assert channel.send(message).ok
    assert channel.send(message).ok  # a retry rewrites the same file
    [written] = (tmp_path / "email").iterdir()
    assert written.name == "evt_7.txt"
    text = written.read_text(encoding="utf-8")
    assert text.startswith("To: 장하준 <m1@example.com>\n")
    assert "Subject: 리워드" in text
    assert text.rstrip().endswith("본문")
