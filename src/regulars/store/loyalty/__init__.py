"""The points ledger in tables: programs, accounts, lots, transactions, rewards, accruals.

Concurrency rule (the one thing to know): every change to a member's points first takes
the lock on their account row with :func:`regulars.store.loyalty.accounts.lock` — an
``UPDATE … RETURNING`` that is a row lock on PostgreSQL (later writers wait, then read the
committed row) and, on SQLite, the statement that opens the write transaction (pysqlite
starts it right before the first write, so the busy timeout makes other writers wait instead
of failing). Lots, entries and cached balances of an account are only written while that
lock is held (through :class:`regulars.store.loyalty.writer.Writer`), and one transaction
never holds two account locks except in a fixed order (ascending account ids, see
:func:`regulars.store.loyalty.accounts.lock_many`), so no deadlock and no serialisation
failure can reach a caller, and the same balance is never spent twice.
"""
