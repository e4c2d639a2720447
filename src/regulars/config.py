"""Configuration from environment variables, all prefixed ``REGULARS_``.

Every setting is documented in the README's *Configuration* section; keep the two in step.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATABASE_FILE = "regulars.db"

SUPPORTED_DATABASES = (
    "SQLite (sqlite:///path/to/regulars.db) and PostgreSQL (postgresql://user@host:5432/name)"
)


class DatabaseUrlError(ValueError):
    """``REGULARS_DATABASE_URL`` is not the URL of a database regulars runs on."""


@dataclass(frozen=True)
class Settings:
    """The process-wide settings.

    >>> Settings.from_env({"REGULARS_DATABASE_URL": "sqlite:///x.db"}).database_url
    'sqlite:///x.db'
    """

    database_url: str
    currency: str = "KRW"
    secret_key: str = "change-me"
    timezone: str = "Asia/Seoul"
    # Member messages and staff alerts (issue 13): see services/engagement/messages.py.
    public_url: str = "http://127.0.0.1:8000"
    channel_order: str = "email,sms"
    marketing_rules: str = "kr"
    business_name: str = "regulars"
    business_contact: str = ""
    alert_email: str | None = None
    alert_language: str = "ko"
    report_language: str = "ko"
    """The loyalty report's language (``REGULARS_REPORT_LANGUAGE``; default the staff's,
    ``REGULARS_ALERT_LANGUAGE``)."""
    retention_free_text_days: int | None = None
    """Answers' free text and case reasons and notes older than this are removed (None: kept)."""
    retention_delivery_days: int | None = None
    """Payloads of messages sent longer ago than this are removed (None: kept)."""
    # Delivery (issue 13): where events go and how hard the worker tries.
    amqp_url: str | None = None
    amqp_exchange: str = "regulars.events"
    webhook_allow_private: bool = False
    webhook_disable_after: int = 10
    webhook_rotation_hours: float = 24.0
    webhook_timeout_seconds: float = 10.0
    delivery_max_attempts: int = 8
    delivery_backoff_seconds: float = 30.0
    delivery_backoff_max_seconds: float = 3600.0
    delivery_retention_days: int = 30
    delivery_batch: int = 500
    delivery_lease_seconds: float = 300.0
    delivery_poll_seconds: float = 1.0
    # Member messages go out by e-mail and SMS when these are set (channels/email.py, sms.py).
    smtp_url: str | None = None
    smtp_sender: str = "regulars@localhost"
    sms_url: str | None = None
    sms_sender: str = ""
    sms_auth_header: str = "Authorization"
    sms_auth_value: str = ""
    # The staff console (issue 15): see web/console/ and README "The console".
    console_session_hours: float = 12.0
    console_idle_minutes: float = 60.0
    console_secure_cookies: str = "auto"
    """``auto``: cookies are Secure when REGULARS_PUBLIC_URL is https:// or the request came
    over HTTPS (directly or from a trusted proxy's X-Forwarded-Proto); ``always``; ``never``."""
    # Campaigns (issue 14): the global marketing frequency cap per member.
    campaign_cap_messages: int = 2
    campaign_cap_days: int = 7

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        url = env.get("REGULARS_DATABASE_URL") or f"sqlite:///{Path.cwd() / DEFAULT_DATABASE_FILE}"
        return cls(
            database_url=normalise_database_url(url),
            currency=env.get("REGULARS_CURRENCY", "KRW"),
            secret_key=env.get("REGULARS_SECRET_KEY", "change-me"),
            timezone=env.get("REGULARS_TIMEZONE", "Asia/Seoul"),
            public_url=env.get("REGULARS_PUBLIC_URL") or "http://127.0.0.1:8000",
            channel_order=env.get("REGULARS_CHANNEL_ORDER") or "email,sms",
            marketing_rules=env.get("REGULARS_MARKETING_RULES") or "kr",
            business_name=env.get("REGULARS_BUSINESS_NAME") or "regulars",
            business_contact=env.get("REGULARS_BUSINESS_CONTACT") or "",
            alert_email=env.get("REGULARS_ALERT_EMAIL") or None,
            alert_language=env.get("REGULARS_ALERT_LANGUAGE") or "ko",
            report_language=env.get("REGULARS_REPORT_LANGUAGE")
            or env.get("REGULARS_ALERT_LANGUAGE")
            or "ko",
            retention_free_text_days=_days(env, "REGULARS_RETENTION_FREE_TEXT_DAYS"),
            retention_delivery_days=_days(env, "REGULARS_RETENTION_DELIVERY_DAYS"),
            amqp_url=env.get("REGULARS_AMQP_URL") or None,
            amqp_exchange=env.get("REGULARS_AMQP_EXCHANGE") or "regulars.events",
            webhook_allow_private=_flag(env.get("REGULARS_WEBHOOK_ALLOW_PRIVATE")),
            webhook_disable_after=int(env.get("REGULARS_WEBHOOK_DISABLE_AFTER") or 10),
            webhook_rotation_hours=float(env.get("REGULARS_WEBHOOK_ROTATION_HOURS") or 24),
            webhook_timeout_seconds=float(env.get("REGULARS_WEBHOOK_TIMEOUT_SECONDS") or 10),
            delivery_max_attempts=int(env.get("REGULARS_DELIVERY_MAX_ATTEMPTS") or 8),
            delivery_backoff_seconds=float(env.get("REGULARS_DELIVERY_BACKOFF_SECONDS") or 30),
            delivery_backoff_max_seconds=float(
                env.get("REGULARS_DELIVERY_BACKOFF_MAX_SECONDS") or 3600
            ),
            delivery_retention_days=int(env.get("REGULARS_DELIVERY_RETENTION_DAYS") or 30),
            delivery_batch=int(env.get("REGULARS_DELIVERY_BATCH") or 500),
            delivery_lease_seconds=float(env.get("REGULARS_DELIVERY_LEASE_SECONDS") or 300),
            delivery_poll_seconds=float(env.get("REGULARS_DELIVERY_POLL_SECONDS") or 1),
            smtp_url=env.get("REGULARS_SMTP_URL") or None,
            smtp_sender=env.get("REGULARS_SMTP_FROM") or "regulars@localhost",
            sms_url=env.get("REGULARS_SMS_URL") or None,
            sms_sender=env.get("REGULARS_SMS_FROM") or "",
            sms_auth_header=env.get("REGULARS_SMS_AUTH_HEADER") or "Authorization",
            sms_auth_value=env.get("REGULARS_SMS_AUTH_VALUE") or "",
            console_session_hours=float(env.get("REGULARS_CONSOLE_SESSION_HOURS") or 12),
            console_idle_minutes=float(env.get("REGULARS_CONSOLE_IDLE_MINUTES") or 60),
            console_secure_cookies=_secure_cookies(env.get("REGULARS_CONSOLE_SECURE_COOKIES")),
            campaign_cap_messages=_count(env, "REGULARS_CAMPAIGN_CAP_MESSAGES", 2),
            campaign_cap_days=_count(env, "REGULARS_CAMPAIGN_CAP_DAYS", 7, low=1),
        )


def _days(env: dict[str, str], name: str) -> int | None:
    """A number of days from ``env[name]``; unset or blank means None (keep for ever).

    >>> _days({"X": "30"}, "X"), _days({}, "X")
    (30, None)
    """
    raw = env.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{name} must be a whole number of days (1 or more), not {raw!r}")
    return int(raw)


def _secure_cookies(value: str | None) -> str:
    """``auto`` (the default), ``always`` or ``never``.

    >>> _secure_cookies(None), _secure_cookies("Always")
    ('auto', 'always')
    """
    chosen = (value or "auto").strip().lower()
    if chosen not in ("auto", "always", "never"):
        raise ValueError(
            f"REGULARS_CONSOLE_SECURE_COOKIES must be auto, always or never, not {value!r}"
        )
    return chosen


def _count(env: dict[str, str], name: str, default: int, low: int = 0) -> int:
    """A whole number from ``env[name]`` (unset or blank: ``default``).

    >>> _count({"X": "3"}, "X", 2), _count({}, "X", 2)
    (3, 2)
    """
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < low:
        raise ValueError(f"{name} must be a whole number (at least {low}), not {raw!r}")
    return int(raw)


def _flag(value: str | None) -> bool:
    """An on/off setting: ``1``, ``true``, ``yes`` or ``on`` (any case) mean on."""
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def normalise_database_url(url: str) -> str:
    """Route plain ``postgresql://`` URLs to psycopg 3, the driver regulars ships with;
    refuse what is not a SQLite or PostgreSQL URL (:class:`DatabaseUrlError`, saying what to
    write instead).

    >>> normalise_database_url("postgresql://u@h/db")
    'postgresql+psycopg://u@h/db'
    """
    check_database_url(url)
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def check_database_url(url: str) -> None:
    """Raise :class:`DatabaseUrlError` unless ``url`` names SQLite or PostgreSQL."""
    scheme, separator, _ = url.partition("://")
    if not separator:
        hint = (
            f"for a SQLite file write sqlite:///{url}"
            if url.strip()
            else f"regulars runs on {SUPPORTED_DATABASES}"
        )
        raise DatabaseUrlError(f"REGULARS_DATABASE_URL={url!r} is not a database URL; {hint}")
    database = scheme.split("+", 1)[0].lower()
    if database not in ("sqlite", "postgresql", "postgres"):
        raise DatabaseUrlError(
            f"REGULARS_DATABASE_URL: {database!r} databases are not supported; regulars runs "
            f"on {SUPPORTED_DATABASES}"
        )
