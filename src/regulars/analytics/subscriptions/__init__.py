"""Subscriptions analytics: the per-subscriber churn features and the cohort survival table
(one SQL definition run in the store, DuckDB or Spark — :mod:`.features`, :mod:`.survival`,
:mod:`.engines`) and why members leave (:mod:`.reasons`)."""

from regulars.analytics.subscriptions.features import (
    FEATURE_COLUMNS,
    SubscriptionEngine,
    subscriber_features,
)
from regulars.analytics.subscriptions.reasons import churn_reasons, wilson_interval
from regulars.analytics.subscriptions.survival import SURVIVAL_COLUMNS, cohort_survival

__all__ = [
    "FEATURE_COLUMNS",
    "SURVIVAL_COLUMNS",
    "SubscriptionEngine",
    "churn_reasons",
    "cohort_survival",
    "subscriber_features",
    "wilson_interval",
]
