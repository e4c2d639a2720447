"""Contractual churn: cohort retention, per-member survival and the study's loyalty score.

Cohort retention (discrete contract periods): :class:`ShiftedBetaGeometricModel` (Fader &
Hardie 2007) and :class:`BetaDiscreteWeibullModel` (Fader et al. 2018), with survival and
retention curves, projections and the discounted expected residual lifetime (Fader & Hardie
2010); :func:`cohort_table` turns a cohort's counts alive into their input.

Per-member survival with covariates (time to cancellation, right-censored):
:class:`CoxPHModel` (partial likelihood, Efron or Breslow ties) and :class:`WeibullAFTModel`,
both over a frame with the caller's column names, giving hazard ratios with 95 % intervals
and, for each subscriber still active, ``score`` (P(cancel within 30/90 days), median
residual life). :mod:`~regulars.analytics.churn.validation`: Harrell's C, calibration by
decile on held-out time, :func:`time_split`, and a plotly figure for the report;
:mod:`~regulars.analytics.churn.figures` draws retention curves and hazard ratios.

The study's loyalty score (:mod:`~regulars.analytics.churn.loyalty`): behavioural,
intentional and emotional loyalty per member, the hierarchical loyalty index with derived
weights, and the hazard ratio of cancelling by loyalty-index band.
"""

from regulars.analytics.churn.bdw import BetaDiscreteWeibullModel
from regulars.analytics.churn.cox import CoxPHModel
from regulars.analytics.churn.loyalty import (
    LoyaltyIndex,
    hazard_by_loyalty_band,
    hierarchical_loyalty_index,
    loyalty_dimensions,
)
from regulars.analytics.churn.retention import RetentionModel, cohort_table
from regulars.analytics.churn.sbg import ShiftedBetaGeometricModel
from regulars.analytics.churn.survival import SurvivalRegression
from regulars.analytics.churn.validation import (
    HoldoutValidation,
    calibration_by_decile,
    calibration_figure,
    concordance_index,
    holdout_validation,
    time_split,
)
from regulars.analytics.churn.weibull import WeibullAFTModel

__all__ = [
    "BetaDiscreteWeibullModel",
    "CoxPHModel",
    "HoldoutValidation",
    "LoyaltyIndex",
    "RetentionModel",
    "ShiftedBetaGeometricModel",
    "SurvivalRegression",
    "WeibullAFTModel",
    "calibration_by_decile",
    "calibration_figure",
    "cohort_table",
    "concordance_index",
    "hazard_by_loyalty_band",
    "hierarchical_loyalty_index",
    "holdout_validation",
    "loyalty_dimensions",
    "time_split",
]
