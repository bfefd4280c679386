"""The parameter tree as a config schema, derived from the :mod:`sim.params` dataclasses.

A config system (``run.py`` registers the result as a Hydra structured config) needs to
know every key and its default, so that any parameter can be overridden on the command
line without ``+``, including fields a scenario file does not mention. This module builds
that schema at import time from the dataclasses themselves, so a field added to
``sim/params.py`` is a command-line key at once:

- a nested dataclass becomes a nested schema with the same fields and the defaults of
  that place in the tree (``levels.district.crews`` 4, ``levels.grid.crews`` 1);
- a named catalogue (a ``tuple`` of dataclasses: ``issue_types``, ``channels``) becomes a
  mapping name → entry, typed so that every entry a scenario defines gets every field
  with its default; the entry's ``name`` defaults to its key;
- every leaf is typed ``Any``: values reach :func:`sim.params.params_from_dict`
  unconverted, which validates them and names the key in one line.

Plain dataclasses only: no Hydra or OmegaConf here.
"""

from __future__ import annotations

import copy
import dataclasses
import typing
from typing import Any, Dict

from sim.params import ModelParams

INTERNAL = ("validation",)
"""Fields of :class:`~sim.params.ModelParams` that the model sets itself, not the user."""


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


def _schema(cls: type, proto: Any, entry: bool = False) -> type:
    """Schema dataclass of params class ``cls`` with the defaults held by ``proto`` (an
    instance of ``cls``: the values at this place in the tree)."""
    hints = typing.get_type_hints(cls)
    fields = []
    for f in dataclasses.fields(cls):
        if cls is ModelParams and f.name in INTERNAL:
            continue
        tp, v = hints[f.name], getattr(proto, f.name)
        item = _entry_type(tp)
        if item is not None:  # a catalogue: entries come from the scenario, each with every default
            fields.append((f.name, Dict[str, _schema(item, item(), entry=True)], dataclasses.field(default_factory=dict)))
        elif dataclasses.is_dataclass(v):
            sub = _schema(type(v), v)
            fields.append((f.name, sub, dataclasses.field(default_factory=sub)))
        elif entry and f.name == "name":
            fields.append((f.name, Any, dataclasses.field(default=None)))  # an entry's name is its key
        elif isinstance(v, (tuple, list, dict)):
            fields.append((f.name, Any, dataclasses.field(default_factory=_factory(_plain(v)))))
        else:
            fields.append((f.name, Any, dataclasses.field(default=v)))
    return dataclasses.make_dataclass(cls.__name__.removesuffix("Params") + ("Entry" if entry else ""), fields)


def config_schema(extra: dict[str, Any] | None = None) -> type:
    """The root schema: every field of :class:`~sim.params.ModelParams` (minus
    :data:`INTERNAL`) with its default, catalogue entries typed, plus ``extra`` top-level
    keys (name → default, typed ``Any``) that the caller owns (``report``, ``experiment``)."""
    root = _schema(ModelParams, ModelParams())
    fields = [(f.name, f.type, dataclasses.field(default_factory=f.default_factory)
               if f.default_factory is not dataclasses.MISSING else dataclasses.field(default=f.default))
              for f in dataclasses.fields(root)]
    for k, v in (extra or {}).items():
        fields.append((k, Any, dataclasses.field(default_factory=_factory(v))
                       if isinstance(v, (list, dict)) else dataclasses.field(default=v)))
    return dataclasses.make_dataclass("Config", fields)
