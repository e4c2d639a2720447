"""Every event published to RabbitMQ, so a data platform can subscribe to what it needs.

Events go to one durable **topic exchange** (default ``regulars.events``) with the event
type as routing key, so a consumer binds a queue with a pattern: ``points.*``,
``survey.#``, ``#`` for everything. Messages are persistent JSON (the same envelope a
webhook carries), ``message_id`` is the event id (a consumer's idempotency key) and
``type`` the event type. Publisher confirms are on: ``send`` returns delivered only once
the broker has taken responsibility for the message.

An exchange with no queue bound drops what it gets; that is publish/subscribe working as
meant, not a failure. A broker that is down, blocked or refuses the login makes the attempt
retryable (``REGULARS_AMQP_URL`` may be wrong; the events wait in the outbox).
"""

from __future__ import annotations

import contextlib
import threading
from datetime import UTC, datetime

import pika
import pika.exceptions
from pika.adapters.blocking_connection import BlockingChannel

from regulars.channels.base import Channel, Delivery, Outcome

DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_EXCHANGE = "regulars.events"
PERSISTENT = 2


class BrokerChannel(Channel):
    """Publishes deliveries to a topic exchange; the delivery's ``topic`` is the routing key.

    One connection is opened on first use and kept (the exchange is declared then); when a
    kept connection turns out to be gone, the message is published once more on a fresh
    one. Publishing is serialised: a pika connection belongs to one thread at a time.
    """

    name = "broker"

    def __init__(
        self,
        url: str = DEFAULT_AMQP_URL,
        exchange: str = DEFAULT_EXCHANGE,
        *,
        timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.exchange = exchange
        self._parameters = pika.URLParameters(url)
        self._parameters.socket_timeout = timeout
        self._parameters.blocked_connection_timeout = timeout
        self._parameters.connection_attempts = 1
        self._connection: pika.BlockingConnection | None = None
        self._channel: BlockingChannel | None = None
        self._lock = threading.Lock()

    def send(self, delivery: Delivery) -> Outcome:
        if not delivery.topic:
            return Outcome.failed("an event needs a type to be routed by")
        properties = pika.BasicProperties(
            content_type="application/json",
            content_encoding="utf-8",
            delivery_mode=PERSISTENT,
            message_id=delivery.id,
            type=delivery.topic,
            timestamp=int((delivery.occurred_at or datetime.now(UTC)).timestamp()),
            app_id="regulars",
        )
        body = delivery.body()
        with self._lock:
            kept = self._channel is not None
            outcome = self._publish(delivery.topic, body, properties)
            if outcome is None and kept:  # the kept connection had gone: once more
                outcome = self._publish(delivery.topic, body, properties)
            return outcome or Outcome.retry("the connection to the broker was lost")

    def _publish(
        self, routing_key: str, body: bytes, properties: pika.BasicProperties
    ) -> Outcome | None:
        """Publish once; None when the connection was lost on the way."""
        try:
            channel = self._open()
        except pika.exceptions.ProbableAuthenticationError as error:
            return Outcome.retry(f"the broker refused the login; check REGULARS_AMQP_URL ({error})")
        except (pika.exceptions.AMQPError, OSError) as error:
            self._drop()
            return Outcome.retry(f"cannot reach the broker at {self._where()}: {error!r}")
        try:
            channel.basic_publish(self.exchange, routing_key, body, properties)
        except pika.exceptions.NackError:
            return Outcome.retry("the broker did not confirm the message (nack)")
        except pika.exceptions.BodyTooLongError as error:
            return Outcome.failed(f"the event is too large for the broker: {error}")
        except (pika.exceptions.AMQPError, OSError):
            self._drop()
            return None
        return Outcome.delivered()

    def _open(self) -> BlockingChannel:
        if self._channel is not None and self._channel.is_open:
            return self._channel
        self._drop()
        connection = pika.BlockingConnection(self._parameters)
        try:
            channel = connection.channel()
            channel.exchange_declare(self.exchange, exchange_type="topic", durable=True)
            channel.confirm_delivery()
        except BaseException:
            connection.close()
            raise
        self._connection, self._channel = connection, channel
        return channel

    def _where(self) -> str:
        return f"{self._parameters.host}:{self._parameters.port}"

    def _drop(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            with contextlib.suppress(pika.exceptions.AMQPError, OSError):
                connection.close()

    def close(self) -> None:
        with self._lock:
            self._drop()
