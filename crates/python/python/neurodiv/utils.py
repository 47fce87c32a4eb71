"""Example data, as NeuralForecast's `neuralforecast.utils` has it (needs pandas)."""

import io

import pandas as pd

from . import _neurodiv

#: AirPassengers (monthly airline passengers in thousands, 1949-1960) in long format:
#: `unique_id` ("AirPassengers"), `ds` (month ends, datetime64) and `y`.
AirPassengersDF = pd.read_csv(
    io.StringIO(_neurodiv.air_passengers_csv()), parse_dates=["ds"]
)

__all__ = ["AirPassengersDF"]
