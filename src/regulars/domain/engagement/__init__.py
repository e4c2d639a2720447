"""Engagement rules: what class a message is, the marketing rules, quiet hours, opt-out links."""
