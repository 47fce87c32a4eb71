"""Neuro-Divergent for Python: NeuralForecast's models and API, trained and run in Rust.

    from neurodiv import NeuralForecast
    from neurodiv.models import NHITS
    from neurodiv.utils import AirPassengersDF

    nf = NeuralForecast(models=[NHITS(h=12, input_size=24, max_steps=100)], freq="ME")
    nf.fit(df=AirPassengersDF)
    print(nf.predict())
"""

from ._core import NeuralForecast

__all__ = ["NeuralForecast"]
