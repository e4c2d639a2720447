"""Contractual churn: cohort retention, per-member survival and the study's loyalty score.

Cohort retention (discrete contract periods): :class:`ShiftedBetaGeometricModel` (Fader &
Hardie 2007) and :class:`BetaDiscreteWeibullModel` (Fader et al. 2018), with survival and
retention curves, projections and the discounted expected residual lifetime (Fader & Hardie
2010); :func:`cohort_table` turns a cohort's counts alive into their input.

Per-member survival with covariates (time to cancellation, right-censored):
:class:`CoxPHModel` (partial likelihood, Efron or Breslow ties) and :class:`WeibullAFTModel`,
both over a frame with the caller's column names, giving hazard ratios with 95 % intervals
and, for each subscriber still active, ``score`` (P(cancel within 30/90 days), median
residual life).
"""

from regulars.analytics.churn.bdw import BetaDiscreteWeibullModel
from regulars.analytics.churn.cox import CoxPHModel
from regulars.analytics.churn.retention import RetentionModel, cohort_table
from regulars.analytics.churn.sbg import ShiftedBetaGeometricModel
from regulars.analytics.churn.survival import SurvivalRegression
from regulars.analytics.churn.weibull import WeibullAFTModel

__all__ = [
    "BetaDiscreteWeibullModel",
    "CoxPHModel",
    "RetentionModel",
    "ShiftedBetaGeometricModel",
    "SurvivalRegression",
    "WeibullAFTModel",
    "cohort_table",
]
