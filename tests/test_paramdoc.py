"""Parameter discovery: ``python run.py --params``, docs/parameters.md and docs/sources.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim import params_from_dict, params_to_dict
from sim.assumptions import load as load_registry
from sim.paramdoc import DOC, as_markdown, default_params, describe, field_meaning, select, unit_of
from sim.schema import APP_DEFAULTS, INTERNAL

from conftest import run_inproc

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "docs" / "sources.md"


def _flatten(tree, prefix=""):
    """Dotted keys of a params_to_dict tree; catalogues (lists of named mappings) by entry name."""
    out = {}
    for k, v in tree.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        elif isinstance(v, list) and v and all(isinstance(e, dict) and "name" in e for e in v):
            for e in v:
                out.update(_flatten(e, f"{key}.{e['name']}."))
        else:
            out[key] = v
    return out


def test_parameters_md_is_current():
    """docs/parameters.md is what the code says (regenerate: python -m sim.paramdoc --write)."""
    assert DOC.read_text(encoding="utf-8") == as_markdown(describe())


def test_every_key_of_the_default_scenario_is_listed_with_its_default():
    tree = params_to_dict(default_params())
    for k in INTERNAL:
        tree.pop(k)
    expected = _flatten(tree)
    assert expected.pop("events") == []  # the default scenario has no surge: listed as events.<name>.*
    docs = {d.key: d for d in describe()}
    from sim.validation import BLOCKS

    model_keys = {k for k in docs if k.split(".")[0] not in (*APP_DEFAULTS, *BLOCKS) and "<name>" not in k}
    assert model_keys == set(expected)
    assert {k: docs[k].default for k in expected} == expected
    assert len(expected) > 600  # the catalogues' entries are all there (10 issue types, 12 channels, ...)
    # an empty catalogue of the default scenario still shows the fields an entry takes
    assert "events.<name>.extra_issues" in docs and "report.lang" in docs
    assert docs["mmc.servers"].default == 12 and "jackson.escalate_p" in docs  # the validation knobs


def test_defaults_are_the_composed_chongming_scenario():
    """The default read from scenarios/chongming.yaml without Hydra equals what run.py composes."""
    from compose import scenario_dict

    assert default_params() == params_from_dict(scenario_dict("chongming"))


def test_every_key_has_allowed_values_and_registry_ranges_show():
    docs = {d.key: d for d in describe()}
    assert all(d.allowed for d in docs.values())
    reg = load_registry()
    for a in reg:
        if a.scenario != "chongming":  # an entry of another scenario (e.g. the typhoon's event)
            assert a.key not in docs or not docs[a.key].assumed, a.key
            continue
        assert docs[a.key].assumed == f"[A] {a.range_text}", a.key
    assert docs["world.ferry_first_h"].allowed == "a finite number in [0, 24]"
    assert docs["dispatch.rule"].allowed == "one of patch_owner, grid_pool, village_pool, ab_post"
    assert docs["dispatch.help_queue_threshold"].source == "(patch_owner rule only) [A]"  # the scenario's comment


def test_units_from_names():
    assert unit_of("time_limit_wh") == "working hours"
    assert unit_of("handling_h") == "h"
    assert unit_of("grid_area_km2") == "km²"
    assert unit_of("p_rework") == "probability"
    assert unit_of("arrival_rate_per_h") == "per hour"
    assert unit_of("whatever", {"unit": "yuan"}) == "yuan"
    docs = describe()
    assert all(d.unit == "h" for d in docs if d.key.endswith("_h") and not d.key.endswith(("_wh", "_per_h")))
    assert all(d.unit == "probability" for d in docs if d.key.split(".")[-1].startswith("p_"))


# Leaf fields that no docstring, comment or string in sim/params.py describes yet. New fields
# must be described: this list may shrink, never grow.
UNDESCRIBED = {
    "WorldParams.grid_area_km2", "WorldParams.share_aged_60plus", "WorldParams.p_party_member",
    "WorldParams.p_app_user_under60", "WorldParams.p_app_user_60plus", "WorldParams.island_aspect",
    "WorldParams.speed_walk_kmh", "WorldParams.speed_ebike_kmh", "WorldParams.speed_car_kmh",
    "WorldParams.service_walk_decay_min", "TeamParams.management_total", "TeamParams.work_total",
    "TeamParams.volunteer_total", "TeamParams.household_heads", "DepartmentParams.name_zh", "DistParams.cv",
    "SurgeParams.shape", "IssueTypeParams.source", "ChannelParams.enabled",
}


def test_meanings_come_from_the_docstrings_and_new_fields_are_described():
    from sim.params import LifecycleParams, TeamParams

    assert "verified by the registering centre" in field_meaning(LifecycleParams, "verify")
    assert "scale_<team>" in field_meaning(TeamParams, "scale_work").replace("`", "")
    described = {d.key: d.meaning for d in describe()}
    assert "reporting propensity" in described["world.propensity_sigma"]
    # catalogue leaves carry the parent's meaning: which stage a duration belongs to
    assert "discovery to report" in described["channels.video.report_delay.mean_h"]
    missing = {m.group(1) for m in (re.match(r"\(not described in the (\w+) docstring\)", v) for v in
                                    described.values()) if m}
    assert missing  # the check sees undescribed fields at all
    leaves = {f"{cls}.{k.split('.')[-1]}" for k, v in described.items()
              for cls in [re.match(r"\(not described in the (\w+) docstring\)", v)] if cls for cls in [cls.group(1)]}
    assert leaves <= UNDESCRIBED, sorted(leaves - UNDESCRIBED)


def test_select_by_substring_and_glob():
    docs = describe()
    assert [d.key for d in select(docs, "ferry_first")] == ["world.ferry_first_h"]
    glob = [d.key for d in select(docs, "issue_types.*.time_limit_wh")]
    assert len(glob) == 10 and all(k.endswith(".time_limit_wh") for k in glob)
    assert select(docs, "no_such_key_at_all") == []
    assert len(select(docs, None)) == len(docs)


def test_cli_params():
    r = run_inproc("--params", "world.ferry_*")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("world.ferry_first_h = 5.5  [h]")
    assert "[A] 5 – 7 (conf/assumptions.yaml)" in r.stdout and "first departure 05:30" in r.stdout
    assert r.stdout.count(" = ") == 4
    bad = run_inproc("--params", "no_such_key_at_all")
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.count("\n") == 1 and "no key matches 'no_such_key_at_all'" in bad.stderr


def _source_ids() -> set[int]:
    text = SOURCES.read_text(encoding="utf-8")
    ids = [int(n) for n in re.findall(r"^- \*\*S(\d+)\*\*", text, flags=re.M)]
    assert len(ids) == len(set(ids)), "a source listed twice"
    return set(ids)


def _tags_in_text(text: str) -> set[int]:
    """S-numbers inside square brackets ([S24], [S14][S25], [A after S60], [S71–S80])."""
    out = set()
    for inner in re.findall(r"\[([^\[\]\n]*)\]", text):
        for a, b in re.findall(r"\bS(\d+)(?:\s*[–-]\s*S(\d+))?\b", inner):
            out.update(range(int(a), int(b or a) + 1))
    return out


def _tagged_files():
    for folder in ("scenarios", "conf", "sim"):
        for p in sorted((ROOT / folder).rglob("*")):
            if p.is_file() and p.suffix in (".yaml", ".py", ".md", ".csv"):
                yield p


def test_every_source_tag_resolves_to_docs_sources_md():
    ids = _source_ids()
    assert ids >= set(range(1, 34)) | set(range(40, 81))
    used: dict[int, list[str]] = {}
    for p in _tagged_files():
        for n in _tags_in_text(p.read_text(encoding="utf-8", errors="replace")):
            used.setdefault(n, []).append(str(p.relative_to(ROOT)))
    assert len(used) > 30  # the scan finds the tags at all
    unresolved = {f"S{n}": files[:3] for n, files in used.items() if n not in ids}
    assert not unresolved, unresolved
    assert _tags_in_text("a: 1  # [S99] and [A after S98]") - ids == {98, 99}  # the check can fail


@pytest.mark.parametrize("tag", ["[S24]", "[S14][S25]", "[A after S60]", "(6,683 in [S28])"])
def test_tag_forms_are_recognised(tag):
    assert _tags_in_text(tag)
