"""The assumption registry describes the Chongming scenario and the ODD lists it."""

from __future__ import annotations

from pathlib import Path

from compose import scenario_dict
from sim.assumptions import load, markdown_table, odd_block, problems

ROOT = Path(__file__).resolve().parent.parent


def test_registry_matches_the_chongming_scenario():
    reg = load()
    assert len(reg) > 50
    for scen in sorted({a.scenario for a in reg}):  # chongming, and a variant for keys only it has (a surge's)
        assert problems(reg, scenario_dict(scen), scen) == [], scen


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


def test_every_parameter_that_matters_is_sourced_or_registered():
    """Every numeric parameter with an effect in the Chongming scenarios (the district and
    its variants: pre-reform, unfused, step, one grid, no heads, typhoon) carries a source
    tag in the scenario file or is in the registry with a range (sim/paramdoc/coverage.py)."""
    from sim.paramdoc.coverage import CHONGMING_SCENARIOS, unsourced

    missing = unsourced()
    assert missing == [], f"{len(missing)} unsourced, unregistered parameters, e.g. {missing[:5]}"
    assert len(CHONGMING_SCENARIOS) == 7


def test_coverage_check_can_fail():
    """An untagged value in a scenario's comments is found; the block's source tag counts."""
    from sim.paramdoc.coverage import tagged

    assert not tagged("fusion.p_loss", {"fusion.p_loss": "lost on the relay [A]"})
    assert tagged("fusion.p_loss", {"fusion.p_loss": "lost on the relay [S3]"})
    assert tagged("fusion.relay.cv", {"fusion": "多网融合 [domain brief]"})
    assert not tagged("fusion.relay.cv", {})
