"""The parameter tree as a config schema, derived from the :mod:`sim.params` dataclasses.

A config system (``run.py`` registers the result as a Hydra structured config) needs to
know every key and its default, so that any parameter can be overridden on the command
line without ``+``, including fields a scenario file does not mention. This module builds
that schema at import time from the dataclasses themselves, so a field added to
``sim/params/`` is a command-line key at once:

- a nested dataclass becomes a nested schema with the same fields and the defaults of
  that place in the tree (``levels.district.crews`` 4, ``levels.grid.crews`` 1);
- a named catalogue (a ``tuple`` of dataclasses: ``issue_types``, ``channels``) becomes a
  mapping name → entry, typed so that every entry a scenario defines gets every field
  with its default; the entry's ``name`` defaults to its key;
- every leaf is typed ``Any``: values reach :func:`sim.params.params_from_dict`
  unconverted, which validates them and names the key in one line.

Plain dataclasses only: no Hydra or OmegaConf here.

The generated classes are attributes of this module under names that follow their place
in the tree (``Schema_levels_grid_calendar``; the root is :data:`Config`), built on first
access, so that a parallel launcher that pickles the config store (joblib/loky workers)
sends them by reference and the worker rebuilds the same classes. Pickled by value,
dataclass fields lose the ``dataclasses.MISSING`` sentinel's identity and the worker's
config composition fails.
"""

from __future__ import annotations

import copy
import dataclasses
import typing
from typing import Any, Dict

from sim.params import ModelParams

INTERNAL = ("validation",)
"""Fields of :class:`~sim.params.ModelParams` that the model sets itself, not the user."""

APP_DEFAULTS: dict[str, Any] = {"report": {"enabled": True, "lang": "en", "village": None}, "experiment": None}
"""Top-level keys of the application, not of the model: ``report`` (the report's options,
see :mod:`sim.reporting.options`) and ``experiment`` (sweep settings, see
:mod:`sim.experiments.experiment`). The validation scenarios' knob blocks (``mmc``,
``jackson``, :data:`sim.validation.BLOCKS`) are top-level keys too, default null."""

_CLASSES: dict[str, type] = {}
"""Generated schema classes by name (also this module's attributes)."""


def _entry_type(tp: Any) -> type | None:
    """The dataclass of a catalogue field (``tuple[X, ...]`` with X a dataclass), else None."""
    if typing.get_origin(tp) is tuple:
        args = typing.get_args(tp)
        if args and dataclasses.is_dataclass(args[0]):
            return args[0]
    return None


def _plain(value: Any) -> Any:
    """A default as config data (tuples become lists)."""
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def _factory(value: Any):
    """A default factory returning fresh copies of ``value`` (lists and dicts are mutable)."""
    return lambda: copy.deepcopy(value)


def _register(cls: type, name: str) -> type:
    """Make a generated class importable as ``sim.schema.<name>`` (pickled by reference)."""
    cls.__module__, cls.__name__, cls.__qualname__ = __name__, name, name
    _CLASSES[name] = cls
    globals()[name] = cls
    return cls


def _schema(cls: type, proto: Any, path: tuple[str, ...] = (), entry: bool = False) -> type:
    """Schema dataclass of params class ``cls`` with the defaults held by ``proto`` (an
    instance of ``cls``: the values at this place in the tree, ``path``)."""
    hints = typing.get_type_hints(cls)
    fields = []
    for f in dataclasses.fields(cls):
        if cls is ModelParams and f.name in INTERNAL:
            continue
        tp, v = hints[f.name], getattr(proto, f.name)
        item = _entry_type(tp)
        if item is not None:  # a catalogue: entries come from the scenario, each with every default
            sub = _schema(item, item(), (*path, f.name, "entry"), entry=True)
            fields.append((f.name, Dict[str, sub], dataclasses.field(default_factory=dict)))
        elif dataclasses.is_dataclass(v):
            sub = _schema(type(v), v, (*path, f.name))
            fields.append((f.name, sub, dataclasses.field(default_factory=sub)))
        elif entry and f.name == "name":
            fields.append((f.name, Any, dataclasses.field(default=None)))  # an entry's name is its key
        elif isinstance(v, (tuple, list, dict)):
            fields.append((f.name, Any, dataclasses.field(default_factory=_factory(_plain(v)))))
        else:
            fields.append((f.name, Any, dataclasses.field(default=v)))
    return _register(dataclasses.make_dataclass("_", fields), "_".join(("Schema", *path)))


def config_schema() -> type:
    """The root schema: every field of :class:`~sim.params.ModelParams` (minus
    :data:`INTERNAL`) with its default, catalogue entries typed, plus the application's keys
    (:data:`APP_DEFAULTS`) and the validation knob blocks, typed ``Any``. Built once per
    process."""
    if "Config" in _CLASSES:
        return _CLASSES["Config"]
    from sim.validation import BLOCKS

    root = _schema(ModelParams, ModelParams())
    fields = [(f.name, f.type, dataclasses.field(default_factory=f.default_factory)
               if f.default_factory is not dataclasses.MISSING else dataclasses.field(default=f.default))
              for f in dataclasses.fields(root)]
    for k, v in {**APP_DEFAULTS, **{b: None for b in BLOCKS}}.items():
        fields.append((k, Any, dataclasses.field(default_factory=_factory(v))
                       if isinstance(v, (list, dict)) else dataclasses.field(default=v)))
    return _register(dataclasses.make_dataclass("_", fields), "Config")


def __getattr__(name: str) -> type:
    """Generated classes on first access (a worker unpickling them by reference)."""
    if name == "Config" or name.startswith("Schema"):
        config_schema()
        if name in _CLASSES:
            return _CLASSES[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
