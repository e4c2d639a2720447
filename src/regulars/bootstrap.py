"""The composition root: the one place that wires configuration, store and services.

Every entry point (CLI, API, jobs, tests) builds an :class:`App` and takes what it needs
from it, so that they all run the same code on the same store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

from regulars.config import Settings
from regulars.services.unit_of_work import RunCommitted
from regulars.store.database import Engine, connect, migrate
from regulars.store.unit_of_work import UnitOfWork

T = TypeVar("T")

if TYPE_CHECKING:
    from regulars.channels.base import Channel
    from regulars.services.engagement.composing import Composer
    from regulars.services.engagement.delivery import Worker
    from regulars.services.engagement.sealing import Sealer
    from regulars.services.engagement.webhooks import EndpointBook


@dataclass
class App:
    settings: Settings = field(default_factory=Settings.from_env)

    @cached_property
    def engine(self) -> Engine:
        return connect(self.settings.database_url)

    def migrate(self) -> None:
        migrate(self.engine)

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self.settings.secret_key)

    def run_committed(self, work: Callable[[UnitOfWork], T]) -> T:
        """Run ``work`` in a unit of work of its own and commit it. An edge hands this to a
        job that commits batch by batch (an import), so that the job itself never commits."""
        return committing(self.unit_of_work)(work)

    # --- delivery (issue 13): channels and the worker, built on demand ----------------------

    @cached_property
    def sealer(self) -> Sealer:
        """Seals stored secrets (webhook signing secrets) under REGULARS_SECRET_KEY."""
        from regulars.services.engagement.sealing import Sealer

        return Sealer(self.settings.secret_key)

    def webhook_channel(self, book: EndpointBook) -> Channel:
        from regulars.channels.webhook import WebhookChannel

        return WebhookChannel(
            book.lookup,
            allow_private=self.settings.webhook_allow_private,
            timeout=self.settings.webhook_timeout_seconds,
        )

    def channels(self, book: EndpointBook) -> dict[str, Channel]:
        """The channels configured by the settings: webhooks and staff-alert webhooks always,
        the broker when ``REGULARS_AMQP_URL`` is set, e-mail when ``REGULARS_SMTP_URL`` is,
        SMS when ``REGULARS_SMS_URL`` is."""
        from regulars.services.engagement.alerts import alert_webhook_channel

        settings = self.settings
        channels = {
            "webhook": self.webhook_channel(book),
            "alert_webhook": alert_webhook_channel(
                settings.secret_key, allow_private=settings.webhook_allow_private
            ),
        }
        if settings.amqp_url:
            from regulars.channels.broker import BrokerChannel

            channels["broker"] = BrokerChannel(settings.amqp_url, settings.amqp_exchange)
        if settings.smtp_url:
            from regulars.channels.email import EmailChannel

            channels["email"] = EmailChannel(settings.smtp_url, settings.smtp_sender)
        if settings.sms_url:
            from regulars.channels.sms import SmsChannel, SmsGateway

            channels["sms"] = SmsChannel(
                SmsGateway(
                    settings.sms_url,
                    settings.sms_sender,
                    auth_header=settings.sms_auth_header,
                    auth_value=settings.sms_auth_value,
                )
            )
        return channels

    def composer(self, book: EndpointBook) -> Composer:
        """What an outbox event becomes: the fan-out plus member messages and staff alerts."""
        from regulars.services.engagement.composing import FanOut
        from regulars.services.engagement.outbound import Outbound

        return Outbound(FanOut(book, broker=bool(self.settings.amqp_url)), self.settings)

    def delivery_worker(
        self, channels: dict[str, Channel] | None = None, composer: Composer | None = None
    ) -> Worker:
        from regulars.services.engagement.alerts import overdue_alerts
        from regulars.services.engagement.delivery import Worker
        from regulars.services.engagement.retries import Policy
        from regulars.services.engagement.webhooks import EndpointBook

        settings = self.settings
        book = EndpointBook(self.sealer)
        policy = Policy(
            max_attempts=settings.delivery_max_attempts,
            backoff_seconds=settings.delivery_backoff_seconds,
            backoff_max_seconds=settings.delivery_backoff_max_seconds,
            lease_seconds=settings.delivery_lease_seconds,
            batch=settings.delivery_batch,
            disable_after=settings.webhook_disable_after,
            retention_days=settings.delivery_retention_days,
        )
        return Worker(
            self.unit_of_work,
            channels if channels is not None else self.channels(book),
            composer or self.composer(book),
            book,
            policy,
            periodic=overdue_alerts,
        )


def committing(unit_of_work: Callable[[], UnitOfWork]) -> RunCommitted:
    """``run_committed`` over any factory of units of work (the demo passes its own)."""

    def run(work: Callable[[UnitOfWork], T]) -> T:
        with unit_of_work() as uow:
            result = work(uow)
            uow.commit()
        return result

    return run


def build(settings: Settings | None = None, *, migrate_schema: bool = True) -> App:
    """Create the app; bring the schema up to date unless told not to."""
    app = App(settings or Settings.from_env())
    if migrate_schema:
        app.migrate()
    return app
