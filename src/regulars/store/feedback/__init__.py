"""Feedback tables' queries: surveys, invitations, answers, cases."""
