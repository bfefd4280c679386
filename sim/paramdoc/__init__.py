"""Every key of the model, described: unit, default, allowed values, meaning and source.

``python run.py --params [PATTERN]`` prints the keys whose name contains PATTERN (or matches
it as a glob: ``'world.ferry_*'``); ``python -m sim.paramdoc --write`` regenerates
``docs/parameters.md`` (a test checks it is current).

Everything is read from what already exists, so a new field is described at once:

- the keys and their types: the parameter dataclasses (:class:`sim.ModelParams`, walked with
  :func:`dataclasses.fields`), the entries of every catalogue (``issue_types.<name>.*``,
  ``channels.<name>.*``, ``departments.town.<name>.*``) as the default scenario defines them;
- the default: the value in scenario ``chongming``, resolved by
  :func:`sim.params_from_dict` from ``scenarios/chongming.yaml``;
- the allowed values: each field's declared bounds or choices (the words of the
  validation's own messages, :func:`sim.params.allowed`);
- the range of an assumption [A]: ``conf/assumptions.yaml`` (:mod:`sim.assumptions`);
- the meaning: the sentences of the dataclass's docstring that name the field, a string
  literal right after the field or a comment right above it;
- the unit: a field's declared ``unit`` (field metadata) or its name's suffix;
- the source: the comment on the key's line in the scenario file (tags [S#] point to
  ``docs/sources.md``, [D] derived, [A] assumed), or the comment of the nearest enclosing
  key that has one.

Plain Python and YAML: no Hydra here.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import inspect
import re
import sys
import textwrap
import typing
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from sim.params import ModelParams, params_from_dict, params_to_dict
from sim.assumptions import _MISSING, lookup
from sim.paramdoc.text import _clean, _segment, _summary, field_meaning, unit_of, yaml_comments
from sim.assumptions import load as load_registry
from sim.schema import APP_DEFAULTS, INTERNAL
from sim.schema import _entry_type as _entry_class  # what a catalogue is: the command-line schema decides

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
CONFIG = ROOT / "conf" / "config.yaml"
DOC = ROOT / "docs" / "parameters.md"
DEFAULT_SCENARIO = "chongming"
EXIT_BAD_INPUT = 2


@dataclass(frozen=True)
class ParamDoc:
    """One key: ``key`` (dotted, as typed on the command line), ``unit``, ``default`` (the
    default scenario's value), ``allowed`` (what validation accepts), ``assumed`` (the
    registry's range of an [A] parameter, else empty), ``source`` (the scenario file's
    comment on the key, tags included), ``meaning``."""

    key: str
    unit: str
    default: Any
    allowed: str
    assumed: str
    source: str
    meaning: str


# --------------------------------------------------------------------------- units


# --------------------------------------------------------------------------- meanings


# --------------------------------------------------------------------------- scenario file


def scenario_data(name: str = DEFAULT_SCENARIO) -> dict:
    """A scenario file's data (one file without a defaults list: the default scenario)."""
    data = yaml.safe_load((SCENARIOS / f"{name}.yaml").read_text(encoding="utf-8")) or {}
    if "defaults" in data:
        raise ValueError(f"scenarios/{name}.yaml has a defaults list: compose it with compose.scenario_dict")
    return data


def _place_defaults(cls: type, proto: Any) -> dict:
    """The defaults at each place of the tree, as the command line's schema has them
    (:mod:`sim.schema`): a nested block keeps the values of its place (the escalation's
    hand-over is deterministic), a catalogue starts empty."""
    out = {}
    for f in dataclasses.fields(cls):
        v = getattr(proto, f.name)
        if _entry_class(typing.get_type_hints(cls)[f.name]) is not None:
            out[f.name] = {}
        elif dataclasses.is_dataclass(v):
            out[f.name] = _place_defaults(type(v), v)
        else:
            out[f.name] = params_to_dict(v)
    return out


def _merge(base: dict, over: dict, cls: type | None) -> dict:
    """``over`` (a scenario's data) on ``base``; a catalogue's new entries start from the
    entry's defaults, their name from their key."""
    hints = typing.get_type_hints(cls) if cls is not None else {}
    out = dict(base)
    for k, v in over.items():
        tp = hints.get(k)
        entry = _entry_class(tp) if tp is not None else None
        if entry is not None and isinstance(v, dict):
            cat = dict(out.get(k) or {})
            for name, e in v.items():
                d = _place_defaults(entry, entry())
                d.pop("name", None)
                cat[name] = _merge(cat.get(name, d), e or {}, entry)
            out[k] = cat
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            sub = tp if tp is not None and dataclasses.is_dataclass(tp) else None
            out[k] = _merge(out[k], v, sub)
        else:
            out[k] = v
    return out


@lru_cache(maxsize=None)
def default_params(name: str = DEFAULT_SCENARIO) -> ModelParams:
    """The default scenario's parameters, validated: its file over the defaults of each place
    of the tree, as ``python run.py`` composes them (a test checks they agree)."""
    base = _place_defaults(ModelParams, ModelParams())
    for k in INTERNAL:
        base.pop(k, None)
    return params_from_dict(_merge(base, scenario_data(name), ModelParams))


# --------------------------------------------------------------------------- walking


def _show_default(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_show_default(x) for x in v) + "]"
    if isinstance(v, str):
        return repr(v) if v == "" or v.strip() != v else v
    return str(v)


def _allowed(tp: Any, meta: dict) -> str:
    from sim.params import allowed

    if typing.get_origin(tp) is tuple:
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        item = allowed(args[0], {}) if args else "values"
        return "a list of " + item.replace("a ", "", 1).replace("whole number", "whole numbers").replace(
            "finite number", "numbers").replace("string", "strings")
    return allowed(tp, meta)


_TOP = {"seed": "the run's master seed: every random stream (sim/rng.py) is derived from it and the stream's name",
        "scenario": "the scenario's name (set by its file in scenarios/; names the run's folder and report)"}
"""Meanings of the two top-level fields, which ModelParams' docstring does not describe."""

_TAG = re.compile(r"\[[^\]]*\]")


def _tags(text: str) -> str:
    return "".join(_TAG.findall(text))


@dataclass
class _Ctx:
    scenario: str
    data: dict
    comments: dict[str, str]
    registry: dict[str, Any]


def _walk(cls: type, value: Any, prefix: str, parent_meaning: str, ctx: _Ctx, out: list[ParamDoc]) -> None:
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if not prefix and f.name in INTERNAL:
            continue
        key = f"{prefix}{f.name}"
        tp, v = hints[f.name], getattr(value, f.name)
        meaning = field_meaning(cls, f.name) or (_TOP.get(f.name, "") if not prefix else "")
        entry_cls = _entry_class(tp)
        if dataclasses.is_dataclass(tp):
            block = _segment(meaning, f.name) if meaning else _summary(tp)
            _walk(tp, v, key + ".", f"{parent_meaning} {block}".strip() if parent_meaning else block, ctx, out)
            continue
        if entry_cls is not None:  # a catalogue: one block per entry of the default scenario
            entries = [(e.name, e) for e in v] if v and hasattr(v[0], "name") else []
            if not entries:  # an empty catalogue: the fields any entry takes, with their defaults
                entries = [("<name>", entry_cls())]
            for ename, e in entries:
                _walk(entry_cls, e, f"{key}.{ename}.", meaning, ctx, out)
            continue
        if f.name == "name" and prefix.count(".") >= 2 and not meaning:
            meaning = "the entry's name (defaults to its key in the catalogue)"
        if not meaning:
            meaning = f"(not described in the {cls.__name__} docstring) {parent_meaning or _summary(cls)}".strip()
        elif parent_meaning:
            meaning = _join(parent_meaning, meaning)
        a = ctx.registry.get(key)
        assumed = f"[A] {a.range_text}" if a is not None else ""
        out.append(ParamDoc(key=key, unit=unit_of(f.name, f.metadata), default=params_to_dict(v),
                            allowed=_allowed(tp, dict(f.metadata)), assumed=assumed,
                            source=_source(key, ctx), meaning=meaning))


def _join(parent: str, leaf: str) -> str:
    """The block's meaning, then the field's, without saying a sentence twice."""
    parts = [p for p in leaf.split(" … ") if p.rstrip(".") not in parent]
    if not parts:
        return parent
    leaf = " … ".join(parts)
    return leaf if parent.rstrip(".") in leaf else f"{parent} — {leaf}"


def _source(key: str, ctx: _Ctx) -> str:
    """The scenario's comment on ``key``; for a key the scenario sets without a comment of its
    own, the tags of its block's comment (up to two levels up); for a key the scenario does
    not set, that its default is the code's."""
    if key in ctx.comments:
        return ctx.comments[key]
    if lookup(ctx.data, key) is _MISSING:
        return f"default of sim/params.py (not set by scenarios/{ctx.scenario}.yaml)"
    parts = key.split(".")
    for n in range(len(parts) - 1, max(0, len(parts) - 3), -1):
        c = ctx.comments.get(".".join(parts[:n]))
        t = _tags(c or "")
        if t:
            return f"{t} (from {'.'.join(parts[:n])})"
    return ""


def _app_keys(out: list[ParamDoc]) -> None:
    """The application's own keys (``report.*``, ``experiment``), described by the comments
    of conf/config.yaml."""
    from sim.reporting.i18n import LANGS

    comments = yaml_comments(CONFIG)
    allowed = {"report.enabled": "true or false", "report.lang": "one of " + ", ".join(LANGS),
               "report.village": "a village index (>= 0) or name, or null",
               "experiment": "the name of a file of conf/experiment/ (experiment=NAME), or null"}

    def add(key: str, v: Any) -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                add(f"{key}.{k}", x)
            return
        meaning = comments.get(key, "")
        if key == "experiment":
            meaning = "a sweep's settings: python run.py -m experiment=NAME (see README, Experiments)"
        out.append(ParamDoc(key=key, unit="", default=v, allowed=allowed.get(key, ""), assumed="",
                            source="application key (conf/config.yaml)", meaning=meaning))

    for k, v in APP_DEFAULTS.items():
        add(k, v)


def _validation_keys(out: list[ParamDoc]) -> None:
    """The validation scenarios' knobs (``mmc.*``, ``jackson.*``): null unless the scenario is
    ``mmc`` or ``jackson``, whose files give the defaults shown; checked by sim/validation.py."""
    import sim.validation as validation

    for block in validation.BLOCKS:
        keys = getattr(validation, f"{block.upper()}_KEYS", ())
        path = SCENARIOS / f"{block}.yaml"
        data = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get(block, {}) if path.is_file() else {}
        comments = yaml_comments(path) if path.is_file() else {}
        doc = inspect.getdoc(getattr(validation, f"{block}_dict", None)) or ""
        for k in sorted(keys, key=lambda k: (k not in data, list(data).index(k) if k in data else 0, k)):
            key = f"{block}.{k}"
            note = comments.get(key, "")
            out.append(ParamDoc(key=key, unit=unit_of(k), default=data.get(k), assumed="",
                                allowed=f"checked by sim/validation.py (scenario={block} only; the error names what "
                                        "is allowed)",
                                source=f"default from scenarios/{block}.yaml (null in any other scenario)"
                                       + (f"; {note}" if note else ""),
                                meaning=_clean(" ".join(doc.split())) + " (a validation scenario's knob: it replaces "
                                        "the world, catalogue and levels)"))


@lru_cache(maxsize=None)
def describe(scenario: str = DEFAULT_SCENARIO) -> tuple[ParamDoc, ...]:
    """Every key: the model's (every field, every catalogue entry of ``scenario``), the
    validation scenarios' knobs, then the application's own."""
    ctx = _Ctx(scenario=scenario, data=scenario_data(scenario), comments=yaml_comments(SCENARIOS / f"{scenario}.yaml"),
               registry={a.key: a for a in load_registry() if a.scenario == scenario})
    out: list[ParamDoc] = []
    _walk(ModelParams, default_params(scenario), "", "", ctx, out)
    _validation_keys(out)
    _app_keys(out)
    return tuple(out)


def select(docs: typing.Iterable[ParamDoc], pattern: str | None) -> list[ParamDoc]:
    """The keys that contain ``pattern`` (case-insensitive) or match it as a glob."""
    docs = list(docs)
    if not pattern:
        return docs
    p = pattern.lower()
    if any(ch in p for ch in "*?["):
        return [d for d in docs if fnmatch.fnmatchcase(d.key.lower(), p)]
    return [d for d in docs if p in d.key.lower()]


# --------------------------------------------------------------------------- output


def as_text(docs: typing.Iterable[ParamDoc], width: int = 100) -> str:
    """The keys for a terminal: a headline per key, then what it allows, means and rests on."""
    lines = []
    for d in docs:
        head = f"{d.key} = {_show_default(d.default)}"
        if d.unit:
            head += f"  [{d.unit}]"
        lines.append(head)
        for label, text in (("allowed", d.allowed + (f"; {d.assumed} (conf/assumptions.yaml)" if d.assumed else "")),
                            ("meaning", d.meaning), ("source", d.source)):
            if text:
                lines.extend(textwrap.wrap(text, width=width, initial_indent=f"    {label}: ",
                                           subsequent_indent=" " * 8))
    return "\n".join(lines) + "\n"


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def as_markdown(docs: typing.Iterable[ParamDoc]) -> str:
    """docs/parameters.md: one table row per key."""
    docs = list(docs)
    head = [
        "# Parameters",
        "",
        "<!-- generated by `python -m sim.paramdoc --write`; tests/test_paramdoc.py checks it is current -->",
        "",
        f"Every key the model takes ({len(docs)}), as `python run.py --params [PATTERN]` lists them. "
        f"**Default** is the value in scenario `{DEFAULT_SCENARIO}` (`scenarios/{DEFAULT_SCENARIO}.yaml` over the "
        "defaults of `sim/params.py`); **allowed** is what validation accepts (cross-field rules, e.g. "
        "`partition.k_min <= partition.k_max`, are checked too and named in the error); **[A] range** is the "
        "plausible range of an assumption from `conf/assumptions.yaml`; **source** is the scenario file's "
        "comment on the key (or the tags of the enclosing block's comment), with tags [S#] pointing to "
        "[docs/sources.md](sources.md), [D] derived, [A] assumed. Units are in the names (`_h` hours, `_wh` "
        "working hours, `_days`, `_km2`, `p_` a probability). Catalogue keys (`issue_types.<name>.*`, "
        "`channels.<name>.*`, `departments.town.<name>.*`) are listed for every entry of the default scenario; "
        "`<name>` rows are the fields of an entry of a catalogue that scenario leaves empty. The validation "
        "scenarios' knobs (`mmc.*`, `jackson.*`) show the values of their own scenario files; `report.*` and "
        "`experiment` are the application's keys, not the model's.",
        "",
        "| key | unit | default | allowed | [A] range | source | meaning |",
        "|---|---|---|---|---|---|---|",
    ]
    rows = [f"| `{d.key}` | {_cell(d.unit)} | `{_cell(_show_default(d.default))}` | {_cell(d.allowed)} | "
            f"{_cell(d.assumed.removeprefix('[A] '))} | {_cell(d.source)} | {_cell(d.meaning)} |" for d in docs]
    return "\n".join(head + rows) + "\n"


def main(argv: list[str]) -> int:
    """``--params [PATTERN]`` (argv after it) or, as a module, ``--write``."""
    if argv and argv[0] == "--write":
        DOC.write_text(as_markdown(describe()), encoding="utf-8")
        print(f"{DOC.relative_to(ROOT)}: {len(describe())} keys")
        return 0
    if len(argv) > 1:
        print(f"error: --params: takes at most one PATTERN, got {len(argv)}: {' '.join(argv)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    pattern = argv[0] if argv else None
    docs = select(describe(), pattern)
    if not docs:
        print(f"error: --params: no key matches {pattern!r} (a substring or glob of a key such as "
              f"'world.ferry_*'; python run.py --params lists all)", file=sys.stderr)
        return EXIT_BAD_INPUT
    sys.stdout.write(as_text(docs))
    return 0
