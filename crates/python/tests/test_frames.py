"""pandas and polars in and out: the type passed is the type returned, dtypes kept."""

import numpy as np
import pandas as pd
import polars as pl
import pytest

from neurodiv import NeuralForecast
from neurodiv.models import MLP


def fitted(df, freq="ME", **fit_args):
    nf = NeuralForecast(models=[MLP(h=3, input_size=6, max_steps=2)], freq=freq)
    nf.fit(df, **fit_args)
    return nf


def test_pandas_round_trip(air):
    nf = fitted(air)
    fc = nf.predict()
    assert isinstance(fc, pd.DataFrame)
    assert fc["ds"].dtype == air["ds"].dtype
    assert fc["ds"].tolist() == list(pd.date_range("1961-01-31", periods=3, freq="ME"))
    assert fc["MLP"].dtype == np.float32


def test_pandas_integer_ids_and_timestamps():
    df = pd.DataFrame(
        {"unique_id": np.repeat([7, 9], 20), "ds": np.tile(np.arange(20, dtype=np.int64), 2),
         "y": np.arange(40, dtype=np.float64)}
    )
    fc = fitted(df, freq=1).predict()
    assert fc["unique_id"].dtype == np.int64 and fc["unique_id"].tolist() == [7] * 3 + [9] * 3
    assert fc["ds"].dtype == np.int64 and fc["ds"].tolist() == [20, 21, 22] * 2


def test_pandas_column_names_and_time_zones(air):
    df = air.rename(columns={"unique_id": "store", "ds": "date", "y": "sales"})
    df["date"] = df["date"].dt.tz_localize("UTC").dt.tz_convert("Asia/Tokyo")
    nf = fitted(df, id_col="store", time_col="date", target_col="sales")
    fc = nf.predict()
    assert list(fc.columns) == ["store", "date", "MLP"]
    assert str(fc["date"].dt.tz) == "Asia/Tokyo"
    assert fc["date"].iloc[0] == pd.Timestamp("1961-01-31", tz="UTC")
    cv = nf.cross_validation(df, n_windows=1, id_col="store", time_col="date", target_col="sales")
    assert list(cv.columns) == ["store", "date", "cutoff", "MLP", "sales"]


def polars_air(air):
    return pl.DataFrame(
        {"unique_id": air["unique_id"].to_numpy().astype(str), "ds": air["ds"].to_numpy(),
         "y": air["y"].to_numpy()}
    )


def test_polars_round_trip(air):
    df = polars_air(air)
    nf = fitted(df)
    fc = nf.predict()
    assert isinstance(fc, pl.DataFrame)
    assert fc.schema["ds"] == df.schema["ds"]
    assert fc.schema["unique_id"] == pl.String
    # Same data, same forecast, whatever the frame library.
    assert np.array_equal(fc["MLP"].to_numpy(), fitted(air).predict()["MLP"].to_numpy())
    cv = nf.cross_validation(df, n_windows=2, step_size=3)
    assert isinstance(cv, pl.DataFrame) and cv.columns == ["unique_id", "ds", "cutoff", "MLP", "y"]


def test_polars_dates_stay_dates(air):
    df = polars_air(air).with_columns(pl.col("ds").cast(pl.Date))
    fc = fitted(df).predict()
    assert fc.schema["ds"] == pl.Date
    assert fc["ds"].to_list()[0].isoformat() == "1961-01-31"


def test_predict_on_new_history_of_the_other_kind(air):
    nf = fitted(air)
    fc = nf.predict(df=polars_air(air).head(100))
    assert isinstance(fc, pl.DataFrame)
    assert fc["ds"].to_list()[0].isoformat().startswith("1957-05-31")


def test_not_a_frame():
    nf = NeuralForecast(models=[MLP(h=3, input_size=6, max_steps=2)], freq="ME")
    with pytest.raises(TypeError, match="pandas or polars"):
        nf.fit({"unique_id": [1]})
