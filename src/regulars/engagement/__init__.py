"""Campaigns, triggers, the outbox and its channels (email, SMS, webhooks)."""
