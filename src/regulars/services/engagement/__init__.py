"""Engagement: what the system tells the world and its members."""
