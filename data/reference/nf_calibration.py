"""NeuralForecast's side of the interval calibration study (`cargo run --release -p neurodiv
--example intervals -- --seeds 3`): the same generated panel of 200 daily series with known noise
(written by the example with `--write-panel PANEL.csv`), the last 14 days of every series held
out, MLP and NHITS with h=14, input_size=28, max_steps=200, scaler_type="robust", other settings
at NeuralForecast's defaults, four ways: MQLoss(level=[80, 90]), DistributionLoss(Normal) and
DistributionLoss(StudentT) with level=[80, 90], and MAE with
PredictionIntervals(n_windows=10, step_size=1) and predict(level=[80, 90]); seeds 1-3, one torch
thread. Prints, per setup, the mean over seeds of the MAE of the point column, the coverage
(percent) and mean width of the 80% and 90% intervals, and the scaled CRPS of the interval
bounds (and the median when the loss gives one), as the example does; writes them to OUT.json.

Run from the repository root with the pinned venv of `cargo xtask compare` (about 15 minutes):
    target/release/examples/intervals --seeds 3 --write-panel /tmp/panel200.csv
    target/compare/venv/bin/python data/reference/nf_calibration.py /tmp/panel200.csv data/reference/nf_calibration.json
"""

import json
import sys
import warnings
import logging

warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)
import numpy as np
import pandas as pd
import torch
from neuralforecast import NeuralForecast
from neuralforecast.losses.pytorch import MAE, DistributionLoss, MQLoss
from neuralforecast.models import MLP, NHITS
from neuralforecast.utils import PredictionIntervals

torch.set_num_threads(1)
panel_path, out_path = sys.argv[1], sys.argv[2]
H, L = 14, 28
df = pd.read_csv(panel_path, parse_dates=["ds"])
test = df.groupby("unique_id").tail(H)
train = df.drop(test.index)
COMMON = dict(h=H, input_size=L, max_steps=200, scaler_type="robust", val_check_steps=10_000,
              early_stop_patience_steps=-1, enable_progress_bar=False, logger=False,
              enable_model_summary=False, accelerator="cpu")


def losses():
    return [
        ("MQLoss", lambda: MQLoss(level=[80, 90])),
        ("Normal", lambda: DistributionLoss("Normal", level=[80, 90])),
        ("StudentT", lambda: DistributionLoss("StudentT", level=[80, 90])),
        ("conformal", lambda: MAE()),
    ]


def scaled_crps(y, cols, qs):
    pin = np.zeros(len(y))
    for c, q in zip(cols, qs):
        e = y - c
        pin += np.maximum(q * e, (q - 1) * e)
    return float(2 * (pin / len(qs)).sum() / (np.abs(y).sum() + np.finfo(float).eps))


results = {}
for name, cls in [("MLP", MLP), ("NHITS", NHITS)]:
    for kind, make in losses():
        rows = []
        for seed in (1, 2, 3):
            model = cls(**COMMON, loss=make(), random_seed=seed)
            nf = NeuralForecast(models=[model], freq="D")
            if kind == "conformal":
                nf.fit(train, prediction_intervals=PredictionIntervals(n_windows=10, step_size=1))
                fc = nf.predict(level=[80, 90])
            else:
                nf.fit(train)
                fc = nf.predict()
            m = test.merge(fc, on=["unique_id", "ds"])
            y = m["y"].to_numpy()
            point = name + "-median" if kind == "MQLoss" else name
            r = {"mae": float(np.abs(y - m[point].to_numpy()).mean())}
            cols, qs = [], []
            for lv in (80, 90):
                lo, hi = m[f"{name}-lo-{lv}"].to_numpy(), m[f"{name}-hi-{lv}"].to_numpy()
                r[f"coverage_{lv}"] = float(100 * ((y >= lo) & (y <= hi)).mean())
                r[f"width_{lv}"] = float((hi - lo).mean())
                cols += [lo, hi]
                qs += [0.5 - lv / 200, 0.5 + lv / 200]
            if f"{name}-median" in m:
                cols.append(m[f"{name}-median"].to_numpy())
                qs.append(0.5)
            r["scaled_crps"] = scaled_crps(y, cols, qs)
            rows.append(r)
        mean = {k: sum(r[k] for r in rows) / len(rows) for k in rows[0]}
        key = f"{name} {kind}"
        results[key] = {"runs": rows, **mean}
        print(f"{key:<22} {mean['mae']:>8.3f} {mean['coverage_80']:>9.1f} {mean['width_80']:>9.2f} "
              f"{mean['coverage_90']:>9.1f} {mean['width_90']:>9.2f} {mean['scaled_crps']:>8.4f}",
              flush=True)
with open(out_path, "w") as f:
    json.dump({"setup": __doc__.split("\n\n")[0], "results": results}, f, indent=1)
    f.write("\n")
