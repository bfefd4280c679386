"""A generic typed-config engine: plain nested dicts to frozen dataclasses and back.

Fields declare their bounds with :func:`num` and their vocabulary with :func:`choice`;
:func:`build` coerces a dict to the annotated types (nested dataclasses, tuples of them
given as lists or as name-keyed mappings, optional values), rejects unknown keys and
out-of-range values with a :class:`~sim.errors.ConfigError` naming the dotted key and what
is allowed (:func:`allowed`), then runs the instance's own ``validate(key_prefix)`` method
(its cross-field checks, written next to its fields). Nothing here knows the model.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import types
import typing
from dataclasses import field
from typing import Any

import numpy as np

from sim.errors import ConfigError


def require(cond: bool, key: str, msg: str) -> None:
    """Raise a :class:`ConfigError` on ``key`` with ``msg`` unless ``cond``."""
    if not cond:
        raise ConfigError(key, msg)


def _meta(lo: float | None = None, hi: float | None = None, choices: tuple | None = None,
          lo_open: bool = False) -> dict:
    return {"lo": lo, "hi": hi, "choices": choices, "lo_open": lo_open}


def num(default: Any, lo: float | None = None, hi: float | None = None, lo_open: bool = False):
    """A numeric field with bounds (inclusive unless ``lo_open``)."""
    return field(default=default, metadata=_meta(lo, hi, lo_open=lo_open))


def choice(default: str | None, choices: tuple):
    return field(default=default, metadata=_meta(choices=choices))


def positive_profile(values: tuple, n: int, key: str) -> None:
    """A profile of ``n`` non-negative factors, not all zero (or none: flat)."""
    require(len(values) in (0, n), key, f"must list {n} values (or none for a flat profile), got {len(values)}")
    require(all(math.isfinite(v) and v >= 0 for v in values), key, "values must be finite and >= 0")
    require(len(values) == 0 or sum(values) > 0, key, "must not be all zero")


INT_LIMIT = 2**63 - 1
"""Whole numbers must fit a 64-bit integer (numpy's); sizes are bounded further by :mod:`sim.guard`."""
FLOAT_LIMIT = 1e12
"""Magnitude limit of every number (hours, rates, areas, ...): beyond it clock arithmetic in
hours loses its precision and sums overflow. Not a modelling bound: sizes are bounded by
:mod:`sim.guard`, ranges by each field's own bounds."""
FLOAT_TINY = 1e-9
"""The smallest value a field that must be > 0 may take (1e-9 h is 4 µs): below it rates and
counts derived from it overflow."""


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def _fmt(x: float) -> str:
    return f"{x:g}"


def _show(value: Any, width: int = 60) -> str:
    """A value as the user wrote it, shortened for a one-line message."""
    r = repr(value)
    return r if len(r) <= width else r[: width - 4] + " ..."


def allowed(tp: Any, meta: dict) -> str:
    """What a field accepts, in words ("a whole number >= 1", "a number in [0, 1]")."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return allowed(args[0], meta) + " or null"
    if meta.get("nullable"):
        return allowed(tp, {**meta, "nullable": False}) + " or null"
    if meta.get("choices") is not None:
        return "one of " + ", ".join(meta["choices"])
    if tp is bool:
        return "true or false"
    if tp is str:
        return "a string"
    if tp not in (int, float):
        return f"a {_type_name(tp)}"
    what = "a whole number" if tp is int else "a finite number"
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is not None and hi is not None and not meta.get("lo_open"):
        return f"{what} in [{_fmt(lo)}, {_fmt(hi)}]"
    parts = []
    if lo is not None:
        parts.append(f"{'>' if meta.get('lo_open') else '>='} {_fmt(lo)}")
    if hi is not None:
        parts.append(f"<= {_fmt(hi)}")
    return " ".join([what, " and ".join(parts)]).strip()


def _coerce(value: Any, tp: Any, key: str, meta: dict) -> Any:
    """Convert ``value`` to annotation ``tp`` or raise ConfigError naming ``key`` and
    what is allowed."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _coerce(value, args[0], key, {**meta, "nullable": True})
    if dataclasses.is_dataclass(tp):
        if isinstance(value, tp):
            return value
        if not isinstance(value, dict):
            raise ConfigError(key, f"must be a mapping of {', '.join(f.name for f in dataclasses.fields(tp))}; "
                                   f"got {_show(value)}")
        return build(tp, value, key)
    if origin is tuple:
        (item_tp, *_rest) = typing.get_args(tp)
        if isinstance(value, dict):  # a mapping name -> entry, as YAML groups compose best
            if not dataclasses.is_dataclass(item_tp):
                raise ConfigError(key, f"must be a list of {allowed(item_tp, {})}")
            out = []
            for name, v in value.items():
                k = f"{key}.{name}"
                if v is None:
                    v = {}
                if not isinstance(v, dict):
                    raise ConfigError(k, f"must be a mapping of {', '.join(f.name for f in dataclasses.fields(item_tp))}; "
                                         f"got {_show(v)}")
                v = dict(v)
                if v.get("name") is None:  # the entry's key is its name
                    v["name"] = name
                out.append(_coerce(v, item_tp, k, {}))
            return tuple(out)
        if not isinstance(value, (list, tuple)):
            raise ConfigError(key, f"must be a list, got {_show(value)}")
        return tuple(_coerce(v, item_tp, f"{key}[{i}]", {}) for i, v in enumerate(value))
    if tp is dict:
        if not isinstance(value, dict):
            raise ConfigError(key, f"must be a mapping, got {_show(value)}")
        return value
    if tp is bool:
        if not isinstance(value, (bool, np.bool_)):
            raise ConfigError(key, f"must be true or false, got {_show(value)}")
        return bool(value)
    if tp is int:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise ConfigError(key, f"must be {allowed(tp, meta)}, got {_show(value)}")
        if not isinstance(value, numbers.Integral):
            v = float(value)
            if not math.isfinite(v) or v != math.floor(v):
                raise ConfigError(key, f"must be {allowed(tp, meta)}, got {_show(value)}")
        value = int(value)
        if abs(value) > INT_LIMIT:
            raise ConfigError(key, f"must be {allowed(tp, meta)} (at most {INT_LIMIT:.3g}), got {_show(value)}")
    elif tp is float:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise ConfigError(key, f"must be {allowed(tp, meta)}, got {_show(value)}")
        try:
            value = float(value)
        except OverflowError:  # an int beyond the float range
            raise ConfigError(key, f"must be {allowed(tp, meta)}, got {_show(value)}") from None
        if not math.isfinite(value):
            raise ConfigError(key, f"must be {allowed(tp, meta)}, got {_show(value)}")
        if abs(value) > FLOAT_LIMIT:
            raise ConfigError(key, f"must be {allowed(tp, meta)} of magnitude at most {FLOAT_LIMIT:g}, got {_show(value)}")
        if meta.get("lo_open") and meta.get("lo") == 0 and 0 < value < FLOAT_TINY:
            raise ConfigError(key, f"must be {allowed(tp, meta)} and at least {FLOAT_TINY:g}, got {_show(value)}")
    elif tp is str:
        if not isinstance(value, str):
            raise ConfigError(key, f"must be a string, got {_show(value)}")
    choices = meta.get("choices")
    if choices is not None and value not in choices:
        raise ConfigError(key, f"must be one of {', '.join(choices)}; got {_show(value)}")
    lo, hi = meta.get("lo"), meta.get("hi")
    if (lo is not None and (value <= lo if meta.get("lo_open") else value < lo)) or (hi is not None and value > hi):
        raise ConfigError(key, f"must be {allowed(tp, meta)}, got {_show(value)}")
    return value


def build(cls: type, data: dict, prefix: str = "") -> Any:
    """A ``cls`` dataclass from the plain dict ``data`` (keys under ``prefix``): unknown keys
    and bad values rejected, then the instance's own cross-field ``validate`` method run."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields), key=str)
    if unknown:
        key = f"{prefix}.{unknown[0]}" if prefix else unknown[0]
        raise ConfigError(key, f"unknown key; allowed: {', '.join(fields)}")
    kwargs = {}
    for name, value in data.items():
        key = f"{prefix}.{name}" if prefix else name
        kwargs[name] = _coerce(value, hints[name], key, dict(fields[name].metadata))
    obj = cls(**kwargs)
    check = getattr(obj, "validate", None)
    if check is not None:
        check((prefix + ".") if prefix else "")
    return obj


def to_dict(params: Any) -> Any:
    """The inverse of :func:`build`: plain dicts and lists (for manifests)."""
    if dataclasses.is_dataclass(params):
        return {f.name: to_dict(getattr(params, f.name)) for f in dataclasses.fields(params)}
    if isinstance(params, (list, tuple)):
        return [to_dict(v) for v in params]
    return params
