"""Read-only queries for reports and analytics: aggregates computed where the data lives.

Each module returns plain values or small data frames; nothing here writes.
"""
