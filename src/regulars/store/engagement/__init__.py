"""Queries of the delivery half of engagement: webhook endpoints (``webhooks``) and the
deliveries each outbox event turns into (``deliveries``). The outbox itself, which every
area writes to, stays in :mod:`regulars.store.outbox`."""
