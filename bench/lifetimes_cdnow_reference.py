"""Write lifetimes 0.11.3's fits and predictions on CDNOW for the tests to compare with.

Run under the lifetimes venv (see bench/peers.py):
    bench/.venv-lifetimes/bin/python bench/lifetimes_cdnow_reference.py tests/data/cdnow
"""

import json
import sys
from pathlib import Path

import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter

out = Path(sys.argv[1])
summary = pd.read_csv(out / "cdnow_customers_summary.csv")
spend = pd.read_csv(out / "cdnow_customers_summary_with_transactions.csv")
x, t_x, T = summary["frequency"], summary["recency"], summary["T"]

bg = BetaGeoFitter().fit(x, t_x, T)
pnbd = ParetoNBDFitter().fit(x, t_x, T)
repeat = spend[spend["x"] > 0]
gg = GammaGammaFitter().fit(repeat["x"], repeat["zbar"])

result = pd.DataFrame({"ID": summary["ID"], "frequency": x, "recency": t_x, "T": T})
result["bgnbd_expected_purchases_39"] = bg.conditional_expected_number_of_purchases_up_to_time(
    39, x, t_x, T
)
result["bgnbd_probability_alive"] = bg.conditional_probability_alive(x, t_x, T)
result["pnbd_expected_purchases_39"] = pnbd.conditional_expected_number_of_purchases_up_to_time(
    39, x, t_x, T
)
result["pnbd_probability_alive"] = pnbd.conditional_probability_alive(x, t_x, T)
result.to_csv(out / "lifetimes_predictions.csv", index=False, float_format="%.12g")

spend_out = spend[["ID", "x", "t_x", "T", "zbar"]].copy()
spend_out["gg_expected_average_profit"] = gg.conditional_expected_average_profit(
    spend["x"], spend["zbar"]
)
spend_out["bgnbd_gg_clv_12_months"] = gg.customer_lifetime_value(
    bg, spend["x"], spend["t_x"], spend["T"], spend["zbar"], time=12, discount_rate=0.01, freq="W"
)
spend_out.to_csv(out / "lifetimes_spend_predictions.csv", index=False, float_format="%.12g")

params = {
    # lifetimes' stored negative log-likelihoods are penalised or rescaled for BG/NBD and
    # Pareto/NBD, so only the parameters are kept; the tests use the published LLs.
    "bgnbd": bg.params_.to_dict(),
    "pnbd": pnbd.params_.to_dict(),
    "gg": gg.params_.to_dict(),
    "bgnbd_expected_purchases_new_customer_39": float(
        bg.expected_number_of_purchases_up_to_time(39)
    ),
    "pnbd_expected_purchases_new_customer_39": float(
        pnbd.expected_number_of_purchases_up_to_time(39)
    ),
}
(out / "lifetimes_params.json").write_text(json.dumps(params, indent=2) + "\n")
print(json.dumps(params, indent=2))
