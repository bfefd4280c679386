"""The model's vocabularies: the closed sets of names that parameters choose from and
the model indexes by (levels, trades, disciplines, channel kinds, ...), and the Chongming
town names (read from ``sim/world/data/towns.csv``, no geometry). The bottom layer of
``sim``: it imports nothing from the package but :mod:`sim.errors`."""

from __future__ import annotations

import csv
from pathlib import Path

from sim.errors import ConfigError

LEVELS = ("grid", "village", "town", "district")
"""The handling ladder, lowest first. Index = level number used inside the model."""

DISTS = ("exponential", "lognormal", "deterministic")
DISCIPLINES = ("fifo", "severity", "time_left")
ESCALATION_RULES = ("step", "direct")
OVERDUE_POLICIES = ("escalate", "supervise", "extend")
CHANNEL_KINDS = ("instant", "rounds", "poisson", "resident")
CHANNEL_DRIVERS = ("none", "grid_leader", "work_team", "management_team", "volunteer_team", "household_heads",
                   "party_members", "app_users", "service_point", "propensity", "hotline")
RESIDENT_ROUTES = ("app_users", "service_point", "hotline", "household_heads", "party_members")
"""How a household that decides to report does it (the ``driver`` of a ``resident`` channel)."""
STAFF_DRIVERS = ("grid_leader", "work_team", "management_team", "volunteer_team")
"""Channels whose rounds are walked by team members on their patches (see sim.agents.staff)."""
ACTIVITIES = ("patrol", "routine")
SERVICE_DAYS = (10, 20)
"""Days of the month that are service days (the 10th and 20th: ``service_day_boost``)."""
BLOCKS = ("patrol", "routine", "slack")
"""How a team member's working day is divided (see :class:`ScheduleParams`)."""
MAP_SOURCES = ("regular", "synthetic", "geojson", "chongming")
HOLIDAY_SOURCES = ("china", "none")
ECO_TRADES = ("cleaning", "river", "forestry", "road", "safety")
"""The work team's ecological-employment trades (road and river cleaning, waste, forestry, safety patrol)."""
TRADES = (*ECO_TRADES, "service", "mediation", "enforcement", "general")
"""Every trade an issue type can need: a closed set. Grid and village members and town
departments are qualified for some of them (see docs/ODD.md, Submodels)."""
DISPATCH_RULES = ("patch_owner", "grid_pool", "village_pool", "ab_post")
GRID_LEADERS = ("cadre", "manager")
"""Who leads a grid: a village cadre or a management-team member (``staff.grid_leader_from``)."""
DUTY_CALENDARS = ("round_the_clock", "extended", "office")
"""When the town linkage centre and the district platform register and dispatch (值班)."""
SURGE_SHAPES = ("uniform", "decay")
RESPONSE_LEVELS = ("none", "IV", "III", "II", "I")
"""Emergency response levels of the flood and typhoon plan (防汛防台), weakest first: IV blue,
III yellow, II orange, I red; ``none``: no response declared."""

TOWNS_FILE = Path(__file__).resolve().parent / "world" / "data" / "towns.csv"
"""The Chongming town table (see the README beside it)."""


def town_names() -> list[tuple[str, str, tuple[str, ...]]]:
    """(zh, pinyin, other spellings) of every town, in table order (no geometry read)."""
    with TOWNS_FILE.open(encoding="utf-8") as fh:
        return [(r["zh"], r["pinyin"], tuple(a for a in r["aliases"].split("|") if a)) for r in csv.DictReader(fh)]


def resolve_towns(names) -> list[int]:
    """Indices (table order) of the towns named in ``names`` (zh or pinyin, any case);
    empty: all. Raises ConfigError on ``world.towns_included`` for an unknown name."""
    table = town_names()
    if not names:
        return list(range(len(table)))
    lookup = {}
    for i, (zh, en, aka) in enumerate(table):
        for k in (zh, en, *aka):
            lookup[k.casefold()] = i
    out = []
    for n in names:
        i = lookup.get(str(n).strip().casefold())
        if i is None:
            allowed = ", ".join(f"{zh}/{en}" for zh, en, _ in table)
            raise ConfigError("world.towns_included", f"unknown town {n!r}; allowed (zh or pinyin): {allowed}")
        if i not in out:
            out.append(i)
    return sorted(out)
