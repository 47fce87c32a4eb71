"""The losses of the Rust library, with NeuralForecast's names and arguments.

Pass one as a model's `loss` or `valid_loss` (`NHITS(h=12, input_size=24, loss=MQLoss(level=[80, 90]))`).
Each is checked when it is made, by the same parser that reads `loss=...` on the command line.
"""

from . import _neurodiv


def _arg(value):
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_arg(v) for v in value) + "]"
    return repr(float(value)) if isinstance(value, float) else str(value)


class _Loss:
    def __init__(self, **arguments):
        given = ", ".join(f"{k}={_arg(v)}" for k, v in arguments.items() if v is not None)
        self._text = _neurodiv.loss_text(f"{type(self).__name__}({given})")

    def __repr__(self):
        return self._text

    def __eq__(self, other):
        return isinstance(other, _Loss) and self._text == other._text

    def __hash__(self):
        return hash(self._text)


class MAE(_Loss):
    """Mean absolute error."""

    def __init__(self):
        super().__init__()


class MSE(_Loss):
    """Mean squared error."""

    def __init__(self):
        super().__init__()


class RMSE(_Loss):
    """Root mean squared error."""

    def __init__(self):
        super().__init__()


class MAPE(_Loss):
    """Mean absolute percentage error."""

    def __init__(self):
        super().__init__()


class SMAPE(_Loss):
    """Symmetric mean absolute percentage error (in [0, 2])."""

    def __init__(self):
        super().__init__()


class MASE(_Loss):
    """Mean absolute scaled error against the seasonal naive forecast of the input window."""

    def __init__(self, seasonality: int):
        super().__init__(seasonality=seasonality)


class HuberLoss(_Loss):
    """Huber loss with threshold `delta`."""

    def __init__(self, delta: float = 1.0):
        super().__init__(delta=delta)


class QuantileLoss(_Loss):
    """Pinball loss of quantile `q` in (0, 1)."""

    def __init__(self, q: float):
        super().__init__(q=q)


class MQLoss(_Loss):
    """Multi-quantile loss: the median and the bounds of each level's interval (or the
    `quantiles` given); forecast columns `MODEL-median`, `MODEL-lo-80`, `MODEL-hi-80`, ..."""

    def __init__(self, level=(80, 90), quantiles=None):
        super().__init__(level=None if quantiles is not None else level, quantiles=quantiles)


class HuberQLoss(_Loss):
    """Huberized pinball loss of quantile `q` in (0, 1) with threshold `delta`."""

    def __init__(self, q: float, delta: float = 1.0):
        super().__init__(q=q, delta=delta)


class HuberMQLoss(_Loss):
    """Huberized multi-quantile loss (threshold `delta`), with MQLoss's columns."""

    def __init__(self, level=(80, 90), quantiles=None, delta: float = 1.0):
        super().__init__(
            level=None if quantiles is not None else level, quantiles=quantiles, delta=delta
        )


class DistributionLoss(_Loss):
    """Negative log-likelihood of a parametric distribution (`"Normal"`, `"StudentT"`,
    `"Poisson"`, `"NegativeBinomial"`, `"Tweedie"` with `rho=...`, `"Bernoulli"`); forecasts are
    the mean, median and interval bounds of `num_samples` draws."""

    def __init__(
        self,
        distribution: str,
        level=(80, 90),
        quantiles=None,
        num_samples: int = 1000,
        return_params: bool = False,
        **distribution_kwargs,
    ):
        super().__init__(
            distribution=distribution,
            level=None if quantiles is not None else level,
            quantiles=quantiles,
            num_samples=num_samples,
            return_params=return_params,
            **distribution_kwargs,
        )


class _Mixture(_Loss):
    _default_components = 1

    def __init__(
        self,
        n_components=None,
        level=(80, 90),
        quantiles=None,
        num_samples: int = 1000,
        return_params: bool = False,
        weighted: bool = False,
        **correlations,
    ):
        super().__init__(
            n_components=self._default_components if n_components is None else n_components,
            level=None if quantiles is not None else level,
            quantiles=quantiles,
            num_samples=num_samples,
            return_params=return_params,
            weighted=weighted,
            **correlations,
        )


class GMM(_Mixture):
    """Gaussian mixture of `n_components` (default 1), equal or learned (`weighted`) weights."""

    def __init__(
        self,
        n_components: int = 1,
        level=(80, 90),
        quantiles=None,
        num_samples: int = 1000,
        return_params: bool = False,
        batch_correlation: bool = False,
        horizon_correlation: bool = False,
        weighted: bool = False,
    ):
        super().__init__(
            n_components,
            level,
            quantiles,
            num_samples,
            return_params,
            weighted,
            batch_correlation=batch_correlation,
            horizon_correlation=horizon_correlation,
        )


class PMM(_Mixture):
    """Poisson mixture of `n_components` (default 10), equal or learned (`weighted`) weights."""

    def __init__(
        self,
        n_components: int = 10,
        level=(80, 90),
        quantiles=None,
        num_samples: int = 1000,
        return_params: bool = False,
        batch_correlation: bool = False,
        horizon_correlation: bool = False,
        weighted: bool = False,
    ):
        super().__init__(
            n_components,
            level,
            quantiles,
            num_samples,
            return_params,
            weighted,
            batch_correlation=batch_correlation,
            horizon_correlation=horizon_correlation,
        )


class NBMM(_Mixture):
    """Negative binomial mixture of `n_components` (default 1), equal or learned weights."""

    def __init__(
        self,
        n_components: int = 1,
        level=(80, 90),
        quantiles=None,
        num_samples: int = 1000,
        return_params: bool = False,
        weighted: bool = False,
    ):
        super().__init__(n_components, level, quantiles, num_samples, return_params, weighted)


__all__ = [
    "MAE",
    "MSE",
    "RMSE",
    "MAPE",
    "SMAPE",
    "MASE",
    "HuberLoss",
    "QuantileLoss",
    "MQLoss",
    "HuberQLoss",
    "HuberMQLoss",
    "DistributionLoss",
    "GMM",
    "PMM",
    "NBMM",
]
