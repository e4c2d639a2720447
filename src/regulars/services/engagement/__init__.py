"""Engagement: what the system tells the world and its members.

- ``webhooks``: endpoints registered with the event types they want; secrets sealed at rest,
  shown once, rotatable; a test ping; disabled after repeated failure, enabled again.
- ``composing``: what an outbox event becomes — the :class:`~composing.Composer` seam. The
  default (:class:`~composing.FanOut`) sends every event to each matching webhook endpoint
  and to the broker; ``members`` adds the member's own message and staff alerts.
- ``messages``, ``rendering``, ``plans``: a member message composed at send time (consent,
  locale, channel order, the marketing rules and quiet hours), from the ko/en catalogues.
- ``alerts``: staff alerts for detractors and overdue cases; ``optout``: one-click opt-out.
- ``delivery``: the worker that claims due deliveries, sends them through the channels
  outside any transaction, and books the outcome with retries and a dead letter.
- ``sealing``: encryption of stored secrets with a key derived from ``REGULARS_SECRET_KEY``.
"""
