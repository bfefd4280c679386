"""The escalation rule, in one place: which level an issue goes to next.

Two moves exist. *Capability routing* (上报 by type): a report registered at the grid whose
type the grid may not close goes up to the lowest level that may close it. *Escalation*:
an issue whose attempt failed, or that is overdue under ``escalation.on_overdue:
escalate``, goes up from the level it is at. ``escalation.rule`` decides how:

- ``step``: one level at a time (grid → village → town → district); each step is a
  hand-over received on the receiving unit's calendar.
- ``direct`` (fused nets, 多网融合): capability routing reaches the capable level in one
  hand-over through the linkage system; a failed or overdue issue at the grid or village
  goes straight to the town linkage centre, at the town to the district.

Every hand-over takes ``escalation.handover`` working hours of the receiving unit.
"""

from __future__ import annotations

from enum import IntEnum

from sim.vocab import LEVELS

TOP = len(LEVELS) - 1
"""The top level (the district): nothing escalates past it."""


class Reason(IntEnum):
    """Why an issue moves up a level. ``CAPABILITY`` is routing (上报 by type: nobody at the
    unit may do it, counted in ``routed_up``); the others are escalations (``escalations``)."""

    CAPABILITY = 0
    FAILED = 1  # an attempt failed
    OVERDUE = 2  # past its breach time, not yet being worked on (``on_overdue: escalate``)
    REWORK_CAP = 3  # verification failed more than ``lifecycle.max_reworks`` times


def capability_hops(min_level: int, rule: str) -> tuple[int, ...]:
    """Levels a grid-registered report is handed to, in order, to reach ``min_level``
    (empty when the grid may close it)."""
    if min_level <= 0:
        return ()
    if rule == "step":
        return tuple(range(1, min_level + 1))
    return (min_level,)


def escalation_target(level: int, rule: str) -> int:
    """Where a failed or overdue issue at ``level`` goes (the district stays at the district)."""
    if level >= TOP:
        return TOP
    if rule == "direct" and level < 2:
        return 2
    return level + 1
