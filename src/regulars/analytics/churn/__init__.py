"""Contractual churn: cohort retention, per-member survival and the study's loyalty score.

Cohort retention (discrete contract periods): :class:`ShiftedBetaGeometricModel` (Fader &
Hardie 2007) and :class:`BetaDiscreteWeibullModel` (Fader et al. 2018), with survival and
retention curves, projections and the discounted expected residual lifetime (Fader & Hardie
2010); :func:`cohort_table` turns a cohort's counts alive into their input.
"""

from regulars.analytics.churn.bdw import BetaDiscreteWeibullModel
from regulars.analytics.churn.retention import RetentionModel, cohort_table
from regulars.analytics.churn.sbg import ShiftedBetaGeometricModel

__all__ = [
    "BetaDiscreteWeibullModel",
    "RetentionModel",
    "ShiftedBetaGeometricModel",
    "cohort_table",
]
