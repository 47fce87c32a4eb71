"""Example data, as NeuralForecast's `neuralforecast.utils` has it (needs pandas)."""

import io

import pandas as pd

from . import _neurodiv

#: AirPassengers (monthly airline passengers in thousands, 1949-1960) in long format:
#: `unique_id` ("AirPassengers"), `ds` (month ends, datetime64) and `y`.
AirPassengersDF = pd.read_csv(
    io.StringIO(_neurodiv.air_passengers_csv()), parse_dates=["ds"]
)

__all__ = ["AirPassengersDF", "PredictionIntervals"]


class PredictionIntervals:
    """Conformal prediction intervals for point-loss models, as NeuralForecast's
    `neuralforecast.utils.PredictionIntervals`: pass it to `NeuralForecast.fit`, then ask
    `predict(level=[80, 90])`. `fit` first cross-validates `n_windows` windows `step_size` apart
    at the end of every series and keeps the absolute errors; `method` is
    `"conformal_distribution"` (default) or `"conformal_error"`."""

    def __init__(self, n_windows=2, method="conformal_distribution", step_size=1):
        if n_windows < 2:
            raise ValueError("You need at least two windows to compute conformal intervals")
        allowed_methods = ["conformal_error", "conformal_distribution"]
        if method not in allowed_methods:
            raise ValueError(f"method must be one of {allowed_methods}")
        if step_size < 1:
            raise ValueError("step_size must be at least 1")
        self.n_windows = int(n_windows)
        self.method = method
        self.step_size = int(step_size)

    def __repr__(self):
        return (
            f"PredictionIntervals(n_windows={self.n_windows}, method='{self.method}', "
            f"step_size={self.step_size})"
        )
