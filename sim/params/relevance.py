"""Which parameters can affect a run: the keys that the rest of the configuration leaves
without effect (a regular map's sizes on the real district, a round's period for a
channel that is not a round, the coefficient of variation of an exponential, the
extension rules when overdue issues are escalated, ...).

:func:`inactive` answers for one :class:`~sim.params.ModelParams`; it serves the check
that every parameter that matters is sourced or registered (tests/test_assumptions.py) and
tells a user which keys do nothing in a scenario. Part of :mod:`sim.params`.
"""

from __future__ import annotations

import dataclasses

RUN_CONTROLS = ("seed", "world.map_seed", "run.memory_limit_gb", "run.max_events", "run.max_jobs", "run.unstable")
"""Keys that control the run (seeds, resource limits, what to do when unstable), not the
modelled world."""

_REGULAR_ONLY = ("villages_per_town", "grids_per_village", "households_per_grid", "grid_area_km2")
_SYNTHETIC_ONLY = ("towns", "villages", "settled_area_km2", "island_aspect", "village_area_sigma")
_CHONGMING_ONLY = ("towns_included", "village_density_sigma", "road_offset_km", "bridge_speed_kmh", "ferry_first_h",
                   "ferry_last_h", "ferry_interval_min", "ferry_crossing_min")
_CHANNEL_FIELDS = {  # the fields each channel kind reads (beyond name, enabled, kind, enters_at)
    "instant": ("report_delay", "can_fix_on_spot"),
    "rounds": ("p_detect_per_round", "report_delay", "on_calendar", "can_fix_on_spot", "driver"),
    "poisson": ("rate_per_day", "report_delay", "on_calendar", "can_fix_on_spot", "driver", "service_day_boost"),
    "resident": ("report_delay", "on_calendar", "driver", "utility", "p_feedback", "service_day_boost"),
}
_STAFF_ROUND_DRIVERS = ("grid_leader", "work_team", "management_team", "volunteer_team")


def inactive(p) -> set[str]:
    """Dotted keys (leaves and whole blocks ending in ``.``) without effect on run ``p``."""
    out: set[str] = set(RUN_CONTROLS)
    w = p.world
    if w.map != "regular":
        out |= {f"world.{k}" for k in _REGULAR_ONLY}
    if w.map != "synthetic":
        out |= {f"world.{k}" for k in _SYNTHETIC_ONLY if not (w.map == "regular" and k == "towns")}
    if w.map != "chongming":
        out |= {f"world.{k}" for k in _CHONGMING_ONLY}
    if w.map == "regular":
        out |= {"world.residents", "world.ferry_first_h", "world.propensity_sigma", "partition."}
    pp = p.partition
    if p.fixed_grids_per_village is not None:
        out |= {"partition.by", "partition.target_area_km2", "partition.target_households", "partition.k_min",
                "partition.k_max", "partition.total_grids"}
    else:
        out.add("partition.target_households" if pp.by == "area" else "partition.target_area_km2")
    t = p.teams
    if not (t.household_heads and p.has_members):
        out |= {"teams.households_per_head", "teams.head_hours_per_week", "teams.head_visit_min"}
    if not p.has_members:
        out |= {"teams.", "staff.", "dispatch."}
    else:
        out |= {"lifecycle.consultation."}  # the grid leader consults (staff.consultation_h)
        out.add("staff.grid_leader." if p.staff.grid_leader_from == "cadre" else "staff.cadre_leader.")
        out |= {f"levels.{lv}.crews" for lv in ("grid", "village")}
        out.add("levels.grid.calendar.")  # grid members work their own weeks
    d = p.dispatch
    if d.rule != "patch_owner":
        out.add("dispatch.help_queue_threshold")
    if d.rule != "ab_post":
        out.add("dispatch.backup_after_h")
    if p.intake.duty_calendar != "extended":
        out.add("intake.extended_calendar.")
    e = p.escalation
    if e.on_overdue == "escalate":
        out |= {"escalation.red_warning_fraction", "escalation.p_extension_granted", "escalation.extension_wh"}
    else:
        out.add("escalation.breach_fraction")
        if e.on_overdue == "supervise":
            out |= {"escalation.p_extension_granted", "escalation.extension_wh"}
    if p.fusion.enabled:
        out |= {"fusion.relay.", "fusion.p_loss", "fusion.rereport."}
    if not (p.emergency.enabled and any(ev.response_level != "none" for ev in p.events)):
        out.add("emergency.")
    for lv in ("town", "district"):
        if getattr(p.departments, lv):
            out.add(f"levels.{lv}.crews")
    for ch in p.channels:
        k = f"channels.{ch.name}."
        if not ch.enabled:
            out.add(k)
            continue
        used = set(_CHANNEL_FIELDS[ch.kind])
        if ch.kind == "rounds" and ch.driver not in _STAFF_ROUND_DRIVERS:
            used |= {"period_h", "first_round_h"}
        if ch.kind == "rounds" and ch.driver in _STAFF_ROUND_DRIVERS:
            used.add("activity")
        from sim.params.issues import ChannelParams

        for f in dataclasses.fields(ChannelParams):
            if f.name not in used and f.name not in ("name", "enabled", "kind", "enters_at"):
                out.add(k + f.name + ("." if f.name == "report_delay" else ""))
    for it in p.issue_types:
        if not it.joint_trade:
            out.add(f"issue_types.{it.name}.joint_work_share")
        if it.p_on_spot_fix == 0:
            out.add(f"issue_types.{it.name}.dur_on_spot_h")
    out |= _dist_cvs(p) | _calendars(p)
    return out


def _dist_cvs(p) -> set[str]:
    """The ``cv`` of every distribution that is not lognormal (exponential and
    deterministic have none)."""
    from sim.params.issues import DistParams

    out = set()

    def walk(obj, prefix):
        if isinstance(obj, DistParams):
            if obj.dist != "lognormal":
                out.add(prefix + "cv")
            return
        if dataclasses.is_dataclass(obj):
            for f in dataclasses.fields(obj):
                walk(getattr(obj, f.name), f"{prefix}{f.name}.")
        elif isinstance(obj, tuple) and obj and hasattr(obj[0], "name") and dataclasses.is_dataclass(obj[0]):
            for e in obj:
                walk(e, f"{prefix}{e.name}.")

    walk(p, "")
    return out


def _calendars(p) -> set[str]:
    """The window and weekdays of an always-on calendar."""
    from sim.params.issues import CalendarParams

    out = set()
    for key, cal in (("office_calendar", p.office_calendar), ("service_calendar", p.service_calendar),
                     *((f"levels.{lv}.calendar", getattr(p.levels, lv).calendar)
                       for lv in ("grid", "village", "town", "district"))):
        if isinstance(cal, CalendarParams) and cal.always_on:
            out |= {f"{key}.day_start_h", f"{key}.day_end_h", f"{key}.weekdays", f"{key}.observes_holidays"}
    return out


def is_inactive(key: str, keys: set[str]) -> bool:
    """Is dotted ``key`` in ``keys`` (:func:`inactive`), itself or through a block?"""
    if key in keys:
        return True
    parts = key.split(".")
    return any(".".join(parts[:n]) + "." in keys for n in range(1, len(parts)))
