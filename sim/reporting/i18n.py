"""Report text in English and Chinese: one catalogue of strings keyed by id.

Every sentence, table header, figure title, axis label and legend entry of the reports
(single run, sweep, sensitivity) comes from :data:`CATALOGUE` through a :class:`Tr`:

    T = Tr("zh")
    T("run.title", scenario="chongming", seed=1)     # 运行报告：情景 chongming，随机种子 1
    T.n("count.grids", 1)                            # en: "1 micro-grid", zh: "1个微网格"
    T.term("type", "illegal_building")               # en: "illegal building", zh: "违法建筑"

An entry is ``{"en": ..., "zh": ...}``; a countable entry gives English ``one`` and
``other`` forms (Chinese has one form). Placeholders use :meth:`str.format`. Domain terms
(issue types, channels, levels, teams, KPIs) not in the catalogue fall back to the
identifier with underscores as spaces, so a new scenario never breaks a report.
"""

from __future__ import annotations

from sim.errors import ConfigError
from sim.metrics.registry import kpi_unit, labels, stage_labels  # noqa: F401  (kpi_unit re-exported)

LANGS = ("en", "zh")

# fmt: off
CATALOGUE: dict[str, dict] = {
    # ---------------------------------------------------------------- common
    "yes": {"en": "yes", "zh": "是"},
    "no": {"en": "no", "zh": "否"},
    "colon": {"en": ": ", "zh": "："},
    "list_sep": {"en": ", ", "zh": "、"},
    "clause_sep": {"en": "; ", "zh": "；"},
    "pct": {"en": "{v} %", "zh": "{v}%"},
    "unit.h": {"en": "h", "zh": "小时"},
    "unit.km": {"en": "km", "zh": "千米"},
    "unit.pp": {"en": "percentage points", "zh": "百分点"},
    "unit.count": {"en": "count", "zh": "个数"},
    "unit.days": {"en": "days", "zh": "天"},
    "unit.pct": {"en": "%", "zh": "%"},
    "unit.share": {"en": "share, 0–1", "zh": "比例，0–1"},
    "axis.x_km": {"en": "east–west (km)", "zh": "东西向（千米）"},
    "axis.y_km": {"en": "south–north (km)", "zh": "南北向（千米）"},
    "with_unit": {"en": "{label} ({unit})", "zh": "{label}（{unit}）"},
    # ---------------------------------------------------------------- counts (plural-aware)
    "count.grids": {"en": {"one": "{n} micro-grid", "other": "{n} micro-grids"}, "zh": "{n}个微网格"},
    "count.villages": {"en": {"one": "{n} village", "other": "{n} villages"}, "zh": "{n}个村"},
    "count.towns": {"en": {"one": "{n} town", "other": "{n} towns"}, "zh": "{n}个镇"},
    "count.households": {"en": {"one": "{n} household", "other": "{n} households"}, "zh": "{n}户"},
    "count.issues": {"en": {"one": "{n} issue", "other": "{n} issues"}, "zh": "{n}个问题"},
    "count.runs": {"en": {"one": "{n} run", "other": "{n} runs"}, "zh": "{n}次运行"},
    "count.days": {"en": {"one": "{n} day", "other": "{n} days"}, "zh": "{n}天"},
    "count.replicates": {"en": {"one": "{n} replicate", "other": "{n} replicates"}, "zh": "{n}次重复"},
    "count.policies": {"en": {"one": "{n} policy", "other": "{n} policies"}, "zh": "{n}种方案"},
    # ---------------------------------------------------------------- single-run report
    "run.title": {"en": "Run report: scenario {scenario}, seed {seed}", "zh": "运行报告：情景 {scenario}，随机种子 {seed}"},
    "run.intro": {"en": "{days} simulated from {start}; KPIs over issues reported after a warm-up of {warmup}. "
                        "Times in hours.",
                  "zh": "自 {start} 起模拟{days}；指标只统计预热期（{warmup}）之后上报的问题。时间单位为小时。"},
    "run.headline": {"en": "Headline", "zh": "主要指标"},
    "run.kpi": {"en": "KPI", "zh": "指标"},
    "run.value": {"en": "value", "zh": "数值"},
    "run.item": {"en": "item", "zh": "项目"},
    "run.count": {"en": "issues", "zh": "问题数"},
    "run.counts": {"en": "Counts (whole run)", "zh": "问题数量（整个运行期）"},
    "run.stage_times": {"en": "Stage times (h)", "zh": "各环节用时（小时）"},
    "run.interval": {"en": "interval", "zh": "区间"},
    "run.figures": {"en": "Figures", "zh": "图"},
    "run.theory": {"en": "Queueing theory check", "zh": "排队论检验"},
    "run.theory_note": {"en": "Exact means from {formula}; the simulated means carry sampling error that shrinks "
                              "with the run length.",
                        "zh": "精确均值来自 {formula}；模拟均值含抽样误差，运行越长误差越小。"},
    "run.theory_cols": {"en": ["quantity", "theory", "simulated", "relative error"],
                        "zh": ["量", "理论值", "模拟值", "相对误差"]},
    "run.theory.mean wait (h)": {"en": "mean wait (h)", "zh": "平均等待时间（小时）"},
    "run.theory.mean resolution time (h)": {"en": "mean resolution time (h)", "zh": "平均办结时长（小时）"},
    "run.little": {"en": "Little's law", "zh": "利特尔法则（Little's law）"},
    "run.little_note": {"en": "Time-average backlog L from the model's own backlog series, against arrival rate λ "
                              "times mean time in handling W (window: after warm-up).",
                        "zh": "由模型自身积压序列算出的时间平均积压量 L，与到达率 λ 乘以平均处置时长 W 之积相比较"
                              "（统计窗口：预热期之后）。"},
    "run.little_cols": {"en": ["L (issues)", "λ (per h)", "W (h)", "λW (issues)", "relative error"],
                        "zh": ["L（个）", "λ（每小时）", "W（小时）", "λW（个）", "相对误差"]},
    "run.discovery": {"en": "Discovery", "zh": "问题发现"},
    "run.discovery_text": {"en": "On-the-spot fixes: {share} of reported issues; lost reports on the "
                                 "village-committee route: {lost}.",
                           "zh": "现场处置占上报问题的 {share}；经村委会转报途中遗失的上报：{lost} 件。"},
    "run.channel_share_cols": {"en": ["channel", "share of reports"], "zh": ["渠道", "占上报比例"]},
    "run.staff": {"en": "Staff time over the KPI window (hours, all members of each team)",
                  "zh": "人员工时（指标统计期内，各队伍全体成员合计，小时）"},
    "run.staff_cols": {"en": ["team", "members", "contract (h)", "routine (h)", "patrol (h)", "handling (h)",
                              "travel (h)", "consultation (h)", "mediation (h)", "idle (h)", "utilisation (mean)",
                              "routine coverage", "patrol coverage"],
                       "zh": ["队伍", "人数", "合同工时", "日常工作", "巡查", "处置", "路途", "会商", "调解", "空闲",
                              "平均利用率", "日常工作完成率", "巡查完成率"]},
    "run.staff_issue": {"en": "Issue work per member (handling, travel, consultation, mediation; hours)",
                        "zh": "每人问题处置工时（处置、路途、会商、调解；小时）"},
    "run.staff_issue_cols": {"en": ["team", "members", "mean (h)", "sd (h)", "Gini"],
                             "zh": ["队伍", "人数", "均值（小时）", "标准差（小时）", "基尼系数"]},
    "run.grids": {"en": "Grid assessment (ranking by on-time rate, then mean resolution time)",
                  "zh": "网格考核（先按按期结案率、再按平均办结时长排名）"},
    "run.grid_cols": {"en": ["rank", "micro-grid", "village", "town", "reported", "on-time rate",
                             "mean resolution (h)", "mean discovery delay (h)"],
                      "zh": ["排名", "微网格", "村", "镇", "上报数", "按期结案率", "平均办结时长（小时）",
                             "平均发现用时（小时）"]},
    "run.grids_note": {"en": "Top five and bottom five of {grids}; every grid, with town and village names, "
                             "in grids.parquet.",
                       "zh": "{grids}中前五名与后五名；全部网格（含镇名、村名）见 grids.parquet。"},
    "run.by_type": {"en": "By issue type", "zh": "按问题类型"},
    "run.by_channel": {"en": "By discovery channel", "zh": "按发现渠道"},
    "run.by_level": {"en": "By level reached", "zh": "按最终处置层级"},
    "run.group_cols": {"en": ["", "count", "closed", "mean resolution (h)"],
                       "zh": ["", "数量", "已办结", "平均办结时长（小时）"]},
    "run.workload": {"en": "Workload by level", "zh": "各层级工作量"},
    "run.workload_cols": {"en": ["level", "units", "servers", "attempts", "busy hours (h)",
                                 "issue work (share of on-duty hours)"],
                          "zh": ["层级", "单位数", "处置人员/班组", "处置次数", "处置工时（小时）", "处置工时占在岗工时比例"]},
    "run.workload_note": {"en": "At grid and village level the servers are team members and village cadres whose "
                                "on-duty hours go mostly to routine duty and patrols (see staff time above): the "
                                "last column is the small share spent handling issues, not how busy they are. "
                                "Town and district departments do nothing but cases.",
                          "zh": "网格和村两级的处置人员是各队伍成员和村干部，其在岗工时主要用于日常工作和巡查（见上文人员工时）："
                                "末列只是其中用于处置问题的比例，并非其繁忙程度。镇、区两级部门专职办理案件。"},
    "run.structure": {"en": "Structure", "zh": "结构"},
    "run.structure_cols": {"en": ["towns", "villages", "micro-grids", "residents", "households", "management team",
                                  "work team", "volunteer team", "household heads", "service points",
                                  "15-min coverage"],
                           "zh": ["镇", "村", "微网格", "居民", "户", "管理团队", "工作团队", "志愿团队", "户长",
                                  "党群服务点", "15分钟服务圈覆盖率"]},
    "run.structure_text": {"en": "Grid area (km²): mean {a_mean}, min {a_min}, max {a_max}; micro-grids per village: "
                                 "mean {g_mean}, min {g_min}, max {g_max}.",
                           "zh": "网格面积（平方千米）：平均 {a_mean}，最小 {a_min}，最大 {a_max}；每村微网格数：平均 "
                                 "{g_mean}，最少 {g_min}，最多 {g_max}。"},
    "run.reproduce": {"en": "Reproduce", "zh": "复现"},
    "run.commit": {"en": "commit {commit} (uncommitted changes: {dirty}); {versions}",
                   "zh": "代码版本 {commit}（有未提交修改：{dirty}）；{versions}"},
    "run.closeup_note": {"en": "Close-up village: {place} (index {index}), chosen as {rule}; set report.village to "
                               "choose another (an index or a name).",
                         "zh": "特写村：{place}（序号 {index}），选取规则：{rule}；可用 report.village 指定其他村（序号或名称）。"},
    "run.closeup_rule_most": {"en": "the village with most households (the same in every scenario of this map)",
                              "zh": "户数最多的村（同一地图下各情景相同）"},
    "run.closeup_rule_given": {"en": "given by report.village", "zh": "由 report.village 指定"},
    # counts
    "counts.occurred": {"en": "occurred", "zh": "发生"},
    "counts.discovered": {"en": "discovered", "zh": "发现"},
    "counts.reported": {"en": "reported", "zh": "上报"},
    "counts.closed": {"en": "closed", "zh": "办结"},
    "counts.open_at_end": {"en": "open at end", "zh": "期末未结"},
    "counts.escalated": {"en": "escalated", "zh": "升级"},
    "counts.reworked": {"en": "reworked", "zh": "返工"},
    "counts.on_spot": {"en": "fixed on the spot", "zh": "现场处置"},
    "counts.breached": {"en": "time limit breached", "zh": "超时"},
    "counts.routed_up": {"en": "routed up", "zh": "上转"},
    "counts.supervised": {"en": "supervised", "zh": "督办"},
    "counts.extended": {"en": "extended", "zh": "延期"},
    "counts.yellow_warnings": {"en": "yellow warnings", "zh": "黄灯预警"},
    "counts.red_warnings": {"en": "red warnings", "zh": "红灯预警"},
    "counts.dispatched": {"en": "dispatched", "zh": "派遣"},
    "counts.due": {"en": "due", "zh": "应结"},
    # stage intervals
    "stage.cols": {"en": ["interval", "issues", "mean", "median", "p90", "p95", "max"],
                   "zh": ["区间", "问题数", "均值", "中位数", "第90百分位", "第95百分位", "最大值"]},
    # partition quality
    "pq.household_balance_max_over_mean": {"en": "households per grid, max / mean", "zh": "网格户数：最大/平均"},
    "pq.household_balance_cv": {"en": "households per grid, CV", "zh": "网格户数变异系数"},
    "pq.compactness_polsby_popper_mean": {"en": "compactness (Polsby–Popper), mean", "zh": "紧凑度（Polsby–Popper）平均"},
    "pq.compactness_polsby_popper_min": {"en": "compactness (Polsby–Popper), min", "zh": "紧凑度（Polsby–Popper）最小"},
    # ---------------------------------------------------------------- figures of a run
    "fig.resolution.title_hist": {"en": "Resolution time by level reached", "zh": "按处置层级的办结时长分布"},
    "fig.resolution.title_cdf": {"en": "Cumulative distribution", "zh": "累积分布"},
    "fig.resolution.x_hist": {"en": "resolution time, report → closed (h, log scale)",
                              "zh": "办结时长，上报 → 办结（小时，对数刻度）"},
    "fig.resolution.x_cdf": {"en": "resolution time, report → closed (h)", "zh": "办结时长，上报 → 办结（小时）"},
    "fig.resolution.y_hist": {"en": "issues (count)", "zh": "问题数（个）"},
    "fig.resolution.y_cdf": {"en": "share closed within (%)", "zh": "在该时长内办结的比例（%）"},
    "fig.resolution.level_n": {"en": "{level} (n = {n})", "zh": "{level}（n = {n}）"},
    "staff.act.routine_h": {"en": "routine duty", "zh": "日常工作"},
    "staff.act.patrol_h": {"en": "patrol", "zh": "巡查"},
    "staff.act.handling_h": {"en": "handling issues", "zh": "处置问题"},
    "staff.act.travel_h": {"en": "travel", "zh": "路途"},
    "staff.act.consultation_h": {"en": "consultation", "zh": "会商"},
    "staff.act.mediation_h": {"en": "mediation", "zh": "调解"},
    "staff.act.idle_h": {"en": "slack (idle)", "zh": "机动（空闲）"},
    "fig.staff.title": {"en": "How each team's contracted hours are spent", "zh": "各队伍合同工时的去向"},
    "fig.staff.x": {"en": "share of contracted hours in the KPI window (%)", "zh": "统计期内占合同工时的比例（%）"},
    "fig.staff.tradeoff_title": {"en": "Issue work against routine duty (work team)", "zh": "问题处置与日常工作（工作队伍）"},
    "fig.staff.tradeoff_x": {"en": "issue work per member (h: handling, travel, mediation)",
                             "zh": "每人问题处置时间（小时：处置、路途、调解）"},
    "fig.staff.tradeoff_y": {"en": "scheduled routine duty done (%)", "zh": "完成的计划日常工作（%）"},
    "fig.staff.fit": {"en": "fit: each 100 h of issue work costs {per100} percentage points of routine",
                      "zh": "拟合：每100小时问题处置减少日常工作{per100}个百分点"},
    "fig.trust.title": {"en": "Households' trust in the grid at the end (mean {start} at the start, {end} at the end)",
                        "zh": "期末居民户对网格的信任（期初均值{start}，期末{end}）"},
    "fig.trust.colour": {"en": "trust, 0–1 (mean of the households in each hexagon)",
                         "zh": "信任度，0–1（每个六边形内居民户的平均）"},
    "fig.monthly.title": {"en": "Households' reports and their satisfaction, by month",
                          "zh": "居民上报量与满意率（按月）"},
    "fig.monthly.x": {"en": "month (YY-MM)", "zh": "月份（年-月）"},
    "fig.monthly.reports": {"en": "reports by households", "zh": "居民上报"},
    "fig.monthly.y_reports": {"en": "reports per 1,000 residents per 30 days (count)", "zh": "每千名居民每30天上报数（个）"},
    "fig.monthly.satisfaction": {"en": "satisfaction rate of closures rated that month",
                                 "zh": "当月评价的满意率"},
    "fig.monthly.y_satisfaction": {"en": "satisfied or basically satisfied (%)", "zh": "满意与基本满意（%）"},
    "run.residents": {"en": "Residents: reporting, satisfaction and trust", "zh": "居民：上报、满意度与信任"},
    "run.residents_cols": {"en": ["item", "value"], "zh": ["项目", "数值"]},
    "run.res.satisfaction": {"en": "satisfaction rate (satisfied + basically satisfied, of rated closures)",
                             "zh": "满意率（满意 + 基本满意 / 已评价办结）"},
    "run.res.satisfied": {"en": "rated satisfied", "zh": "满意"},
    "run.res.basically": {"en": "rated basically satisfied", "zh": "基本满意"},
    "run.res.dissatisfied": {"en": "rated not satisfied", "zh": "不满意"},
    "run.res.trust_start": {"en": "mean trust at the start", "zh": "期初平均信任度"},
    "run.res.trust_end": {"en": "mean trust at the end", "zh": "期末平均信任度"},
    "run.res.reports": {"en": "reports by households (per 1,000 residents per 30 days, mean of the months)",
                        "zh": "居民上报（每千名居民每30天，各月平均）"},
    "run.res.reference": {"en": "Reference: Chengqiao's 12345 satisfaction was 88.54 % in 2025 [S24].",
                          "zh": "参考：城桥镇2025年12345满意率为88.54%［S24］。"},
    "run.surge": {"en": "Surge: {event}", "zh": "突发事件：{event}"},
    "run.surge_cols": {"en": ["item", "value"], "zh": ["项目", "数值"]},
    "run.surge.issues": {"en": "extra issues", "zh": "新增问题"},
    "run.surge.pre": {"en": "backlog before it (mean of the 7 days before)", "zh": "事件前积压（前7天平均）"},
    "run.surge.peak": {"en": "peak backlog", "zh": "积压峰值"},
    "run.surge.recover": {"en": "days until the backlog is within 10 % of its level before", "zh": "积压回到事件前水平10%以内所需天数"},
    "run.surge.on_time": {"en": "on-time rate of issues reported during the event", "zh": "事件期间上报问题的按期结案率"},
    "run.surge.never": {"en": "not by the end of the run", "zh": "运行结束前未恢复"},
    "run.assumptions": {"en": "Assumptions this run rests on", "zh": "本次运行所依据的假设"},
    "run.assumptions_note": {"en": "Parameters no source fixes ([A], registry conf/assumptions.yaml): the value in this run, "
                                   "its plausible range, and why. Values that differ from the registry's default are "
                                   "marked *. A conclusion should hold across these ranges.",
                             "zh": "没有来源确定的参数（[A]，登记于 conf/assumptions.yaml）：本次取值、合理范围及理由。"
                                   "与登记默认值不同的取值标 *。结论应在这些范围内成立。"},
    "run.assumptions_cols": {"en": ["parameter", "value in this run", "range", "why"],
                             "zh": ["参数", "本次取值", "范围", "理由"]},
    "fig.backlog.title": {"en": "Backlog over time", "zh": "积压量随时间变化"},
    "fig.backlog.x": {"en": "simulated day (days since start)", "zh": "模拟天数（自开始起，天）"},
    "fig.backlog.y": {"en": "open issues in handling (count)", "zh": "处置中的未结问题（个）"},
    "fig.backlog.warmup": {"en": "warm-up (excluded from KPIs)", "zh": "预热期（不计入指标）"},
    "fig.district.title": {"en": "{district}: {towns}, {villages}, {grids}; issue density over the run",
                           "zh": "{district}：{towns}、{villages}、{grids}；运行期内问题密度"},
    "fig.district.name": {"en": "The district", "zh": "全区"},
    "fig.district.density": {"en": "issues per hexagon of about {size} km (log scale)",
                             "zh": "每个约 {size} 千米宽的六边形内问题数（对数刻度）"},
    "fig.district.town_border": {"en": "town border", "zh": "镇界"},
    "fig.district.village_border": {"en": "village border", "zh": "村界"},
    "fig.district.grid_border": {"en": "micro-grid border", "zh": "微网格界"},
    "fig.district.service_point": {"en": "service point (one per grid)", "zh": "党群服务点（每格一个）"},
    "fig.village.title": {"en": "{place}: {grids}, {households}, {issues}",
                          "zh": "{place}：{grids}，{households}，{issues}"},
    "place.village_in_town": {"en": "{village}, {town}", "zh": "{town}{village}"},
    "fig.village.grid_label": {"en": "grid {k}", "zh": "{k}号网格"},
    "fig.village.household": {"en": "household", "zh": "住户"},
    "fig.village.service_point": {"en": "service point", "zh": "党群服务点"},
    "fig.village.grid_border": {"en": "micro-grid border", "zh": "微网格界"},
    "fig.village.village_border": {"en": "village border", "zh": "村界"},
    "fig.village.closed_at": {"en": "issue closed at {level} level", "zh": "在{level}级办结的问题"},
    # ---------------------------------------------------------------- sweep report
    "sweep.title": {"en": "Sweep report: {name}", "zh": "参数扫描报告：{name}"},
    "sweep.intro": {"en": "{ok} of {total} completed; {failed} failed. Each policy is compared with the baseline "
                          "pairwise per replicate seed (common random numbers): Δ = policy − baseline.",
                    "zh": "共 {total}，完成 {ok}，失败 {failed}。各方案按同一随机种子与基准方案逐对比较"
                          "（公共随机数）：Δ = 方案 − 基准。"},
    "sweep.warning": {"en": "Warning: {w}", "zh": "警告：{w}"},
    "sweep.findings": {"en": "Findings", "zh": "主要发现"},
    "sweep.finding": {"en": "{kpi}: best {policy} ({value}; Δ {diff} vs baseline, 95 % CI {ci}).",
                      "zh": "{kpi}：最优方案为 {policy}（{value}；较基准 Δ {diff}，95% 置信区间 {ci}）。"},
    "sweep.finding_base": {"en": "{kpi}: no policy beats the baseline {policy} ({value}) beyond its 95 % CI.",
                           "zh": "{kpi}：没有方案在 95% 置信区间之外优于基准方案 {policy}（{value}）。"},
    "sweep.factors": {"en": "Factors and levels", "zh": "因素与水平"},
    "sweep.factor_cols": {"en": ["factor", "levels"], "zh": ["因素", "水平"]},
    "sweep.policies": {"en": "Policies", "zh": "方案"},
    "sweep.policy_cols": {"en": ["no.", "policy", "replicates"], "zh": ["编号", "方案", "重复次数"]},
    "sweep.baseline": {"en": "baseline", "zh": "基准"},
    "sweep.baseline_is": {"en": "Baseline: {policy}.", "zh": "基准方案：{policy}。"},
    "sweep.blocking": {"en": "The baseline does not fix {factors}: each policy is compared with the baseline at the "
                             "same {factors} (one baseline per level, marked ◆).",
                       "zh": "基准方案未指定{factors}：每个方案与{factors}相同的基准方案比较（每个水平一个基准，标记为◆）。"},
    "sweep.kpi_cols": {"en": ["no.", "policy", "reps", "mean", "Δ vs baseline ({unit})", "95 % CI of Δ ({unit})",
                              "relative Δ", "p (BH)", "CI half-width / mean", "reps for ±{target}"],
                       "zh": ["编号", "方案", "重复", "均值", "较基准 Δ（{unit}）", "Δ 的 95% 置信区间（{unit}）", "相对变化",
                              "p 值（BH 校正）", "置信区间半宽/均值", "达到 ±{target} 所需重复"]},
    "sweep.failed": {"en": "Failed runs", "zh": "失败的运行"},
    "sweep.failed_cols": {"en": ["run", "status", "error"], "zh": ["运行", "状态", "错误"]},
    "sweep.config": {"en": "Configuration", "zh": "配置"},
    "sweep.forest.title": {"en": "Difference from the baseline, mean over paired replicates with 95 % CI",
                           "zh": "与基准方案之差：配对重复的均值及 95% 置信区间"},
    "sweep.forest.x": {"en": "Δ vs baseline ({unit})", "zh": "较基准 Δ（{unit}）"},
    "sweep.forest.y": {"en": "policy", "zh": "方案"},
    "sweep.forest.levels": {"en": "policies: P1 (baseline), P2, ... with their levels of {factors}",
                            "zh": "方案：P1（基准）、P2……及其 {factors} 的水平"},
    "sweep.forest.significant": {"en": "95 % CI excludes 0", "zh": "95% 置信区间不含 0"},
    "sweep.forest.not_significant": {"en": "95 % CI includes 0", "zh": "95% 置信区间含 0"},
    "sweep.forest.baseline": {"en": "baseline (Δ = 0 by definition)", "zh": "基准方案（Δ 恒为 0）"},
    "sweep.heat.title": {"en": "Mean {kpi} over replicates", "zh": "{kpi}（各重复的均值）"},
    "sweep.trade.title": {"en": "Workload versus {kpi}", "zh": "工作量与{kpi}的权衡"},
    "sweep.trade.x": {"en": "busy hours of the handling units over the run (thousand h)",
                      "zh": "运行期内各级处置单位工作时长（千小时）"},
    "sweep.trade.front": {"en": "trade-off front (lower is better on both)", "zh": "权衡前沿（两项均越低越好）"},
    "sweep.trade.key": {"en": "Policies", "zh": "方案"},
    "sweep.trade.key_title": {"en": "Policies ({factors})", "zh": "方案（{factors}）"},
    "sweep.baseline_mark": {"en": " (baseline)", "zh": "（基准）"},
    # ---------------------------------------------------------------- sensitivity report
    "sens.title": {"en": "Sensitivity analysis ({method}) of {kpi}", "zh": "{kpi}的敏感性分析（{method}）"},
    "sens.intro": {"en": "{runs} at seed {seed} (common random numbers across points).",
                   "zh": "共{runs}，随机种子 {seed}（各采样点使用公共随机数）。"},
    "sens.fig_title": {"en": "{method} sensitivity of {kpi} ({runs})", "zh": "{kpi}的{method}敏感性（{runs}）"},
    "sens.x": {"en": "{index} of {kpi} ({unit})", "zh": "{kpi}的 {index}（{unit}）"},
    "sens.x_sobol": {"en": "Sobol index of {kpi} (share of variance)", "zh": "{kpi}的 Sobol 指数（方差占比）"},
    "sens.total": {"en": "ST (total effect)", "zh": "ST（总效应）"},
    "sens.first": {"en": "S1 (first order)", "zh": "S1（一阶效应）"},
    "sens.mu_star": {"en": "μ* (mean absolute elementary effect)", "zh": "μ*（基本效应绝对值的均值）"},
    "sens.cols.morris": {"en": ["parameter", "μ*", "μ* 95 % CI half-width", "σ"],
                         "zh": ["参数", "μ*", "μ* 95% 置信区间半宽", "σ"]},
    "sens.cols.sobol": {"en": ["parameter", "S1", "S1 95 % CI half-width", "ST", "ST 95 % CI half-width"],
                        "zh": ["参数", "S1", "S1 95% 置信区间半宽", "ST", "ST 95% 置信区间半宽"]},
    "sens.method.morris": {"en": "Morris", "zh": "Morris"},
    "sens.method.sobol": {"en": "Sobol", "zh": "Sobol"},
    "sens.ci": {"en": "95 % confidence interval", "zh": "95% 置信区间"},
}

# Domain terms: group -> name -> {en, zh}. Unknown names fall back to the identifier.
TERMS: dict[str, dict[str, dict[str, str]]] = {
    "type": {
        "sanitation": {"en": "sanitation", "zh": "环境卫生"},
        "river": {"en": "river", "zh": "河道"},
        "garbage": {"en": "garbage", "zh": "垃圾"},
        "greenery": {"en": "greenery", "zh": "绿化养护"},
        "road_facility": {"en": "road and facilities", "zh": "道路设施"},
        "safety_hazard": {"en": "safety hazard", "zh": "安全隐患"},
        "illegal_building": {"en": "illegal building", "zh": "违法建筑"},
        "dispute": {"en": "neighbour dispute", "zh": "邻里纠纷"},
        "welfare": {"en": "elderly and daily-life needs", "zh": "为老及生活服务"},
        "policy_question": {"en": "policy question", "zh": "政策咨询"},
        "other": {"en": "other", "zh": "其他"},
        "validation": {"en": "validation", "zh": "验证"},
    },
    "channel": {
        "work_patrol": {"en": "work-team patrol", "zh": "工作团队巡查"},
        "work_routine": {"en": "work-team routine", "zh": "工作团队日常作业"},
        "patrol": {"en": "patrol", "zh": "巡查"},
        "manager_patrol": {"en": "management-team patrol", "zh": "管理团队巡查"},
        "household_head": {"en": "household head", "zh": "户长"},
        "volunteer": {"en": "volunteer", "zh": "志愿者"},
        "party_member": {"en": "party member", "zh": "党员"},
        "tell_head": {"en": "told to the household head", "zh": "告知户长"},
        "tell_party_member": {"en": "told to a party member", "zh": "告知党员"},
        "resident_app": {"en": "resident app", "zh": "居民App"},
        "service_point": {"en": "service point", "zh": "党群服务点"},
        "hotline_12345": {"en": "12345 hotline", "zh": "12345热线"},
        "video": {"en": "video surveillance", "zh": "视频监控"},
        "grid_leader": {"en": "grid leader's round", "zh": "网格长巡查"},
        "instant": {"en": "instant (validation)", "zh": "即时（验证）"},
        "none": {"en": "none", "zh": "无"},
    },
    "level": {
        "grid": {"en": "grid", "zh": "网格"},
        "village": {"en": "village", "zh": "村"},
        "town": {"en": "town", "zh": "镇"},
        "district": {"en": "district", "zh": "区"},
    },
    "team": {
        "work": {"en": "work team", "zh": "工作团队"},
        "management": {"en": "management team", "zh": "管理团队"},
        "volunteer": {"en": "volunteer team", "zh": "志愿团队"},
        "household_heads": {"en": "household heads", "zh": "户长"},
        "cadre": {"en": "village cadres", "zh": "村干部"},
        "department": {"en": "department case handlers", "zh": "部门承办人员"},
        "crew": {"en": "crews", "zh": "处置班组"},
    },
    # KPIs (summary.json / experiment.kpis keys, dotted) and stage intervals: from the registry
    "kpi": labels(),
    "stage": stage_labels(),
}
# fmt: on


def plural_form(lang: str, n: float) -> str:
    """CLDR plural category of ``n``: English ``one`` for exactly 1, else ``other``;
    Chinese has only ``other``."""
    if lang == "en" and n == 1:
        return "one"
    return "other"


def humanize(name: str) -> str:
    """An identifier as words: ``road_facility`` → ``road facility``."""
    return str(name).replace("_", " ")


class Tr:
    """Translator for one language (``en`` or ``zh``)."""

    def __init__(self, lang: str = "en"):
        self.lang = check_lang(lang)

    def _entry(self, key: str):
        try:
            return CATALOGUE[key][self.lang]
        except KeyError:
            raise KeyError(f"no report text {key!r} in language {self.lang!r}") from None

    def __call__(self, key: str, **kw) -> str:
        """The text ``key`` with placeholders filled in."""
        e = self._entry(key)
        if isinstance(e, dict):
            raise TypeError(f"{key!r} is countable: use Tr.n")
        return e.format(**kw) if kw else e

    def list(self, key: str, **kw) -> list[str]:
        """A list entry (table headers), placeholders filled in."""
        return [s.format(**kw) if kw else s for s in self._entry(key)]

    def n(self, key: str, n: int, **kw) -> str:
        """A countable phrase in the right plural form: ``n`` with thousands separators."""
        e = self._entry(key)
        form = e[plural_form(self.lang, n)] if isinstance(e, dict) else e
        num = f"{int(n):,}" if float(n).is_integer() else f"{float(n):g}"
        return form.format(n=num, **kw)

    def term(self, group: str, name) -> str:
        """Display name of a domain term (issue type, channel, level, team, KPI)."""
        t = TERMS.get(group, {}).get(str(name))
        if t:
            return t[self.lang]
        return humanize(name) if group != "kpi" else str(name)

    def with_unit(self, label: str, unit: str) -> str:
        return self("with_unit", label=label, unit=unit)

    def pct(self, number_text: str) -> str:
        """A formatted number as a percentage: ``88.1 %`` (en), ``88.1%`` (zh)."""
        return self("pct", v=number_text)

    def join(self, items) -> str:
        return self("list_sep").join(items)


def check_lang(lang) -> str:
    """``lang`` if it is a supported report language, else a ConfigError on ``report.lang``."""
    if lang not in LANGS:
        raise ConfigError("report.lang", f"must be one of {', '.join(LANGS)}; got {lang!r}")
    return lang
