"""NeuralForecast side of `cargo xtask compare`: one job, one fresh process.

Usage: nf_runner.py JOB.json OUT.json

The job (written by xtask, the same file the Rust runner reads) names the model, the training CSV,
h, input_size, steps, seed, threads and option overrides. This script fits the model once to warm
up (a few steps), then fits it again with timing, times predict on the whole panel and on a single
series, and writes the timings, the forecasts and the process's peak resident memory to OUT.json.
"""
import json
import logging
import os
import sys
import time
import warnings

warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)

job = json.load(open(sys.argv[1]))
# Set before torch starts its thread pools.
for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(job["threads"])

import pandas as pd  # noqa: E402
import pytorch_lightning as pl  # noqa: E402
import torch  # noqa: E402

import neuralforecast  # noqa: E402
import neuralforecast.models as models  # noqa: E402
from neuralforecast import NeuralForecast  # noqa: E402

torch.set_num_threads(job["threads"])


STEP_STARTS = []  # module-level: NeuralForecast copies its models, and their callbacks with them


class StepClock(pl.Callback):
    """Start time of every training step: the gaps are whole steps (data, forward, backward,
    optimizer, loop)."""

    def on_train_batch_start(self, trainer, module, batch, batch_idx):
        STEP_STARTS.append(time.perf_counter())

    def on_train_end(self, trainer, module):
        STEP_STARTS.append(time.perf_counter())


def build(max_steps):
    cls = getattr(models, job["model"])
    kwargs = dict(job["overrides"])
    if getattr(cls, "MULTIVARIATE", False):
        kwargs["n_series"] = n_series
    return cls(
        h=job["h"],
        input_size=job["input_size"],
        max_steps=max_steps,
        random_seed=job["seed"],
        val_check_steps=max_steps + 1,
        early_stop_patience_steps=-1,
        enable_progress_bar=False,
        enable_model_summary=False,
        logger=False,
        accelerator="cpu",
        callbacks=[StepClock()],
        **kwargs,
    )


def timed(f, repeats):
    """Milliseconds of each of `repeats` calls of f, after one untimed call."""
    f()
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        out.append((time.perf_counter() - t) * 1e3)
    return out


def peak_rss_mb():
    """VmHWM of this process: the most resident memory it ever held."""
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("/proc/self/status has no VmHWM line")


train = pd.read_csv(job["train_csv"], parse_dates=["ds"])
n_series = train["unique_id"].nunique()

warm = NeuralForecast(models=[build(job["warmup_steps"])], freq=job["freq"])
warm.fit(df=train, val_size=0)
warm.predict()

STEP_STARTS.clear()
nf = NeuralForecast(models=[build(job["max_steps"])], freq=job["freq"])
t = time.perf_counter()
nf.fit(df=train, val_size=0)
fit_s = time.perf_counter() - t
steps_ms = [(b - a) * 1e3 for a, b in zip(STEP_STARTS, STEP_STARTS[1:])]

forecast = nf.predict()
col = [c for c in forecast.columns if c not in ("unique_id", "ds")][0]
predict_panel_ms = timed(lambda: nf.predict(), job["predict_repeats"])
predict_single_ms = None
if not getattr(getattr(models, job["model"]), "MULTIVARIATE", False):
    first = train[train["unique_id"] == train["unique_id"].iloc[0]]
    predict_single_ms = timed(lambda: nf.predict(df=first), job["predict_repeats"])

json.dump(
    dict(
        program="neuralforecast",
        version=f"neuralforecast {neuralforecast.__version__}, torch {torch.__version__}",
        fit_s=fit_s,
        steps_ms=steps_ms,
        predict_panel_ms=predict_panel_ms,
        predict_single_ms=predict_single_ms,
        peak_rss_mb=peak_rss_mb(),
        forecast={
            uid: g.sort_values("ds")[col].astype(float).tolist()
            for uid, g in forecast.groupby("unique_id")
        },
    ),
    open(sys.argv[2], "w"),
)
