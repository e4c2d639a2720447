"""Files in and out: reading tables, row checks with per-row errors, import reports."""
