"""Saved in Python, served by the command line and the Rust API; and the reverse."""

import io
import subprocess

import numpy as np
import pandas as pd
import pathlib

from neurodiv import NeuralForecast
from neurodiv.models import MLP, NHITS

from conftest import REPO


def read_csv(text):
    return pd.read_csv(io.StringIO(text), parse_dates=["ds"])


def test_saved_in_python_predicted_by_the_cli(air, cli, tmp_path):
    nf = NeuralForecast(models=[NHITS(h=6, input_size=12, max_steps=5)], freq="ME")
    nf.fit(air)
    nf.save(tmp_path / "model")
    ours = nf.predict()
    theirs = read_csv(cli("predict", "--load", str(tmp_path / "model")))
    assert theirs["ds"].tolist() == ours["ds"].tolist()
    assert np.array_equal(theirs["NHITS"].to_numpy(np.float32), ours["NHITS"].to_numpy())
    # A second save needs overwrite, as in NeuralForecast.
    try:
        nf.save(tmp_path / "model")
        raise AssertionError("a second save without overwrite was accepted")
    except ValueError as e:
        assert "overwrite" in str(e)
    nf.save(tmp_path / "model", overwrite=True)


def test_saved_by_the_cli_loaded_in_python(cli, tmp_path):
    cli("fit", "--data", str(REPO / "data/air_passengers.csv"), "--model", "MLP",
        "--h", "4", "--max-steps", "3", "--quiet", "--save", str(tmp_path / "model"))
    nf = NeuralForecast.load(tmp_path / "model")
    assert [m.alias for m in nf.models] == ["MLP"] and nf.models[0].h == 4
    ours = nf.predict()
    theirs = read_csv(cli("predict", "--load", str(tmp_path / "model")))
    assert np.array_equal(theirs["MLP"].to_numpy(np.float32), ours["MLP"].to_numpy())
    # The loaded object goes on as any other: new history, cross-validation, save.
    assert len(nf.predict(df=read_csv(pathlib.Path(REPO / "data/air_passengers.csv").read_text()))) == 4
    nf.save(tmp_path / "again")
    assert NeuralForecast.load(tmp_path / "again").predict()["MLP"].tolist() == ours["MLP"].tolist()


def test_load_errors(tmp_path):
    try:
        NeuralForecast.load(tmp_path / "nothing")
        raise AssertionError("loading a missing directory was accepted")
    except OSError as e:
        assert "neuralforecast.ndiv" in str(e)
