"""Loyalty use cases: programs, accrual, posting to the ledger, the till's requests, jobs."""
