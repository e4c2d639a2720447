"""Feedback rules: surveys, answer classification (one NPS classifier), signed links, cases."""
