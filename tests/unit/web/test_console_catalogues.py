"""The console's catalogues: the same keys and placeholders in every language, and every
key a template names is in them."""

from __future__ import annotations

import re
from pathlib import Path

from regulars.web.console.rendering import LOCALES, messages
from regulars.web.messages import LANGUAGES, catalogue

TEMPLATES = Path(LOCALES).with_name("templates")
PYTHON = Path(LOCALES).parent


def test_every_language_has_every_key_and_placeholder() -> None:
    reference = catalogue("en", LOCALES)
    for language in LANGUAGES:
        texts = catalogue(language, LOCALES)
        assert set(texts) == set(reference), language
        for key, text in texts.items():
            assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", reference[key]))
            assert text.strip(), (language, key)


def test_every_key_named_in_a_template_or_a_page_exists() -> None:
    texts = catalogue("en", LOCALES)
    named: set[str] = set()
    pages = [p for p in PYTHON.glob("*.py") if p.name != "rendering.py"]  # its doc: t("key")
    for path in [*TEMPLATES.glob("*.html"), *pages]:
        source = path.read_text(encoding="utf-8")
        named |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_.]+)["']\s*[,)]""", source))
        named |= set(re.findall(r"""ConsoleRefusal\(\d+, "([a-z0-9_]+)"\)""", source))
    missing = sorted(k for k in named if k not in texts)
    assert missing == []
    assert len(named) > 150  # the scan found the templates' words


def test_dynamic_keys_of_every_value() -> None:
    t = messages("ko")
    for prefix, values in {
        "status_": ("open", "in_progress", "resolved", "closed"),
        "role_": ("owner", "manager", "staff", "analyst"),
        "state_": ("active", "paused", "ended"),
        "txn_": ("earn", "bonus", "release", "redeem", "expire", "reverse", "adjust"),
        "voucher_": ("issued", "redeemed", "revoked", "expired"),
        "matched_": ("phone", "email", "card", "member_id", "name"),
        "nav_": ("today", "members", "cases", "feedback", "programs", "campaigns", "settings"),
        "privilege_": ("priority_service", "personal_manager", "closed_club", "special_prices"),
    }.items():
        for value in values:
            assert t.has(prefix + value), prefix + value
