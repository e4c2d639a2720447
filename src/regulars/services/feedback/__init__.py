"""Feedback use cases: surveys, answers, invitations, follow-up cases."""
