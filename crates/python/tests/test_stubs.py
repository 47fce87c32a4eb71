"""The committed type stub lists every model with the registry's options."""

import pathlib

from neurodiv import _neurodiv, _stubgen, models


def test_models_stub_is_current():
    committed = pathlib.Path(models.__file__).with_suffix(".pyi").read_text()
    assert committed == _stubgen.stub(), "run `python -m neurodiv._stubgen > models.pyi`"


def test_one_class_per_registered_model():
    assert sorted(models.__all__) == sorted(_neurodiv.model_names())
