"""pandas and polars frames to and from the native module's numpy columns.

A frame is taken apart column by column (ids factorised once, timestamps as int64 counts of
their datetime64 unit, values as contiguous float32), never row by row; a result comes back as
numpy columns and is put together as a frame of the kind the user passed, with the timestamp
dtype and the id values they had.
"""

from dataclasses import dataclass, field

import numpy as np

from . import _neurodiv


def _kind(df):
    module = type(df).__module__.split(".")[0]
    if module == "pandas":
        return "pandas"
    if module == "polars":
        return "polars"
    raise TypeError(
        f"expected a pandas or polars DataFrame, got {type(df).__module__}.{type(df).__name__}"
    )


@dataclass
class FrameInfo:
    """What a result frame needs to look like the input: its kind, the original id values
    (keyed by their text, which the library uses) and the timestamp dtype."""

    kind: str = "pandas"
    ds_dtype: object = None
    ds_unit: str = "ns"
    ids: dict = field(default_factory=dict)


def _ids(df, kind, id_col):
    """(texts of the distinct ids, int64 code of each row, {text: original value})."""
    if kind == "pandas":
        import pandas as pd

        codes, uniques = pd.factorize(df[id_col], sort=False)
        uniques = np.asarray(uniques)
        codes = np.asarray(codes, dtype=np.int64)
        if (codes < 0).any():
            raise ValueError(f"column `{id_col}` has missing ids")
    else:
        col = df[id_col]
        if col.null_count():
            raise ValueError(f"column `{id_col}` has missing ids")
        codes = (col.rank("dense").to_numpy().astype(np.int64)) - 1
        uniques = col.unique().sort().to_numpy()
    texts = [str(u) for u in uniques]  # one per series
    return texts, np.ascontiguousarray(codes), dict(zip(texts, uniques.tolist()))


def _timestamps(df, kind, time_col):
    """(int64 counts, datetime64 unit or None for integers, the column's dtype)."""
    col = df[time_col]
    dtype = col.dtype
    if kind == "pandas":
        import pandas as pd

        if isinstance(dtype, pd.DatetimeTZDtype):
            col = col.dt.tz_convert("UTC").dt.tz_localize(None)
        values = col.to_numpy()
    else:
        import polars as pl

        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
            col = col.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        values = col.to_numpy()
    if values.dtype.kind == "M":
        unit = np.datetime_data(values.dtype)[0]
        return np.ascontiguousarray(values.view(np.int64)), unit, dtype
    if values.dtype.kind in "iu":
        return np.ascontiguousarray(values, dtype=np.int64), None, dtype
    raise ValueError(
        f"column `{time_col}` has type {dtype}; expected datetimes or integers"
    )


def _floats(df, name):
    values = df[name].to_numpy()
    if values.dtype.kind not in "fiub":
        raise ValueError(f"column `{name}` has type {df[name].dtype}; expected numbers")
    return np.ascontiguousarray(values, dtype=np.float32)


def _columns(df):
    return [str(c) for c in df.columns]


def to_panel(df, freq, id_col, time_col, target_col, static_df=None, future=False):
    """A validated native panel of `df` (a future frame without target when `future`), and
    the FrameInfo to shape results like it."""
    kind = _kind(df)
    columns = _columns(df)
    required = [id_col, time_col] + ([] if future else [target_col])
    _neurodiv.require_columns(required, columns)
    texts, codes, originals = _ids(df, kind, id_col)
    ds, unit, ds_dtype = _timestamps(df, kind, time_col)
    y = None if future else _floats(df, target_col)
    exog_names = [c for c in columns if c not in required]
    exog = [_floats(df, c) for c in exog_names]
    statics = None
    if static_df is not None:
        _neurodiv.require_columns([id_col], _columns(static_df))
        _kind(static_df)
        names = [c for c in _columns(static_df) if c != id_col]
        ids = [str(v) for v in static_df[id_col].to_list()]  # one per series
        values = np.ascontiguousarray(
            np.column_stack([_floats(static_df, c) for c in names])
            if names
            else np.zeros((len(ids), 0), dtype=np.float32),
            dtype=np.float32,
        )
        statics = (names, ids, values)
    panel = _neurodiv.make_panel(
        texts, codes, ds, unit, y, exog_names, exog, str(freq), time_col, statics
    )
    info = FrameInfo(kind=kind, ds_dtype=ds_dtype, ds_unit=unit or "ns", ids=originals)
    return panel, info


def _ds_column(kind, counts, is_int, info):
    """A timestamp column from int64 counts, with the dtype of the input when known."""
    if is_int:
        values = counts
    else:
        values = counts.view(f"datetime64[{info.ds_unit}]")
    if kind == "pandas":
        import pandas as pd

        col = pd.Series(values)
        if info.ds_dtype is not None:
            if isinstance(info.ds_dtype, pd.DatetimeTZDtype):
                return col.dt.tz_localize("UTC").dt.tz_convert(info.ds_dtype.tz)
            return col.astype(info.ds_dtype)
        return col
    import polars as pl

    col = pl.Series(values)
    dtype = info.ds_dtype
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        return col.cast(pl.Datetime(dtype.time_unit)).dt.replace_time_zone("UTC").dt.convert_time_zone(
            dtype.time_zone
        )
    if dtype is not None:
        return col.cast(dtype)
    return col


def to_frame(result, info, id_col, time_col, target_col):
    """The frame of a native result (predict, cross-validation, in-sample), of info's kind:
    id, time, [cutoff], model columns, [target] (NeuralForecast's column order)."""
    kind = info.kind
    ids = np.array([info.ids.get(t, t) for t in result["ids"]], dtype=object)  # per series
    if all(isinstance(v, (int, np.integer)) for v in ids):
        ids = ids.astype(np.int64)
    elif all(isinstance(v, str) for v in ids):
        ids = ids.astype(str)
    id_values = ids[result["codes"]]
    is_int = result["ds_is_int"]
    columns = [
        (id_col, id_values),
        (time_col, _ds_column(kind, result["ds"], is_int, info)),
    ]
    if result["cutoff"] is not None:
        columns.append(("cutoff", _ds_column(kind, result["cutoff"], is_int, info)))
    columns.extend(result["columns"])
    if result["y"] is not None:
        columns.append((target_col, result["y"]))
    if kind == "pandas":
        import pandas as pd

        return pd.DataFrame({name: values for name, values in columns})
    import polars as pl

    return pl.DataFrame([pl.Series(name, values) for name, values in columns])
