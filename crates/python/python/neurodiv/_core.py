"""`NeuralForecast`: NeuralForecast's class over the Rust library's orchestrator."""

from . import _frames, _neurodiv
from .models import _model_from_config


def _count(name, value, least=0):
    """A non-negative (or at least `least`) integer argument, else ValueError."""
    n = int(value)
    if n < least:
        raise ValueError(f"{name} must be at least {least}, got {value}")
    return n


def _freq_text(freq):
    """A pandas alias (`"ME"`, `"D"`, an offset object's freqstr) or an integer step."""
    return str(getattr(freq, "freqstr", freq))


class NeuralForecast:
    """Fits, predicts, cross-validates, saves and loads several models on one panel of series.

    `models` are instances of the classes of `neurodiv.models`; `freq` is the data's frequency
    as pandas spells it (`"ME"`, `"D"`, `"h"`, ...) or an integer step for integer timestamps.
    The work runs in Rust with the GIL released.
    """

    def __init__(self, models, freq):
        self.models = list(models)
        self.freq = freq
        self._native = _neurodiv.Forecaster(
            [(m._name, m._config) for m in self.models], _freq_text(freq)
        )
        self._info = _frames.FrameInfo()
        self.id_col, self.time_col, self.target_col = "unique_id", "ds", "y"

    def _panel(self, df, static_df=None, future=False):
        panel, info = _frames.to_panel(
            df,
            self._native.freq,
            self.id_col,
            self.time_col,
            self.target_col,
            static_df=static_df,
            future=future,
        )
        return panel, info

    def _frame(self, result):
        return _frames.to_frame(
            result, self._info, self.id_col, self.time_col, self.target_col
        )

    def fit(
        self,
        df,
        static_df=None,
        val_size=0,
        id_col="unique_id",
        time_col="ds",
        target_col="y",
        prediction_intervals=None,
    ):
        """Fits every model on `df` (long format: id, time, target and exogenous columns),
        holding out the last `val_size` points of each series for validation and early
        stopping. `static_df` holds one row of static features per series.
        `prediction_intervals` (`neurodiv.utils.PredictionIntervals`) calibrates conformal
        intervals for point-loss models first, for `predict(level=...)`."""
        self.id_col, self.time_col, self.target_col = id_col, time_col, target_col
        panel, info = self._panel(df, static_df)
        pi = prediction_intervals
        intervals = None if pi is None else (pi.n_windows, pi.method, pi.step_size)
        self._native.fit(panel, _count("val_size", val_size), intervals)
        self._info = info
        return self

    def predict(self, df=None, static_df=None, futr_df=None, level=None, quantiles=None):
        """Forecasts the next `h` points of every series of the training data, or of `df` (new
        history for the fitted models) when given. `futr_df` holds the next `h` values of the
        future exogenous columns. `level` (e.g. `[80, 90]`) or `quantiles` add interval
        columns: drawn from a distribution loss, conformal for a point loss fitted with
        `prediction_intervals`. The frame is of the kind of `df` (else of the training data):
        id, time and one column per model output."""
        if df is None and static_df is not None:
            raise ValueError(
                "static_df goes with df: the training data keeps the static features of fit"
            )
        panel, info = (None, self._info) if df is None else self._panel(df, static_df)
        futr = None if futr_df is None else self._panel(futr_df, future=True)[0]
        result = self._native.predict(
            panel,
            futr,
            info.ds_unit,
            None if level is None else [float(v) for v in level],
            None if quantiles is None else [float(v) for v in quantiles],
        )
        return _frames.to_frame(result, info, self.id_col, self.time_col, self.target_col)

    def cross_validation(
        self,
        df,
        static_df=None,
        n_windows=1,
        step_size=1,
        val_size=0,
        refit=False,
        id_col="unique_id",
        time_col="ds",
        target_col="y",
    ):
        """Rolling-origin backtest: `n_windows` forecasts of `h` points whose cutoffs are
        `step_size` apart, the last ending at the end of each series; the models are fitted once
        on the data before the first cutoff, or before each one with `refit`. The frame has id,
        time, `cutoff`, the model columns and the target."""
        self.id_col, self.time_col, self.target_col = id_col, time_col, target_col
        panel, info = self._panel(df, static_df)
        result = self._native.cross_validation(
            panel,
            _count("n_windows", n_windows, 1),
            _count("step_size", step_size, 1),
            _count("val_size", val_size),
            bool(refit),
            info.ds_unit,
        )
        self._info = info
        return self._frame(result)

    def predict_insample(self, step_size=1):
        """Forecasts of every full window of the training data, with `cutoff` and the target."""
        result = self._native.predict_insample(
            _count("step_size", step_size, 1), self._info.ds_unit
        )
        return self._frame(result)

    def save(self, path, overwrite=False):
        """Saves the fitted models and the training data into directory `path`, all or nothing;
        an earlier save there is replaced only with `overwrite`. The Rust API and the command
        line (`neurodiv predict --load PATH`) read it."""
        self._native.save(str(path), bool(overwrite))

    @staticmethod
    def load(path):
        """Loads what `save` (or the command line's `neurodiv fit --save`) wrote. Results come
        back as pandas frames when pandas is installed, else as polars frames."""
        native = _neurodiv.Forecaster.load(str(path))
        nf = NeuralForecast.__new__(NeuralForecast)
        nf._native = native
        nf.models = [_model_from_config(name, config) for name, config in native.models()]
        nf.freq = native.freq
        nf.id_col, nf.time_col, nf.target_col = "unique_id", "ds", "y"
        nf._info = _frames.FrameInfo(kind=_default_kind())
        return nf

    def __repr__(self):
        return f"NeuralForecast(models=[{', '.join(map(repr, self.models))}], freq={self.freq!r})"


def _default_kind():
    try:
        import pandas  # noqa: F401

        return "pandas"
    except ImportError:
        return "polars"
