"""The assumption registry: parameters that no source fixes ([A]), with plausible ranges.

``conf/assumptions.yaml`` holds one entry per assumed parameter: its dotted key, its
default (the value in scenario ``chongming``, or in the entry's ``scenario`` for keys only
a variant has, such as a surge's), a range (``low``, ``high``; lists for profiles) or its
alternatives (``values``), and why; a calibrated entry also its ``posterior``
(``{median, low, high, calibration}``: the posterior median and 90 % interval of the named
calibration, :mod:`sim.calibration`). :func:`value_basis` says whether a run's values are
the prior defaults or the posterior medians. Reports list the assumptions a
result rests on; robust comparisons and sensitivity analyses vary them over their ranges.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REGISTRY = Path(__file__).resolve().parent.parent / "conf" / "assumptions.yaml"


@dataclass(frozen=True)
class Assumption:
    """One assumed parameter: ``key`` (dotted), ``default``, ``low``/``high`` or ``values``, ``why``."""

    key: str
    default: Any
    low: Any = None
    high: Any = None
    values: tuple | None = None
    why: str = ""
    scenario: str = "chongming"
    posterior: dict | None = None

    @property
    def range_text(self) -> str:
        if self.values is not None:
            return " | ".join(", ".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v) for v in self.values)
        if isinstance(self.low, list):
            return "profile: flat … stronger swing"
        return f"{self.low:g} – {self.high:g}"


def load(path: Path | str | None = None) -> list[Assumption]:
    """The registry's entries, in file order."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's: the same result, ~10x faster
    data = yaml.load(Path(path or REGISTRY).read_text(encoding="utf-8"), Loader=loader) or {}
    out = []
    for e in data.get("assumptions", []):
        vals = e.get("values")
        out.append(Assumption(e["key"], e["default"], e.get("low"), e.get("high"),
                              tuple(vals) if vals is not None else None, e.get("why", ""),
                              e.get("scenario", "chongming"), e.get("posterior")))
    return out


_MISSING = object()


def lookup(tree: dict, key: str) -> Any:
    """The value at dotted ``key`` of a nested parameter dict (``_MISSING`` if absent)."""
    node: Any = tree
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


def problems(registry: list[Assumption], tree: dict, scenario: str = "chongming") -> list[str]:
    """Why the registry does not describe ``tree`` (the parameters of ``scenario``): unknown
    keys, defaults that differ from the scenario, defaults outside their range (entries of
    other scenarios are left out)."""
    out = []
    seen = set()
    for a in registry:
        if a.key in seen:
            out.append(f"{a.key}: listed twice")
        seen.add(a.key)
        if a.scenario != scenario:
            continue
        v = lookup(tree, a.key)
        if v is _MISSING:
            out.append(f"{a.key}: no such parameter")
            continue
        if isinstance(v, list) or isinstance(a.default, list):
            if list(v) != list(a.default):
                out.append(f"{a.key}: registry default {a.default} but the scenario has {v}")
            if a.values is not None and list(a.default) not in [list(x) for x in a.values]:
                out.append(f"{a.key}: default {a.default!r} not among {a.values}")
            continue
        if v != a.default:
            out.append(f"{a.key}: registry default {a.default!r} but the scenario has {v!r}")
        if a.values is not None:
            if a.default not in a.values:
                out.append(f"{a.key}: default {a.default!r} not among {a.values}")
        elif not (a.low <= a.default <= a.high):
            out.append(f"{a.key}: default {a.default} outside [{a.low}, {a.high}]")
        if a.posterior is not None:
            q = a.posterior
            if not (isinstance(q, dict) and all(isinstance(q.get(f), (int, float)) for f in ("median", "low", "high"))
                    and a.low <= q["low"] <= q["median"] <= q["high"] <= a.high):
                out.append(f"{a.key}: posterior {q!r} must be {{median, low, high}} with "
                           f"{a.low} <= low <= median <= high <= {a.high}")
    return out


def value_basis(tree: dict, registry: list[Assumption] | None = None) -> tuple[str, str | None, list[str]]:
    """``("posterior", calibration, keys)`` when every registry parameter that has a
    posterior is at its posterior median in ``tree`` (a run's parameters, catalogues as
    mappings by name), else ``("prior", None, [])``: the run rests on the registry's
    defaults (or on values set by hand)."""
    post = [a for a in (registry if registry is not None else load()) if a.posterior is not None]
    keys, names = [], set()
    for a in post:
        v = lookup(tree, a.key)
        if v is _MISSING or not isinstance(v, (int, float)):
            return "prior", None, []
        m = float(a.posterior["median"])
        if abs(float(v) - m) > 1e-9 * max(1.0, abs(m)):
            return "prior", None, []
        keys.append(a.key)
        names.add(str(a.posterior.get("calibration", "")))
    if not keys:
        return "prior", None, []
    return "posterior", ", ".join(sorted(names)), keys


ODD = REGISTRY.parent.parent / "docs" / "ODD.md"
BEGIN, END = "<!-- assumptions:begin -->", "<!-- assumptions:end -->"


def odd_block(text: str) -> str:
    """The registry table as docs/ODD.md carries it (between the markers)."""
    i, j = text.find(BEGIN), text.find(END)
    if i < 0 or j < i:
        raise ValueError(f"docs/ODD.md has no {BEGIN} ... {END} block")
    return text[i + len(BEGIN):j].strip()


def write_odd(path: Path | str = ODD) -> None:
    """Rewrite docs/ODD.md's registry table from conf/assumptions.yaml."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    odd_block(text)  # the markers must be there
    i, j = text.find(BEGIN) + len(BEGIN), text.find(END)
    path.write_text(text[:i] + "\n" + markdown_table(load()) + "\n" + text[j:], encoding="utf-8")


def markdown_table(registry: list[Assumption]) -> str:
    """The registry as a Markdown table (docs/ODD.md carries it)."""
    rows = ["| parameter | default | range | why |", "|---|---|---|---|"]
    for a in registry:
        d = "profile" if isinstance(a.default, list) else a.default
        rows.append(f"| `{a.key}` | {d} | {a.range_text} | {a.why} |")
    return "\n".join(rows)


if __name__ == "__main__":  # python -m sim.assumptions: refresh docs/ODD.md's table
    write_odd()
    print(f"{ODD}: {len(load())} assumptions")
