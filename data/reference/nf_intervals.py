"""NeuralForecast's DistributionLoss runs for the distribution cases of `cargo xtask parity`
(`NHITS-Normal`, `NHITS-StudentT`, `MLP-Normal`, `MLP-StudentT`): the AirPassengers panel
(data/air_passengers_panel.csv) with the last 12 months of both series held out, h=12,
input_size=24, max_steps=200, scaler_type="robust", loss=DistributionLoss(distribution,
level=[80]), seeds 1-3 for NHITS and 1-10 for MLP (whose error scatters widely between seeds in
both libraries), one torch thread. Each entry holds the MAE of the point column (the
sample mean) per seed, their mean, and `coverage_80`, the share of held-out points inside the
80% interval over the three seeds. The entries are added to (or replace those in) OUT.json.

Run from the repository root with the pinned venv of `cargo xtask compare` (about 15 minutes):
    target/compare/venv/bin/python data/reference/nf_intervals.py data/reference/nf_airpassengers.json
"""

import json
import sys

import pandas as pd
import torch
from neuralforecast import NeuralForecast
from neuralforecast.losses.pytorch import DistributionLoss
from neuralforecast.models import MLP, NHITS

torch.set_num_threads(1)
out_path = sys.argv[1]
df = pd.read_csv("data/air_passengers_panel.csv", parse_dates=["ds"])[["unique_id", "ds", "y"]]
test = df.groupby("unique_id").tail(12)
train = df.drop(test.index)
results = {}
for name, cls in [("NHITS", NHITS), ("MLP", MLP)]:
    for dist in ["Normal", "StudentT"]:
        inside, total, maes = 0, 0, []
        for seed in range(1, 11 if name == "MLP" else 4):
            model = cls(h=12, input_size=24, max_steps=200, scaler_type="robust",
                        loss=DistributionLoss(distribution=dist, level=[80]), random_seed=seed)
            nf = NeuralForecast(models=[model], freq="ME")
            nf.fit(train)
            fc = nf.predict().merge(test, on=["unique_id", "ds"])
            lo, hi = fc[f"{name}-lo-80"], fc[f"{name}-hi-80"]
            inside += int(((fc["y"] >= lo) & (fc["y"] <= hi)).sum())
            total += len(fc)
            maes.append(float((fc["y"] - fc[name]).abs().mean()))
        key = f"{name}-{dist}"
        results[key] = {"runs": [{"mae": m} for m in maes], "mae_mean": sum(maes) / len(maes),
                        "coverage_80": inside / total, "inside": inside, "points": total,
                        "setup": f"panel, scaler_type=robust, DistributionLoss({dist}, level=[80])"}
        print(key, results[key], flush=True)
try:
    with open(out_path) as f:
        merged = json.load(f)
except FileNotFoundError:
    merged = {}
merged.update(results)
with open(out_path, "w") as f:
    json.dump(merged, f, indent=1)
    f.write("\n")
