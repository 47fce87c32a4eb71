import io
import os
import pathlib
import subprocess

import pandas as pd
import pytest

from neurodiv import _neurodiv

REPO = pathlib.Path(__file__).resolve().parents[3]


@pytest.fixture
def air():
    """AirPassengers as the library embeds it (pandas, datetime64 ds)."""
    return pd.read_csv(io.StringIO(_neurodiv.air_passengers_csv()), parse_dates=["ds"])


@pytest.fixture
def panel():
    """The two-series AirPassengers panel with its exogenous columns and static features."""
    df = pd.read_csv(REPO / "data/air_passengers_panel.csv", parse_dates=["ds"])
    static = pd.read_csv(REPO / "data/air_passengers_static.csv")
    return df, static


@pytest.fixture(scope="session")
def cli():
    """The release `neurodiv` binary (ci.sh builds it): $NEURODIV_CLI, else
    $CARGO_TARGET_DIR/release/neurodiv, else target/release/neurodiv."""
    path = os.environ.get("NEURODIV_CLI")
    if path is None:
        target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
        path = target / "release" / "neurodiv"
    if not pathlib.Path(path).exists():
        pytest.fail(f"{path} not found: run `cargo build --release -p neurodiv-cli` first")

    def run(*args):
        done = subprocess.run([str(path), *args], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    return run
