"""Messages rendered from templates and catalogues, never from strings in code.

The words are in ``catalogues/<language>.yaml`` (Korean and English, the same keys); the
shape of an e-mail in ``templates/email.txt`` and ``templates/email.html``. Both are Jinja
templates run in Jinja's **sandbox** (a catalogue is text an operator may edit: it must not
reach Python's internals), and the HTML one escapes every value it inserts (a member named
``<b>`` stays text).

Marketing messages get what :class:`~regulars.domain.engagement.marketing.MarketingRules`
asks for: the label at the start of the subject and of an SMS, the sender's name and
contact, and the opt-out line or link.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import FileSystemLoader, select_autoescape
from jinja2.sandbox import ImmutableSandboxedEnvironment

from regulars.domain.engagement.marketing import MarketingRules, marketing_label
from regulars.domain.engagement.topics import MessageClass

HERE = Path(__file__).parent
LANGUAGES = ("ko", "en")
DEFAULT_LANGUAGE = "ko"

_words = ImmutableSandboxedEnvironment(autoescape=False, keep_trailing_newline=False)
_layouts = ImmutableSandboxedEnvironment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


@cache
def catalogue(language: str) -> dict[str, Any]:
    """The words of ``language`` (``catalogues/<language>.yaml``)."""
    loaded: dict[str, Any] = yaml.safe_load(
        (HERE / "catalogues" / f"{language}.yaml").read_text("utf-8")
    )
    return loaded


def language_of(locale: str | None) -> str:
    return locale if locale in LANGUAGES else DEFAULT_LANGUAGE


def words(language: str, key: str, section: str | None = None, **values: Any) -> str:
    """One catalogue entry rendered: ``words("ko", "title", "optout_page")``."""
    entries: Mapping[str, Any] = catalogue(language_of(language))
    if section is not None:
        entries = entries[section]
    return _render(str(entries.get(key, "")), values)


def _render(template: str, values: Mapping[str, Any]) -> str:
    return _words.from_string(template).render(**values).strip()


@dataclass(frozen=True)
class Sender:
    """Who sends: the business's name and a contact (phone or address), shown in every
    message (Korean law asks it of advertising; it does no harm elsewhere)."""

    business: str
    contact: str = ""


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    sms: str


def render_message(
    topic: str,
    language: str,
    values: Mapping[str, Any],
    *,
    sender: Sender,
    rules: MarketingRules,
    kind: MessageClass,
    link: str | None = None,
    unsubscribe_url: str | None = None,
    entry: Mapping[str, Any] | None = None,
) -> Rendered:
    """The e-mail (subject, text, HTML) and the SMS text of ``topic`` in ``language``;
    ``entry`` (``subject``, ``lines``, ``sms``, ``action``) replaces the catalogue's words
    (a campaign's own templates)."""
    marketing = kind is MessageClass.MARKETING
    language = language_of(language)
    if entry is None:
        entry = catalogue(language)[topic]
    context = {**values, "business": sender.business, "contact": sender.contact, "link": link}
    subject = _render(entry["subject"], context)
    lines = [line for line in (_render(t, context) for t in entry.get("lines", [])) if line]
    sms = _render(entry.get("sms", ""), context)
    common = {"business": sender.business, "contact": sender.contact}
    opt_out = ""
    if marketing:
        subject = marketing_label(subject, rules)
        sms = marketing_label(sms, rules)
        if rules.opt_out and unsubscribe_url:
            opt_out = words(language, "opt_out", url=unsubscribe_url)
            sms = f"{sms}\n{words(language, 'opt_out_sms', url=unsubscribe_url)}"
    layout = {
        "language": language,
        "subject": subject,
        "greeting": _render(catalogue(language)["greeting"], {"name": values.get("name")}),
        "lines": lines,
        "link": link,
        "action": _render(entry.get("action", ""), context),
        "sender": _render(catalogue(language)["sender"], common),
        "note": words(language, "transactional_note") if kind is MessageClass.TRANSACTIONAL else "",
        "opt_out": opt_out,
        "opt_out_link": words(language, "opt_out_link"),
        "unsubscribe_url": unsubscribe_url if marketing and opt_out else None,
    }
    text = _layouts.get_template("email.txt").render(**layout).strip() + "\n"
    html = _layouts.get_template("email.html").render(**layout)
    return Rendered(subject, text, html, sms)
