"""Calibration targets: observed patterns, each computed from a run's ``summary.json``.

A targets file (``conf/calibration/<name>.yaml``) lists patterns; each has a KPI expression
over ``summary.json`` numbers (names checked against the KPI registry,
:mod:`sim.metrics.registry`, or one of ``summary.json``'s groups of numbers), a point
``target`` or an ``interval``, a ``tolerance`` (the error model's scale), its ``source``
tag and whether it is fitted (``fit: false``: an out-of-sample check, never part of the
distance).

Error model: a pattern's *gap* is 0 inside its interval (a point target is an interval
of width 0) and the distance to the nearest end outside it; the ABC distance is the
Euclidean norm of the gaps divided by their tolerances over the fitted patterns. A pattern
is *in* when its gap is at most its tolerance.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from pathlib import Path

import yaml

from sim.errors import ConfigError

FOLDER = Path(__file__).resolve().parents[2] / "conf" / "calibration"
RUN_KEYS = ("horizon_days", "warmup_days")
"""Top-level numbers of ``summary.json`` an expression may use besides the KPIs."""
FIELDS = ("kpi", "target", "interval", "tolerance", "source", "fit")


@dataclass(frozen=True)
class Pattern:
    """One observed pattern (see module doc); ``low``/``high``: the target interval."""

    name: str
    kpi: str
    low: float
    high: float
    tolerance: float
    source: str
    fit: bool = True

    @property
    def target_text(self) -> str:
        return f"{self.low:.4g}" if self.low == self.high else f"[{self.low:.4g}, {self.high:.4g}]"

    def value(self, summary: dict) -> float:
        """The pattern's value in a run's summary (NaN where a number is missing or a
        division by zero)."""
        return evaluate(self.kpi, summary)

    def gap(self, value: float) -> float:
        """Distance of ``value`` outside the target interval (inf for NaN)."""
        if not math.isfinite(value):
            return math.inf
        return max(self.low - value, value - self.high, 0.0)

    def inside(self, value: float) -> bool:
        return self.gap(value) <= self.tolerance


def _names(node: ast.AST, key: str) -> list[str]:
    """The dotted names an expression reads; raises ConfigError on anything but numbers,
    names, + - * / and parentheses."""
    for n in ast.walk(node):
        if isinstance(n, (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.USub,
                          ast.UAdd, ast.Load)):
            continue
        if isinstance(n, ast.Constant) and isinstance(n.value, (int, float)) and not isinstance(n.value, bool):
            continue
        if isinstance(n, (ast.Name, ast.Attribute)):
            continue
        raise ConfigError(key, f"only numbers, summary.json keys, + - * / and parentheses are allowed; "
                               f"found {type(n).__name__}")
    return [_dotted(n) for n in _outer_names(node)]


def _outer_names(node: ast.AST) -> list[ast.AST]:
    """Name/Attribute nodes that are not part of a longer dotted name."""
    if isinstance(node, (ast.Name, ast.Attribute)):
        return [node]
    out = []
    for child in ast.iter_child_nodes(node):
        out += _outer_names(child)
    return out


def _dotted(n: ast.AST) -> str:
    parts = []
    while isinstance(n, ast.Attribute):
        parts.append(n.attr)
        n = n.value
    if not isinstance(n, ast.Name):
        raise ConfigError("kpi", "a name must be a dotted path")
    parts.append(n.id)
    return ".".join(reversed(parts))


def _parse(expr: str, key: str) -> ast.Expression:
    # a dotted name such as by_channel.hotline_12345.count parses as attribute access
    try:
        return ast.parse(expr, mode="eval")
    except SyntaxError:
        raise ConfigError(key, f"cannot read the expression {expr!r}; write summary.json keys with + - * / "
                               f"and parentheses, e.g. 'satisfaction_rate'") from None


def check_expression(expr, key: str) -> None:
    """Refuse an expression that is not arithmetic over known ``summary.json`` numbers."""
    from sim.experiments.sensitivity import SUMMARY_GROUPS
    from sim.metrics.registry import KPIS

    if not isinstance(expr, str) or not expr.strip():
        raise ConfigError(key, f"must be a KPI expression over summary.json keys, got {expr!r}")
    tree = _parse(expr, key)
    names = _names(tree, key)
    if not names:
        raise ConfigError(key, f"{expr!r} reads no KPI; name at least one summary.json key")
    for name in names:
        parts = name.split(".")
        if name in KPIS or name in RUN_KEYS or (parts[0] in SUMMARY_GROUPS and len(parts) >= 2):
            continue
        raise ConfigError(key, f"unknown KPI {name!r}; allowed: a KPI of sim/metrics/registry.py (e.g. "
                               f"satisfaction_rate, on_spot_share, rework_rate), a number of summary.json's groups "
                               f"({', '.join(sorted(SUMMARY_GROUPS))}), or {', '.join(RUN_KEYS)}")


def lookup(summary: dict, name: str) -> float:
    v = summary
    for p in name.split("."):
        if not isinstance(v, dict) or p not in v:
            return math.nan
        v = v[p]
    try:
        return float(v) if v is not None else math.nan
    except (TypeError, ValueError):
        return math.nan


def evaluate(expr: str, summary: dict) -> float:
    """Value of a checked expression on ``summary`` (NaN for a missing number or x/0).
    Hand-written over :mod:`ast` (a dozen lines) rather than ``eval``: only arithmetic on
    summary numbers can run."""
    def ev(n: ast.AST) -> float:
        if isinstance(n, ast.Expression):
            return ev(n.body)
        if isinstance(n, ast.Constant):
            return float(n.value)
        if isinstance(n, (ast.Name, ast.Attribute)):
            return lookup(summary, _dotted(n))
        if isinstance(n, ast.UnaryOp):
            return -ev(n.operand) if isinstance(n.op, ast.USub) else ev(n.operand)
        a, b = ev(n.left), ev(n.right)
        if isinstance(n.op, ast.Add):
            return a + b
        if isinstance(n.op, ast.Sub):
            return a - b
        if isinstance(n.op, ast.Mult):
            return a * b
        return a / b if b != 0 else math.nan
    return ev(_parse(expr, "kpi"))


def _number(v, key: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or abs(v) > 1e12:
        raise ConfigError(key, f"must be a finite number, got {v!r}")
    return float(v)


def resolve(targets) -> Path:
    """The targets file: a name of ``conf/calibration/`` or a path to a YAML file."""
    key = "experiment.calibration.targets"
    if not isinstance(targets, str) or not targets:
        raise ConfigError(key, f"must name a file of conf/calibration or a path, got {targets!r}")
    p = Path(targets)
    if p.suffix not in (".yaml", ".yml"):
        p = FOLDER / f"{targets}.yaml"
    if not p.is_file():
        names = ", ".join(sorted(q.stem for q in FOLDER.glob("*.yaml")))
        raise ConfigError(key, f"no targets file {targets!r}; allowed: {names} (conf/calibration) or a .yaml path")
    return p


def load(targets: str) -> list[Pattern]:
    """The checked patterns of a targets file (a name or a path); a bad file raises
    :class:`ConfigError` naming the file and the key."""
    path = resolve(targets)
    where = path.name if path.parent == FOLDER else str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise ConfigError(where, f"cannot read it ({str(e).splitlines()[0]})") from None
    pats = (data or {}).get("patterns") if isinstance(data, dict) else None
    if not isinstance(pats, dict) or not pats:
        raise ConfigError(f"{where}: patterns", "must map pattern names to {kpi, target | interval, tolerance, "
                                                 "source, fit}; the file has none")
    out = []
    for name, e in pats.items():
        key = f"{where}: patterns.{name}"
        if not isinstance(e, dict):
            raise ConfigError(key, f"must be a mapping with {', '.join(FIELDS)}, got {e!r}")
        extra = sorted(set(e) - set(FIELDS))
        if extra:
            raise ConfigError(f"{key}.{extra[0]}", f"unknown field; allowed: {', '.join(FIELDS)}")
        check_expression(e.get("kpi"), f"{key}.kpi")
        has_t, has_i = e.get("target") is not None, e.get("interval") is not None
        if has_t == has_i:
            raise ConfigError(f"{key}.target", "give exactly one of target (a number) or interval ([low, high]); "
                                               + ("both are given" if has_t else "the target is empty"))
        if has_t:
            lo = hi = _number(e["target"], f"{key}.target")
        else:
            iv = e["interval"]
            if not isinstance(iv, list) or len(iv) != 2:
                raise ConfigError(f"{key}.interval", f"must be [low, high], got {iv!r}")
            lo, hi = _number(iv[0], f"{key}.interval"), _number(iv[1], f"{key}.interval")
            if lo > hi:
                raise ConfigError(f"{key}.interval", f"must be [low, high] with low <= high, got {iv!r}")
        tol = e.get("tolerance")
        if _number(tol, f"{key}.tolerance") <= 0:
            raise ConfigError(f"{key}.tolerance", f"must be > 0, got {tol!r}")
        src = e.get("source")
        if not isinstance(src, str) or "[" not in src:
            raise ConfigError(f"{key}.source", "must give the source tag(s) of the calibration sheet, e.g. "
                                                "'[S24] Chengqiao 12345, 2025'")
        fit = e.get("fit", True)
        if not isinstance(fit, bool):
            raise ConfigError(f"{key}.fit", f"must be true or false, got {fit!r}")
        out.append(Pattern(str(name), e["kpi"], lo, hi, float(tol), src, fit))
    if not any(p.fit for p in out):
        raise ConfigError(f"{where}: patterns", "no pattern is fitted (fit: true); give at least one")
    return out


def values(patterns: list[Pattern], summary: dict) -> dict[str, float]:
    """Every pattern's value in a run's summary."""
    return {p.name: p.value(summary) for p in patterns}


def distance(patterns: list[Pattern], x: dict, _x0: dict | None = None) -> float:
    """ABC distance of simulated pattern values ``x`` to the targets (fitted patterns only):
    the Euclidean norm of gap / tolerance."""
    return math.sqrt(sum((p.gap(float(x[p.name])) / p.tolerance) ** 2 for p in patterns if p.fit))
