"""The house's shape, checked from the code: sim/'s import graph has no cycle, and no
module imports from a layer above its own. Layers, bottom up: vocabularies and params
-> world -> agents and lifecycle -> metrics -> reporting -> experiments (and the CLI,
which lives outside sim/). Imports inside functions count too: a lazy import is still a
dependency."""

from __future__ import annotations

import ast
from pathlib import Path

SIM = Path(__file__).resolve().parent.parent / "sim"
LAYERS = [
    ("vocabularies and params", ["sim.errors", "sim.vocab", "sim.typedconfig", "sim.params", "sim.rng", "sim.apportion",
                                 "sim.store", "sim.columns", "sim.console", "sim.provenance", "sim.validation"]),
    ("world", ["sim.world"]),
    ("agents and lifecycle", ["sim.agents", "sim.lifecycle", "sim.guard", "sim.precheck", "sim.schema",
                              "sim.assumptions", "sim.scenarios"]),
    ("metrics", ["sim.metrics", "sim.model"]),
    ("reporting", ["sim.reporting", "sim.output"]),
    ("experiments", ["sim.experiments", "sim.config", "sim.paramdoc", "sim.viz", "sim.calibration"]),
]


def layer(mod: str) -> int | None:
    best = None
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (mod == p or mod.startswith(p + ".")) and (best is None or len(p) > best[1]):
                best = (i, len(p))
    return None if best is None else best[0]


def modules() -> dict[str, Path]:
    out = {}
    for f in SIM.rglob("*.py"):
        m = ".".join(f.relative_to(SIM.parent).with_suffix("").parts)
        out[m.removesuffix(".__init__")] = f
    return out


def imports(mods: dict[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, f in mods.items():
        pkg = m if f.name == "__init__.py" else m.rsplit(".", 1)[0]
        for n in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(n, ast.ImportFrom):
                base = pkg.split(".")[: len(pkg.split(".")) - (n.level - 1)] if n.level else []
                target = ".".join(base + ([n.module] if n.module else [])) if n.level else (n.module or "")
                names = [target] + [f"{target}.{a.name}" for a in n.names]
            elif isinstance(n, ast.Import):
                names = [a.name for a in n.names]
            else:
                continue
            graph[m] |= {t for t in names if t in mods and t != m}
    return graph


def test_every_module_has_a_layer():
    assert [m for m in modules() if m != "sim" and layer(m) is None] == []


def test_no_module_imports_a_layer_above_its_own():
    bad = []
    for m, targets in imports(modules()).items():
        for t in targets:
            if m == "sim":
                continue
            if t == "sim":
                bad.append(f"{m} imports the package facade sim/__init__")
            elif layer(t) > layer(m):
                bad.append(f"{m} ({LAYERS[layer(m)][0]}) imports {t} ({LAYERS[layer(t)][0]})")
    assert bad == []


def test_import_graph_has_no_cycle():
    graph = imports(modules())
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(m: str, path: list[str]) -> bool:
        state[m] = 1
        for t in sorted(graph[m]):
            if t.startswith(m + ".") or m.startswith(t + "."):
                continue  # a package and its own modules
            if state.get(t) == 1:
                cycle.extend(path[path.index(t):] + [t] if t in path else [m, t])
                return True
            if state.get(t) is None and visit(t, path + [t]):
                return True
        state[m] = 2
        return False

    for m in sorted(graph):
        if state.get(m) is None and visit(m, [m]):
            break
    assert cycle == []


def test_reading_results_does_not_import_mesa():
    """A sweep's aggregation and the figure worker read records and draw; they must not pay
    for importing Mesa (~0.7 s of a core, while the runs need both). The staff's work logs
    live in sim.agents.work_logs for that. A fresh interpreter, since the suite imports Mesa."""
    import subprocess
    import sys

    code = ("import sys, sim.experiments.sweep_report, sim.reporting.report, sim.metrics.records, "
            "sim.agents.work_logs; print(sorted(m for m in sys.modules if m == 'mesa' or m.startswith('mesa.')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=SIM.parent, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
