"""Purchase use cases: record sales, refunds and returns, one purchase or a batch."""
