"""Engagement's SQL: member contacts and consent at send time, staff alert contacts."""
