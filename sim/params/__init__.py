"""Validated, frozen model parameters.

Everything the model reads comes from a :class:`ModelParams`. It is built from a plain
nested dict (what Hydra resolves, or what an outside experiment tool passes) by
:func:`params_from_dict`, which rejects unknown keys and out-of-range values with a
:class:`~sim.errors.ConfigError` naming the dotted key and what is allowed. The generic
dict→dataclass engine is :mod:`sim.typedconfig`; each dataclass's cross-field checks are
its own ``validate`` method, next to its fields; the vocabularies (levels, trades, ...)
are :mod:`sim.vocab`. The dataclasses live in rooms: :mod:`~sim.params.issues`,
:mod:`~sim.params.handling`, :mod:`~sim.params.place`, :mod:`~sim.params.people`,
:mod:`~sim.params.model`; everything is re-exported here, so ``from sim.params import X``
is the import path.

Units are in the names: ``_h`` hours, ``_days`` days, ``_km`` kilometres, ``_km2`` square
kilometres, ``_kmh`` km per hour, ``p_`` a probability in [0, 1], ``rate_per_..._per_...``
a rate. Defaults of the agents' parameters are the Chongming values; each is either
sourced (tags in ``../shared/calibration.md``) or an assumption [A] registered with a
plausible range in ``conf/assumptions.yaml``.
"""

from __future__ import annotations

from typing import Any

from sim.errors import ConfigError  # noqa: F401
from sim.typedconfig import FLOAT_LIMIT, FLOAT_TINY, INT_LIMIT, allowed, build, choice, num, require, to_dict  # noqa: F401
from sim.vocab import (  # noqa: F401  (re-exported: the vocabularies' historical home)
    ACTIVITIES, BLOCKS, CHANNEL_DRIVERS, CHANNEL_KINDS, DISCIPLINES, DISPATCH_RULES, DISTS, DUTY_CALENDARS, ECO_TRADES,
    ESCALATION_RULES, HOLIDAY_SOURCES, LEVELS, MAP_SOURCES, OVERDUE_POLICIES, RESIDENT_ROUTES, SERVICE_DAYS,
    STAFF_DRIVERS, SURGE_SHAPES, TRADES, resolve_towns)
from sim.params.handling import (  # noqa: F401
    AssessmentParams, DispatchParams, EmergencyParams, EscalationParams, FusionParams, IntakeParams, LevelParams, LevelsParams,
    LifecycleParams)
from sim.params.issues import (  # noqa: F401
    CalendarParams, ChannelParams, DistParams, IssueTypeParams, OccurrenceParams, SurgeParams)
from sim.params.costs import CostParams, team_totals  # noqa: F401
from sim.params.model import ModelParams, RunParams  # noqa: F401
from sim.params.people import (  # noqa: F401
    DepartmentParams, DepartmentsParams, ResidentParams, ScheduleParams, StaffParams, TeamParams)
from sim.params.place import PartitionParams, WorldParams  # noqa: F401


def params_from_dict(data: dict) -> ModelParams:
    """Build and validate :class:`ModelParams` from a plain nested dict.

    A ``mmc`` or ``jackson`` block (validation scenarios) is first translated into
    ordinary parameters by :mod:`sim.validation`.
    """
    from sim.validation import expand_validation_blocks

    data = expand_validation_blocks(dict(data))
    return build(ModelParams, data, "")


def params_to_dict(params: Any) -> Any:
    """The inverse of :func:`params_from_dict`: plain dicts and lists (for manifests)."""
    return to_dict(params)
