"""Forecasts through Python: AirPassengers' parity figure, determinism, every API call."""

import threading
import time

import numpy as np
import pandas as pd
import pytest

from neurodiv import NeuralForecast
from neurodiv.losses import DistributionLoss, MQLoss
from neurodiv.models import MLP, NHITS, TSMixer


def test_air_passengers_parity_figure(air):
    """MLP at the parity setup (h=12, input_size=24, 200 steps, seeds 1-3, last 12 months held
    out) gives the mean MAE of the README's parity table: 16.76 (19.628, 18.036, 12.607)."""
    train, test = air.iloc[:-12], air.iloc[-12:]
    maes = []
    for seed in (1, 2, 3):
        nf = NeuralForecast(
            models=[MLP(h=12, input_size=24, max_steps=200, random_seed=seed)], freq="ME"
        )
        nf.fit(df=train)
        fc = nf.predict()
        assert list(fc["ds"]) == list(test["ds"])
        maes.append(float(np.mean(np.abs(fc["MLP"].to_numpy() - test["y"].to_numpy()))))
    assert [round(m, 3) for m in maes] == [19.628, 18.036, 12.607]
    assert round(sum(maes) / 3, 2) == 16.76


def test_same_seed_same_forecast_bit_for_bit(air):
    def run():
        nf = NeuralForecast(models=[NHITS(h=12, input_size=24, max_steps=10)], freq="ME")
        nf.fit(air)
        return nf.predict()["NHITS"].to_numpy()

    first, second = run(), run()
    assert first.dtype == np.float32
    assert first.tobytes() == second.tobytes()


def test_cross_validation_and_insample(air):
    nf = NeuralForecast(models=[MLP(h=12, input_size=24, max_steps=5)], freq="ME")
    cv = nf.cross_validation(air, n_windows=2, step_size=12)
    assert list(cv.columns) == ["unique_id", "ds", "cutoff", "MLP", "y"]
    assert len(cv) == 24
    assert cv["cutoff"].iloc[0] == pd.Timestamp("1958-12-31")
    assert cv["y"].tolist() == air["y"].iloc[-24:].tolist()
    # As in NeuralForecast, predict afterwards forecasts from the end of the data.
    assert nf.predict()["ds"].iloc[0] == pd.Timestamp("1961-01-31")
    ins = nf.predict_insample(step_size=12)
    assert list(ins.columns) == ["unique_id", "ds", "cutoff", "MLP", "y"]
    assert len(ins) == 12 * ((len(air) - 24 - 12) // 12 + 1)


def test_quantile_and_distribution_columns(air):
    nf = NeuralForecast(
        models=[
            MLP(h=12, input_size=24, max_steps=5, loss=MQLoss(level=[80])),
            NHITS(
                h=12,
                input_size=24,
                max_steps=5,
                loss=DistributionLoss("Normal", level=[90], num_samples=50),
            ),
        ],
        freq="ME",
    )
    nf.fit(air)
    cols = list(nf.predict().columns)
    assert cols[:6] == ["unique_id", "ds", "MLP-median", "MLP-lo-80", "MLP-hi-80", "NHITS"]
    assert {"NHITS-lo-90", "NHITS-hi-90"} <= set(cols)


def test_conformal_intervals_and_levels_at_predict_time(air):
    from neurodiv.utils import PredictionIntervals

    nf = NeuralForecast(
        models=[
            MLP(h=12, input_size=24, max_steps=5),
            NHITS(
                h=12,
                input_size=24,
                max_steps=5,
                loss=DistributionLoss("Normal", level=[80], num_samples=50),
            ),
        ],
        freq="ME",
    )
    nf.fit(air, prediction_intervals=PredictionIntervals(n_windows=3))
    fc = nf.predict(level=[90, 80])
    assert list(fc.columns) == [
        "unique_id", "ds",
        "MLP", "MLP-lo-90", "MLP-lo-80", "MLP-hi-80", "MLP-hi-90",
        "NHITS", "NHITS-lo-90", "NHITS-lo-80", "NHITS-hi-80", "NHITS-hi-90",
    ]
    assert (fc["MLP-lo-90"] <= fc["MLP"]).all() and (fc["MLP"] <= fc["MLP-hi-90"]).all()
    q = nf.predict(quantiles=[0.1, 0.9])
    assert list(q.columns)[2:] == ["MLP", "MLP-ql0.1", "MLP-ql0.9", "NHITS", "NHITS_ql0.1", "NHITS_ql0.9"]
    with pytest.raises(ValueError, match="both level and quantiles"):
        nf.predict(level=[80], quantiles=[0.1])
    with pytest.raises(ValueError, match="at least two windows"):
        PredictionIntervals(n_windows=1)
    plain = NeuralForecast(models=[MLP(h=12, input_size=24, max_steps=2)], freq="ME").fit(air)
    with pytest.raises(ValueError, match="conformal"):
        plain.predict(level=[80])


def test_exogenous_and_static(panel):
    df, static = panel
    train = df.groupby("unique_id").head(132)
    futr = df.groupby("unique_id").tail(12)[["unique_id", "ds", "trend"]]
    model = NHITS(
        h=12,
        input_size=24,
        max_steps=5,
        futr_exog_list=["trend"],
        hist_exog_list=["y_[lag12]"],
        stat_exog_list=["airline1"],
    )
    nf = NeuralForecast(models=[model], freq="ME")
    nf.fit(train, static_df=static)
    fc = nf.predict(futr_df=futr)
    assert len(fc) == 24 and fc["ds"].tolist() == futr["ds"].tolist()
    with pytest.raises(ValueError, match="futr_df"):
        nf.predict()


def test_multivariate_model_takes_n_series(panel):
    df, _ = panel
    nf = NeuralForecast(
        models=[TSMixer(h=12, input_size=24, n_series=2, max_steps=3)], freq="ME"
    )
    nf.fit(df[["unique_id", "ds", "y"]])
    assert len(nf.predict()) == 24


def test_fit_releases_the_gil(air):
    nf = NeuralForecast(models=[MLP(h=12, input_size=24, max_steps=300)], freq="ME")
    ticks = 0
    worker = threading.Thread(target=nf.fit, args=(air,))
    worker.start()
    while worker.is_alive():
        ticks += 1
        time.sleep(0.001)
    worker.join()
    assert ticks > 10, "the main thread did not run while fit was training"
