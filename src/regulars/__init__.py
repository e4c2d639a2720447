"""regulars — a self-hosted customer-loyalty platform.

Run a loyalty program on a points ledger, hear customers through surveys, and understand
and keep them with loyalty analytics. See the README for the tour.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
