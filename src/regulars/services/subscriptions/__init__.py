"""Subscription use cases: contracts, plans, plan changes and bills in (files and the API),
read back; the exit survey on cancellation; why members leave; the churn features."""
