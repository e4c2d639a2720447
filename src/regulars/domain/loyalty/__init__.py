"""Loyalty rules: programs, earning, tiers, stamps, the ledger's lots and spend order."""
