"""Named scenarios without Hydra: ``scenarios/NAME.yaml`` with its defaults list, merged
the way ``run.py`` composes them (a scenario's ``defaults`` are merged first, in order,
then the file itself), so that ``sim.simulate({"scenario": NAME, ...})`` runs that
scenario with the dict's values on top."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from sim.errors import ConfigError

FOLDER = Path(__file__).resolve().parents[1] / "scenarios"
CUSTOM = "custom"  # the name of a run built from a dict alone (ModelParams.scenario's default)


def names() -> list[str]:
    return sorted(p.stem for p in FOLDER.glob("*.yaml"))


def deep_merge(base: dict, over: dict) -> dict:
    """``over`` on top of ``base``: mappings merged key by key, anything else replaced."""
    out = dict(base)
    for k, v in over.items():
        out[k] = deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


@lru_cache(maxsize=None)
def _load(name: str, chain: tuple[str, ...] = ()) -> dict:
    if name in chain:
        raise ConfigError("scenario", f"the defaults of {name!r} include themselves ({' -> '.join(chain + (name,))})")
    path = FOLDER / f"{name}.yaml"
    if not path.is_file():
        raise ConfigError("scenario", f"unknown scenario {name!r}; allowed: {', '.join(names()) or '(none found)'} "
                                      f"(files of {FOLDER})")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: dict = {}
    own_done = False
    for entry in data.pop("defaults", None) or ["_self_"]:
        if entry == "_self_":
            out, own_done = deep_merge(out, data), True
        elif isinstance(entry, str):
            out = deep_merge(out, _load(entry, chain + (name,)))
    return deep_merge(out, data) if not own_done else out


def scenario_data(name: str) -> dict:
    """Scenario ``name``'s parameters as a nested dict (a fresh copy)."""
    import copy

    return copy.deepcopy(_load(name))


def with_scenario(data: dict) -> dict:
    """``data`` on top of the scenario it names (``data["scenario"]``); a dict without a
    scenario, or with ``custom``, is returned as it is. An unknown name is refused."""
    name = data.get("scenario", CUSTOM)
    if name == CUSTOM:
        return data
    if not isinstance(name, str) or not name or "/" in name:
        raise ConfigError("scenario", f"must name a file of scenarios/ (allowed: {', '.join(names())}), got {name!r}")
    from sim.params import ModelParams, params_to_dict

    # every default first, as the composed config has them (a partial block in a scenario
    # keeps the defaults of the fields it does not set)
    return deep_merge(deep_merge(params_to_dict(ModelParams()), scenario_data(name)), data)
