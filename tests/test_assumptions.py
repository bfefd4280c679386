"""The assumption registry describes the Chongming scenario and the ODD lists it."""

from __future__ import annotations

from pathlib import Path

from compose import scenario_dict
from sim.assumptions import load, markdown_table, odd_block, problems

ROOT = Path(__file__).resolve().parent.parent


def test_registry_matches_the_chongming_scenario():
    reg = load()
    assert len(reg) > 50
    assert problems(reg, scenario_dict("chongming")) == []


def test_registry_problems_are_found():
    """The check can fail: a wrong default, an unknown key and a default outside its range."""
    reg = load()
    tree = scenario_dict("chongming")
    tree["staff"]["patrol_speed_kmh"] = 99.0
    msgs = problems(reg, tree)
    assert any(m.startswith("staff.patrol_speed_kmh") for m in msgs)
    from sim.assumptions import Assumption

    bad = [Assumption("staff.no_such_key", 1, 0, 2), Assumption("staff.patrol_speed_kmh", 99.0, 1, 8)]
    msgs = problems(bad, tree)
    assert "staff.no_such_key: no such parameter" in msgs
    assert any("outside" in m for m in msgs)


def test_odd_lists_every_assumption():
    """docs/ODD.md carries the registry as it is (regenerate with python -m sim.assumptions)."""
    odd = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
    assert odd_block(odd) == markdown_table(load())
    missing = [a.key for a in load() if f"`{a.key}`" not in odd]
    assert not missing, missing
