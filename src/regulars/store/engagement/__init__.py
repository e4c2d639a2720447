"""Engagement's SQL: webhook endpoints (``webhooks``), the deliveries each outbox event
turns into (``deliveries``), and member and staff contacts read at send time (``contacts``).
The outbox itself, which every area writes to, stays in :mod:`regulars.store.outbox`."""
