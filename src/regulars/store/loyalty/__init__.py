"""Loyalty tables' queries: accounts, lots, ledger transactions, programs, rewards."""
