"""One class per model of the Rust library's registry, named and configured as in NeuralForecast.

`NHITS(h=12, input_size=24, max_steps=200, scaler_type="robust", loss=MQLoss())`: the keyword
arguments are the model's options as NeuralForecast spells them (`neurodiv models NAME` on the
command line lists them with their defaults); they are checked, and the model built once, when
the object is made, so an unknown option or a bad value raises `ValueError` at once.
"""

import json

import numpy as np

from . import _neurodiv
from .losses import _Loss

# Models whose `input_size` defaults to -1 (3 * h) in NeuralForecast; the others require it.
_INPUT_SIZE_OPTIONAL = {"RNN", "LSTM", "GRU", "DilatedRNN", "DeepAR", "TCN"}


def _option_text(value):
    """An option value as the registry reads it: a loss in its NeuralForecast spelling, anything
    else as JSON."""
    if isinstance(value, _Loss):
        return value._text

    def plain(v):
        if isinstance(v, np.generic):
            return v.item()
        if isinstance(v, np.ndarray):
            return v.tolist()
        raise TypeError(f"option value {v!r} is not a number, text, list or loss")

    return json.dumps(value, default=plain)


class _Model:
    _name = ""

    def __init__(self, h, input_size=None, **kwargs):
        name = self._name
        if input_size is None:
            if name not in _INPUT_SIZE_OPTIONAL:
                raise TypeError(f"{name}() missing required argument: 'input_size'")
            input_size = -1
        h, input_size = int(h), int(input_size)
        if input_size == -1:  # NeuralForecast's -1: three horizons
            input_size = 3 * h
        if h < 1 or input_size < 1:
            raise ValueError(
                f"{name}: h and input_size must be at least 1 (input_size -1 means 3 * h), "
                f"got h={h}, input_size={input_size}"
            )
        defaults = json.loads(_neurodiv.default_config(name, h, input_size))
        if "n_series" in defaults and "n_series" not in kwargs:
            raise TypeError(
                f"{name}() missing required argument: 'n_series' (the number of series)"
            )
        options = [(key, _option_text(value)) for key, value in kwargs.items()]
        self._config = _neurodiv.model_config(name, h, input_size, options)
        self.h, self.input_size = h, input_size
        self.kwargs = dict(kwargs)

    @property
    def alias(self):
        """The model's column name in forecasts (its `alias` option, else its class name)."""
        return json.loads(self._config).get("alias") or self._name

    def get_config(self):
        """Every option of the model, defaults included, as a dict."""
        return json.loads(self._config)

    def __repr__(self):
        return self.alias


def _model_from_config(name, config):
    """A model object for a saved model (name and full config as JSON)."""
    model = globals()[name].__new__(globals()[name])
    model._config = config
    options = json.loads(config)
    model.h, model.input_size = options.get("h"), options.get("input_size")
    model.kwargs = {}
    return model


__all__ = list(_neurodiv.model_names())
for _name in __all__:
    globals()[_name] = type(
        _name,
        (_Model,),
        {
            "_name": _name,
            "__module__": __name__,
            "__doc__": f"{_name}, as NeuralForecast's {_name}: "
            "keyword arguments are its options (see neurodiv/models.pyi).",
        },
    )
del _name
