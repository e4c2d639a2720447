"""Customer-base analysis: who is still a customer, what they will buy, what they are worth.

Buy-till-you-die models fitted by maximum likelihood on a per-member summary computed where
the transactions live: BG/NBD (:class:`BetaGeoModel`), Pareto/NBD (:class:`ParetoNBDModel`)
and Gamma-Gamma spend with lifetime value (:class:`GammaGammaModel`).
"""

from regulars.analytics.clv.base import FitError
from regulars.analytics.clv.bgnbd import BetaGeoModel
from regulars.analytics.clv.gammagamma import GammaGammaModel
from regulars.analytics.clv.paretonbd import ParetoNBDModel
from regulars.analytics.clv.summary import (
    calibration_and_holdout,
    rfm_calibration_and_holdout,
    rfm_summary,
    summarise,
)

__all__ = [
    "BetaGeoModel",
    "FitError",
    "GammaGammaModel",
    "ParetoNBDModel",
    "calibration_and_holdout",
    "rfm_calibration_and_holdout",
    "rfm_summary",
    "summarise",
]
