"""NeuralForecast's recurrent-family runs for `cargo xtask parity`: DilatedRNN at its defaults,
DeepAR with scaler_type="robust" (its defaults do not learn within 200 steps, see
PARITY_OVERRIDES in ../shared/reference/nf_reference.py), and RNN, LSTM and GRU with
recurrent=True (`RNN-recurrent`, ...; the plain names in nf_airpassengers.json are the default
recurrent=False). Setup as nf_reference.py: AirPassengers (one series), the last 12 months held
out, h=12, input_size=24, max_steps=200, no validation, seeds 1-3 (NF_SEEDS=1,2,... sets them),
one torch thread. Each entry
holds MAE and sMAPE per seed and their means; DeepAR also `coverage_80`, the share of held-out
points inside its 80% interval over the three seeds. Entries are added to (or replace those in)
OUT.json.

Run from the repository root with the pinned venv of `cargo xtask compare` (about 30 minutes):
    target/compare/venv/bin/python data/reference/nf_recurrent.py data/reference/nf_airpassengers.json [NAME...]
"""

import json
import logging
import os
import sys
import warnings

warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)
import numpy as np
import pandas as pd
import torch
import neuralforecast.models as M
from neuralforecast import NeuralForecast

torch.set_num_threads(1)
SEEDS = [int(s) for s in os.environ.get("NF_SEEDS", "1,2,3").split(",")]
COMMON = dict(h=12, input_size=24, max_steps=200, val_check_steps=10_000,
              early_stop_patience_steps=-1, enable_progress_bar=False, logger=False,
              enable_model_summary=False, accelerator="cpu")
CASES = {
    "DilatedRNN": ("DilatedRNN", {}),
    "DeepAR": ("DeepAR", dict(scaler_type="robust")),
    "RNN-recurrent": ("RNN", dict(recurrent=True)),
    "LSTM-recurrent": ("LSTM", dict(recurrent=True)),
    "GRU-recurrent": ("GRU", dict(recurrent=True)),
}

out_path, names = sys.argv[1], sys.argv[2:] or list(CASES)
df = pd.read_csv("data/air_passengers.csv", parse_dates=["ds"])[["unique_id", "ds", "y"]]
test = df.groupby("unique_id").tail(12)
train = df.drop(test.index)
results = {}
for key in names:
    cls, kw = CASES[key]
    runs, inside, total = [], 0, 0
    for seed in SEEDS:
        model = getattr(M, cls)(**COMMON, **kw, random_seed=seed, alias=cls)
        nf = NeuralForecast(models=[model], freq="ME")
        nf.fit(train, val_size=0)
        fc = nf.predict().merge(test, on=["unique_id", "ds"])
        err = (fc["y"] - fc[cls]).abs()
        runs.append({"mae": float(err.mean()),
                     "smape": float((200 * err / (fc["y"].abs() + fc[cls].abs())).mean())})
        if f"{cls}-lo-80" in fc:
            inside += int(((fc["y"] >= fc[f"{cls}-lo-80"]) & (fc["y"] <= fc[f"{cls}-hi-80"])).sum())
            total += len(fc)
    entry = {"runs": runs, "mae_mean": round(float(np.mean([r["mae"] for r in runs])), 3),
             "smape_mean": round(float(np.mean([r["smape"] for r in runs])), 3),
             "setup": f"AirPassengers, {cls}({', '.join(f'{k}={v!r}' for k, v in kw.items())})"}
    if total:
        entry.update(coverage_80=inside / total, inside=inside, points=total)
    results[key] = entry
    print(key, entry, flush=True)
    try:
        with open(out_path) as f:
            merged = json.load(f)
    except FileNotFoundError:
        merged = {}
    merged.update(results)
    with open(out_path, "w") as f:
        json.dump(merged, f, indent=1)
        f.write("\n")
