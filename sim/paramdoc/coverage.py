"""Is every parameter that matters sourced or registered?

A numeric parameter of a shipped Chongming scenario that has an effect on its runs
(:func:`sim.params.relevance.inactive`) must either carry a source tag on its line of the
scenario file, or of the block it sits in (``[S12]``, ``[D]``, ``[domain brief]``,
``[calibration 9.4]``, ``[design]`` for a measurement choice such as the horizon; an
``[A]`` tag does not count), or have an entry in the assumption registry
(``conf/assumptions.yaml``) with its plausible range. :func:`unsourced` lists those that
do neither; tests/test_assumptions.py requires the list to be empty.
"""

from __future__ import annotations

import re
from pathlib import Path

from sim.assumptions import load
from sim.paramdoc.text import yaml_comments

CHONGMING_SCENARIOS = ("chongming", "pre_reform", "chongming_no_heads", "chongming_unfused", "chongming_step",
                       "chongming_one_grid", "chongming_typhoon")
"""The district scenario and its variants: every mechanism a Chongming run can switch on."""
_TAG = re.compile(r"\[[^\]]*\]")


def _sourced(text: str | None) -> bool:
    return bool(text) and any(not t.startswith("[A") for t in _TAG.findall(text))


def _numeric(v) -> bool:
    if isinstance(v, bool) or v is None:
        return False
    if isinstance(v, (int, float)):
        return True
    return isinstance(v, list) and len(v) > 0 and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)


def _leaves(d, prefix: str = ""):
    if isinstance(d, list) and d and all(isinstance(x, dict) and "name" in x for x in d):
        d = {x["name"]: x for x in d}  # a catalogue: entries by name
    if isinstance(d, dict):
        for k, v in d.items():
            yield from _leaves(v, f"{prefix}{k}.")
    else:
        yield prefix[:-1], d


def tagged(key: str, comments: dict[str, str]) -> bool:
    """Does ``key`` carry a source tag, on its own line or on its block's (two levels up)?"""
    if key in comments:
        return _sourced(comments[key])
    parts = key.split(".")
    return any(_sourced(comments.get(".".join(parts[:n]))) for n in range(len(parts) - 1, max(0, len(parts) - 3), -1))


def unsourced(scenarios=CHONGMING_SCENARIOS) -> list[tuple[str, object, str]]:
    """``(key, value, scenario)`` of every numeric parameter with an effect in one of
    ``scenarios`` that is neither tagged with a source nor registered."""
    from sim.params import params_from_dict, params_to_dict
    from sim.params.relevance import inactive, is_inactive
    from sim.scenarios import FOLDER, scenario_data

    registered = {a.key for a in load()}
    base = yaml_comments(Path(FOLDER) / "chongming.yaml")
    out, seen = [], set()
    for name in scenarios:
        p = params_from_dict(scenario_data(name))
        off = inactive(p)
        comments = {**base, **yaml_comments(Path(FOLDER) / f"{name}.yaml")}
        for key, v in _leaves(params_to_dict(p)):
            if key in seen or key.startswith("validation") or not _numeric(v) or is_inactive(key, off):
                continue
            if key in registered or tagged(key, comments):
                continue
            seen.add(key)
            out.append((key, v, name))
    return out
