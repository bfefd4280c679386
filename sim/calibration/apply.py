"""Put a calibration to use: the posterior into the registry, its medians into a scenario.

    python -m sim.calibration.apply results/calibration/chongming

- ``conf/assumptions.yaml``: each calibrated entry gains ``posterior: {median, low, high,
  calibration}`` (90 % interval), replacing an earlier one; the defaults stay the prior's;
- ``scenarios/chongming_calibrated.yaml`` (and its copy in ``conf/scenario/``): scenario
  ``chongming`` with the posterior medians.

Both files are rewritten atomically (a temporary file moved into place).
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = "chongming_calibrated"


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def registry_text(text: str, cal: dict) -> str:
    """The registry's text with each calibrated entry's ``posterior`` line set (the rest of
    the file, comments included, unchanged)."""
    name = cal["name"]
    for p in cal["parameters"]:
        key = p["parameter"]
        m = re.search(rf"^- key: {re.escape(key)}\n((?:  .*\n)*)", text, flags=re.M)
        if m is None:
            raise KeyError(f"{key} is not in conf/assumptions.yaml")
        body = re.sub(r"^  posterior: .*\n", "", m.group(1), flags=re.M)
        lo, hi = p["posterior_90"]
        body += (f"  posterior: {{median: {p['posterior_median']:.6g}, low: {lo:.6g}, high: {hi:.6g}, "
                 f"calibration: {name}}}\n")
        text = text[:m.start(1)] + body + text[m.end(1):]
    return text


def nested(cal: dict) -> dict:
    """The posterior medians as a nested mapping (scenario file form)."""
    out: dict = {}
    for p in cal["parameters"]:
        node = out
        parts = p["parameter"].split(".")
        for q in parts[:-1]:
            node = node.setdefault(q, {})
        v = p["posterior_median"]
        node[parts[-1]] = float(f"{v:.6g}")
    return out


def scenario_text(cal: dict) -> str:
    import yaml

    head = (f"# @package _global_\n# Chongming with the posterior medians of calibration {cal['name']} "
            f"(results/calibration/{cal['name']}/calibration.json;\n# python -m sim.calibration.apply). "
            f"Everything else as scenario chongming.\ndefaults:\n  - chongming\n  - _self_\nscenario: {SCENARIO}\n")
    return head + yaml.safe_dump(nested(cal), sort_keys=True, allow_unicode=True)


def apply(folder: Path, root: Path = ROOT) -> list[Path]:
    cal = json.loads((Path(folder) / "calibration.json").read_text(encoding="utf-8"))
    reg = root / "conf" / "assumptions.yaml"
    text = registry_text(reg.read_text(encoding="utf-8"), cal)
    sc = scenario_text(cal)
    written = []
    for path in (root / "scenarios" / f"{SCENARIO}.yaml", root / "conf" / "scenario" / f"{SCENARIO}.yaml"):
        _atomic_write(path, sc)
        written.append(path)
    _atomic_write(reg, text)
    return written + [reg]


if __name__ == "__main__":
    if len(sys.argv) != 2 or not (Path(sys.argv[1]) / "calibration.json").is_file():
        print("usage: python -m sim.calibration.apply RESULTS_FOLDER (with calibration.json)", file=sys.stderr)
        sys.exit(2)
    for p in apply(Path(sys.argv[1])):
        print(f"wrote {p}")
