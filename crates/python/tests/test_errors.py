"""Bad input raises ValueError (or TypeError for a missing argument) with the library's message."""

import pytest

from neurodiv import NeuralForecast
from neurodiv.losses import GMM, DistributionLoss, MQLoss
from neurodiv.models import MLP, NHITS, TSMixer


def test_unknown_model_argument():
    with pytest.raises(ValueError, match='NHITS has no option "hidden"; valid options: .*mlp_units'):
        NHITS(h=12, input_size=24, hidden=3)


def test_option_of_the_wrong_shape():
    with pytest.raises(ValueError, match="option mlp_units takes a list of lists of integers"):
        NHITS(h=12, input_size=24, mlp_units=[256, 256])


def test_bad_option_value():
    with pytest.raises(ValueError, match="scaler"):
        MLP(h=12, input_size=24, scaler_type="nonsense")


def test_missing_required_arguments():
    with pytest.raises(TypeError, match="input_size"):
        NHITS(h=12)
    with pytest.raises(TypeError, match="n_series"):
        TSMixer(h=12, input_size=24)


def test_bad_losses():
    with pytest.raises(ValueError, match="distribution"):
        DistributionLoss("Gumbel")
    with pytest.raises(ValueError, match="rho"):
        DistributionLoss("Tweedie")
    with pytest.raises(ValueError, match="n_components"):
        GMM(n_components=0)
    with pytest.raises(ValueError):
        MQLoss(level=[150])


def test_unknown_freq():
    with pytest.raises(ValueError, match='freq "fortnightly": unknown frequency'):
        NeuralForecast(models=[MLP(h=12, input_size=24)], freq="fortnightly")


def test_data_off_the_freq(air):
    nf = NeuralForecast(models=[MLP(h=12, input_size=24, max_steps=1)], freq="D")
    with pytest.raises(ValueError):
        nf.fit(air)


def test_missing_column(air):
    nf = NeuralForecast(models=[MLP(h=12, input_size=24, max_steps=1)], freq="ME")
    with pytest.raises(ValueError, match="missing column `y`; the header has: unique_id, ds"):
        nf.fit(air.drop(columns="y"))
    with pytest.raises(ValueError, match="missing column `store`"):
        nf.fit(air, id_col="store")


def test_bad_values(air):
    nf = NeuralForecast(models=[MLP(h=12, input_size=24, max_steps=1)], freq="ME")
    bad = air.copy()
    bad.loc[5, "y"] = float("nan")
    with pytest.raises(ValueError):
        nf.fit(bad)
    with pytest.raises(ValueError, match="val_size must be at least 0"):
        nf.fit(air, val_size=-1)


def test_predict_before_fit():
    nf = NeuralForecast(models=[MLP(h=12, input_size=24)], freq="ME")
    with pytest.raises(ValueError, match="not fitted"):
        nf.predict()


def test_duplicate_aliases():
    with pytest.raises(ValueError, match="two models are called MLP"):
        NeuralForecast(models=[MLP(h=12, input_size=24), MLP(h=12, input_size=24)], freq="ME")
    NeuralForecast(models=[MLP(h=12, input_size=24), MLP(h=12, input_size=24, alias="MLP2")], freq="ME")


def test_series_too_short(air):
    nf = NeuralForecast(models=[MLP(h=12, input_size=240, max_steps=1)], freq="ME")
    with pytest.raises(ValueError, match="input_size"):
        nf.fit(air)
