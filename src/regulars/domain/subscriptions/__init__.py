"""Subscriptions: a member's contracts, their plans, plan changes, monthly bills and why a
contract was cancelled — the contractual side of loyalty, where the business sees a
customer leave (a telecom line, a gym membership, a software subscription)."""
