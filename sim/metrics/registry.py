"""The KPI registry: every key performance indicator declared once.

A :class:`Kpi` names its key in ``summary.json`` (dotted for nested values, as
``experiment.kpis`` and the sweep tables write it), the population it is measured on
(:mod:`sim.metrics.populations`), its statistic, its unit, which direction is better
(``lower``, ``higher`` or None where more is neither better nor worse), a practical
difference (the smallest change that matters to a decision maker, in the KPI's unit, a
share's in [0, 1]; None where not declared: every real difference counts; declared with
its reason for the headline KPIs of the sweep findings, :mod:`sim.experiments.findings`)
and its English and Chinese labels.

Two kinds are computed from the issue table by :func:`sim.metrics.kpi.summarize` straight
from their declaration:

- a :class:`Distribution` (a stage interval: ``end − start`` over a population) expands to
  one KPI per statistic (``resolution_time_h.mean``, ``.p50``, ``.p90``, ``.p95``, ``.max``);
- a :class:`Rate`: the share of a population that carries a flag.

The rest (:data:`OTHER`) are computed by the functions named in their ``statistic`` and are
declared here for their unit, direction and labels. Summaries, the grid table, surge KPIs,
reports, sweep comparisons and the report text all read this module.
"""

from __future__ import annotations

from dataclasses import dataclass

UNITS = ("h", "days", "share", "count", "yuan")
"""Units of a KPI: hours, days, a share in [0, 1], a count (or a count per population), yuan."""
BETTER = ("lower", "higher", None)
STATS = ("mean", "p50", "p90", "p95", "max", "n")
"""Statistics of a distribution KPI (as :func:`sim.metrics.kpi.dist_stats` returns them)."""

_STAT_LABEL = {
    "mean": ("mean {}", "平均{}"), "p50": ("median {}", "{}中位数"),
    "p90": ("90th percentile of {}", "{}第90百分位数"), "p95": ("95th percentile of {}", "{}第95百分位数"),
    "max": ("longest {}", "{}最大值"), "n": ("issues measured for {}", "{}统计问题数"),
}


@dataclass(frozen=True)
class Kpi:
    """One KPI (see module doc). ``population``: a name from
    :data:`sim.metrics.populations.POPULATIONS` (None where the KPI is not over issues)."""

    key: str
    population: str | None
    statistic: str
    unit: str
    better: str | None
    en: str
    zh: str
    practical_difference: float | None = None

    def __post_init__(self) -> None:
        assert self.unit in UNITS and self.better in BETTER, self


@dataclass(frozen=True)
class Distribution:
    """A stage interval (hours) ``end − start`` over ``population``: ``name`` its words,
    ``stage`` the two stages it spans (report tables)."""

    key: str
    start: str
    end: str
    population: str
    better: str | None
    name: tuple[str, str]
    stage: tuple[str, str] | None = None
    practical_mean_h: float | None = None
    """The practical difference of the mean (hours; see :class:`Kpi`)."""

    def kpis(self) -> list[Kpi]:
        return [Kpi(f"{self.key}.{s}", self.population, s, "count" if s == "n" else "h",
                    None if s == "n" else self.better, _STAT_LABEL[s][0].format(self.name[0]),
                    _STAT_LABEL[s][1].format(self.name[1]), self.practical_mean_h if s == "mean" else None)
                for s in STATS]


@dataclass(frozen=True)
class Rate:
    """The share of ``population`` with ``flag`` (a name from
    :data:`sim.metrics.populations.FLAGS`)."""

    kpi: Kpi
    flag: str


# fmt: off
DISTRIBUTIONS: tuple[Distribution, ...] = (
    # practical difference 4 h [A]: half the shortest time limit (1 working day, issue_types.*.time_limit_wh
    # = 8 in scenarios/chongming.yaml); a smaller change of the mean moves no typical issue across its limit
    Distribution("time_to_fix_h", "t_occurred_h", "t_closed_h", "occurred_fixed", "lower",
                 ("time to fix", "解决用时"), ("occurred → fixed", "发生 → 解决"), practical_mean_h=4.0),
    Distribution("response_time_h", "t_reported_h", "t_on_site_h", "dispatched", "lower",
                 ("response time", "响应时间"), ("reported → first person on site", "上报 → 首人到场")),
    Distribution("resolution_time_h", "t_reported_h", "t_closed_h", "dispatched_closed", "lower",
                 ("resolution time", "办结时长"), ("reported → closed", "上报 → 办结")),
    Distribution("resolution_time_incl_on_spot_h", "t_reported_h", "t_closed_h", "reported_closed", "lower",
                 ("resolution time with on-the-spot fixes", "办结时长（含现场处置）")),
    Distribution("handling_time_h", "t_dispatched_h", "t_handled_h", "dispatched_handled", "lower",
                 ("handling time", "处置时长")),
    Distribution("wait_time_h", "t_dispatched_h", "t_started_h", "dispatched", "lower",
                 ("wait for handling", "等待处置时间"), ("dispatched → handling started", "派遣 → 开始处置")),
    Distribution("discovery_delay_h", "t_occurred_h", "t_reported_h", "reported", "lower",
                 ("discovery delay", "发现用时"), ("occurred → reported", "发生 → 上报")),
    Distribution("total_time_h", "t_occurred_h", "t_closed_h", "dispatched_closed", "lower",
                 ("total time, occurred → closed", "总用时，发生 → 办结"), ("occurred → closed", "发生 → 办结")),
    Distribution("total_time_incl_on_spot_h", "t_occurred_h", "t_closed_h", "reported_closed", "lower",
                 ("total time with on-the-spot fixes", "总用时（含现场处置）")),
)
"""Stage intervals, in ``summary.json`` order."""

RATES: tuple[Rate, ...] = (
    Rate(Kpi("closure_rate", "due", "rate", "share", "higher", "closure rate", "结案率"), "closed"),
    Rate(Kpi("on_time_rate", "due", "rate", "share", "higher", "on-time closure rate", "按期结案率"), "on_time"),
    Rate(Kpi("escalation_rate", "dispatched", "rate", "share", "lower", "escalation rate", "升级率"), "escalated"),
    Rate(Kpi("routed_up_rate", "dispatched", "rate", "share", None, "routed up by capability", "按能力上转率"),
         "routed_up"),
    Rate(Kpi("extension_rate", "dispatched", "rate", "share", "lower", "extension rate", "延期率"), "extension_granted"),
    Rate(Kpi("supervision_rate", "dispatched", "rate", "share", "lower", "supervision (督办) rate", "督办率"),
         "supervised"),
    Rate(Kpi("rework_rate", "dispatched_closed", "rate", "share", "lower", "rework rate", "返工率"), "reworked"),
    Rate(Kpi("help_share", "dispatched", "rate", "share", "lower", "share helped from outside the grid",
             "由网格外人员协助处置的占比"), "helped"),
    Rate(Kpi("boundary_share", "dispatched", "rate", "share", "lower", "share straddling a grid border (joint consultation)",
             "跨网格边界问题占比（联合会商）"), "boundary"),
)
"""Rates over issues, in ``summary.json`` order."""

OTHER: tuple[Kpi, ...] = (
    Kpi("unfixed_share", "occurred", "rate", "share", "lower", "share of issues not fixed when the run stopped",
        "运行结束时未解决问题占比"),
    Kpi("cost.total_yuan_per_year", None, "cost_kpis", "yuan", "lower", "cost a year (yuan)", "年度成本（元）"),
    # practical difference 100 yuan [A]: under a day's pay of an eco-job worker (costs.work_yuan_per_month 3,000,
    # about 140 a working day) and about 2 % of the ~5,300 yuan an issue costs (chongming_town)
    Kpi("cost.per_fixed_issue_yuan", "occurred_fixed", "cost_kpis", "yuan", "lower", "cost per issue fixed (yuan)",
        "每解决一个问题的成本（元）", 100.0),
    Kpi("cost.staff_h_per_fixed_issue", "occurred_fixed", "cost_kpis", "h", "lower", "staff-hours per issue fixed",
        "每解决一个问题的人员工时"),
    Kpi("on_spot_share", "reported", "rate", "share", None, "share fixed on the spot", "现场处置占比"),
    Kpi("lost_reports", None, "count", "count", "lower", "lost reports", "遗失上报数"),
    Kpi("structure.coverage_15min", None, "coverage_15min", "share", "higher", "15-minute service-circle coverage",
        "15分钟服务圈覆盖率"),
    Kpi("structure.grid_unstaffed_share", None, "grid_unstaffed_share", "share", "lower",
        "share of hours with nobody of the grid on shift", "网格无人在岗时段占比"),
    Kpi("routine_coverage", None, "staff_kpis", "share", "higher", "routine coverage", "日常工作完成率"),
    Kpi("grid_duties_h", None, "staff_kpis", "h", "lower", "hours of grids' fixed duties (meetings, logs, reporting)",
        "网格固定事务工时（会议、台账、报表）"),
    Kpi("patrol_coverage", None, "staff_kpis", "share", "higher", "patrol coverage", "巡查完成率"),
    Kpi("staff.work.issue_h_per_member_mean", None, "staff_kpis", "h", None, "work-team issue hours per member",
        "工作团队人均问题处置工时"),
    Kpi("staff.work.travel_h", None, "staff_kpis", "h", "lower", "work-team travel hours", "工作团队路途工时"),
    Kpi("staff_utilisation.work.mean", None, "staff_kpis", "share", None, "work-team utilisation", "工作团队利用率"),
    # practical difference 1 percentage point [A]: the published satisfaction rates decision makers compare are
    # quoted to about a point (12345: 93 % [S7], Chengqiao 88.54 % [S24]) and move by several points between years
    Kpi("satisfaction_rate", "rated", "resident_kpis", "share", "higher", "satisfaction rate", "满意率", 0.01),
    Kpi("trust.end_mean", None, "resident_kpis", "share", "higher", "households' mean trust at the end",
        "期末住户平均信任度"),
    Kpi("reporting_per_1000_per_30d", None, "resident_kpis", "count", None, "reports per 1,000 residents per 30 days",
        "每千居民每30天上报数"),
    Kpi("surge.peak_backlog", None, "surge_kpis", "count", "lower", "surge: peak backlog", "突发事件：积压峰值"),
    Kpi("surge.days_to_recover", None, "surge_kpis", "days", "lower", "surge: days to recover", "突发事件：恢复天数"),
    Kpi("surge.on_time_rate", "due", "surge_kpis", "share", "higher", "surge: on-time closure rate",
        "突发事件：按期结案率"),
    Kpi("surge.time_to_make_safe_h.mean", None, "surge_kpis", "h", "lower",
        "surge: mean time to make a severity-3 hazard safe", "突发事件：三级隐患平均先行处置用时"),
    Kpi("surge.time_to_make_safe_h.p90", None, "surge_kpis", "h", "lower",
        "surge: 90th percentile of time to make a hazard safe", "突发事件：隐患先行处置用时第90百分位数"),
    Kpi("surge.made_safe_within_target", None, "surge_kpis", "share", "higher",
        "surge: hazards made safe within the target", "突发事件：隐患按时先行处置率"),
    Kpi("discovery_share.hotline_12345", "reported", "rate", "share", None, "share found through 12345", "12345发现占比"),
    Kpi("discovery_share.resident_app", "reported", "rate", "share", None, "share reported by app", "随申办/APP上报占比"),
    Kpi("discovery_share.service_point", "reported", "rate", "share", None, "share reported at service points",
        "服务站点上报占比"),
    Kpi("discovery_share.tell_head", "reported", "rate", "share", None, "share told to household heads", "告知户长占比"),
    Kpi("discovery_share.tell_party_member", "reported", "rate", "share", None, "share told to party members",
        "告知党员占比"),
    Kpi("discovery_share.party_member", "reported", "rate", "share", None, "share found by party members",
        "党员发现占比"),
)
# fmt: on

KPIS: dict[str, Kpi] = {k.key: k for k in (*(k for d in DISTRIBUTIONS for k in d.kpis()),
                                           *(r.kpi for r in RATES), *OTHER)}
"""Every declared KPI by key."""
assert len(KPIS) == sum(len(STATS) for _ in DISTRIBUTIONS) + len(RATES) + len(OTHER), "a KPI declared twice"


def kpi_unit(key: str) -> str:
    """Unit of the KPI ``key`` (one of :data:`UNITS`): its declared unit; a key that is not
    declared (any other ``summary.json`` number, e.g. ``workload.grid.busy_h`` or
    ``by_type.river.count``) by the naming rule of ``summary.json``: ``yuan`` or a cost is
    yuan, a ``_h`` part is hours, ``days`` days, ``trust`` or a ``rate``/``share``/``coverage``/``utilisation`` a
    share, else a count."""
    k = KPIS.get(key)
    if k is not None:
        return k.unit
    head, last = key.split(".")[0], key.split(".")[-1]
    if "yuan" in last or (head == "cost" and not last.endswith("_h")):
        return "yuan"
    if head.endswith("_h") or last.endswith("_h"):
        return "h"
    if last.startswith("days_") or last.endswith("_days"):
        return "days"
    if head == "trust" or (any(s in key for s in ("rate", "share", "coverage", "utilisation"))
                           and not head.startswith("reporting_per")):
        return "share"
    return "count"


def labels() -> dict[str, dict[str, str]]:
    """``{key: {"en": ..., "zh": ...}}`` of every declared KPI (the report text's KPI terms)."""
    return {k.key: {"en": k.en, "zh": k.zh} for k in KPIS.values()}


def stage_labels() -> dict[str, dict[str, str]]:
    """``{distribution key: {"en": "a → b", "zh": ...}}`` of the stage intervals that have one."""
    return {d.key: {"en": d.stage[0], "zh": d.stage[1]} for d in DISTRIBUTIONS if d.stage}


def describe(key: str) -> dict:
    """What a comparison needs to know of KPI ``key``: its unit, which direction is better
    and its practical difference (None where not declared)."""
    k = KPIS.get(key)
    return {"unit": kpi_unit(key), "better": k.better if k else None,
            "practical_difference": k.practical_difference if k else None}
