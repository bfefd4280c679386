"""The explorer's figures, drawn on ``matplotlib.figure.Figure`` (never pyplot: Solara serves
sessions from threads): the map of the run now and the live KPI charts.

The map: village borders (dark) and micro-grid borders (light) from the world's polygons;
households as a hexagon raster shaded by their mean trust (red: low trust, the households
that stop reporting; green: high); a service point per grid (blue squares); team members
at their base on their patch, coloured by what they do now (patrolling, routine duty,
free, off duty), and those on an issue drawn at the issue with a line from their base
(dashed when they help outside their own grid); open issues coloured by stage.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.metrics.kpi import TEAM_ORDER

STAGES = (("unreported", "occurred, not yet reported", "#bdbdbd"),
          ("waiting", "reported, waiting", "#ff9f1c"),
          ("in_hand", "being handled", "#e63946"),
          ("verifying", "handled, feedback / verification", "#7b2cbf"),
          ("closed", "closed this step", "#80ed99"))
"""Issue stages on the map: key, legend label, colour."""
ACTIVITY = (("patrol", "patrolling its patch", "#1d4ed8"), ("routine", "routine duty", "#0f766e"),
            ("slack", "on duty, free", "#60a5fa"), ("off", "off duty", "#d4d4d4"))
"""What a team member is doing now (no issue): key, label, colour."""
ON_ISSUE = "#b91c1c"
TEAM_COLOURS = {"work": "#0f766e", "management": "#1d4ed8", "volunteer": "#d97706", "cadre": "#6b7280",
                "department": "#b91c1c", "crew": "#111827"}


class MapGeometry:
    """What does not change during a run, prepared once per model: border segments,
    service points, household positions, the map's extent."""

    def __init__(self, world):
        from sim.reporting.places import grid_shapes, rings, village_shapes

        vs = village_shapes(world)
        gs = grid_shapes(world, vs)
        self.village_lines = [r for v in vs for r in rings(v)]
        self.grid_lines = [r for g in gs.values() for r in rings(g)]
        self.service_xy = np.asarray(world.service_point_xy, dtype=float)
        self.household_xy = np.asarray(world.household_xy, dtype=float)
        x0 = min(v.bounds[0] for v in vs)
        y0 = min(v.bounds[1] for v in vs)
        x1 = max(v.bounds[2] for v in vs)
        y1 = max(v.bounds[3] for v in vs)
        pad = 0.02 * max(x1 - x0, y1 - y0)
        self.extent = (x0 - pad, x1 + pad, y0 - pad, y1 + pad)
        self.n_villages, self.n_grids = len(vs), int(world.n_grids)


def issue_stages(iss: dict, now_h: float, step_h: float) -> dict[str, np.ndarray]:
    """Issue indices by stage at ``now_h`` (the records of the window view: stages after now
    are NaN)."""
    occurred = np.isfinite(iss["t_occurred_h"])
    rep = np.isfinite(iss["t_reported_h"])
    started = np.isfinite(iss["t_started_h"])
    handled = np.isfinite(iss["t_handled_h"])
    closed = np.isfinite(iss["t_closed_h"])
    return {
        "unreported": np.flatnonzero(occurred & ~rep & ~closed),
        "waiting": np.flatnonzero(rep & ~started & ~closed),
        "in_hand": np.flatnonzero(started & ~handled & ~closed),
        "verifying": np.flatnonzero(handled & ~closed),
        "closed": np.flatnonzero(closed & (iss["t_closed_h"] > now_h - step_h)),
    }


def member_activity(sim, now_h: float) -> dict:
    """Grid team members (with a base on the map) by what they do at ``now_h``:
    ``{"base": (n, 2), "team": (n,), "activity": (n,) of ACTIVITY keys or "issue",
    "at": (n, 2) where the issue is, "helping": (n,) bool (an issue outside its grid)}``."""
    members = [m for m in sim.people.members if m.base_xy is not None and m.team in ("work", "management",
                                                                                     "volunteer")]
    n = len(members)
    base = np.array([m.base_xy for m in members], dtype=float).reshape(n, 2)
    act = np.full(n, "off", dtype=object)
    groups: dict = {}
    for k, m in enumerate(members):
        groups.setdefault((id(m.schedule), m.variant), []).append(k)
    for idx in groups.values():
        m0 = members[idx[0]]
        sch, v = m0.schedule, m0.variant
        state = "off"
        shift = sch.shift[v] if sch.shift else None
        if shift is not None and shift.next_open(now_h) <= now_h:
            state = "slack"
            for blk in ("patrol", "routine"):
                cal = sch.block.get(blk, [None])[v] if blk in sch.block else None
                if cal is not None and not cal.always_on and cal.next_open(now_h) <= now_h:
                    state = blk
        act[idx] = state
    at = base.copy()
    helping = np.zeros(n, dtype=bool)
    h = sim.handling
    xy = sim.world.household_xy
    n_iss = sim.occ.n
    pos = {m.sid: k for k, m in enumerate(members)}
    log = h.log
    # attempts in progress now: the most recent rows suffice (attempts end within days)
    for r in range(len(log.member) - 1, max(-1, len(log.member) - 20000), -1):
        k = pos.get(log.member[r])
        if k is None or log.cancelled[r] or act[k] == "issue":
            continue
        if log.start_h[r] <= now_h < log.end_h[r]:
            i = log.job[r] % n_iss
            act[k] = "issue"
            at[k] = xy[sim.occ.household[i]]
            helping[k] = members[k].grid != int(sim.occ.grid[i])
    return {"base": base, "team": np.array([m.team for m in members]), "activity": act, "at": at,
            "helping": helping}


def draw_map(sim, geo: MapGeometry, iss: dict | None, title: str, figsize=(7.2, 8.4)) -> Figure:
    """The map of ``sim`` (a :class:`sim.model.GovernanceModel`) now."""
    # fixed axes, not a constrained layout: laying out costs more than drawing (measured
    # 0.35 -> 0.1 s per map, benchmarks/step_time.py)
    fig = Figure(figsize=figsize)
    ax = fig.add_axes((0.07, 0.30, 0.9, 0.66))
    x0, x1, y0, y1 = geo.extent
    now_h = sim.now_h
    hh = sim.households
    if hh is not None and len(geo.household_xy):
        span = max(x1 - x0, y1 - y0)
        hb = ax.hexbin(geo.household_xy[:, 0], geo.household_xy[:, 1], C=np.asarray(hh.trust, dtype=float),
                       reduce_C_function=np.mean, gridsize=max(20, int(span / 0.35)), cmap="RdYlGn", vmin=0.3,
                       vmax=0.9, linewidths=0, alpha=0.55, zorder=1, extent=geo.extent)
        cb = fig.colorbar(hb, cax=fig.add_axes((0.25, 0.232, 0.5, 0.012)), orientation="horizontal")
        cb.set_label("households' trust, mean per cell (red: likely to stop reporting)", fontsize=8)
        cb.ax.tick_params(labelsize=7)
    big = geo.n_grids > 200  # the district: thinner lines, smaller marks, off-duty members not drawn
    ax.add_collection(LineCollection(geo.grid_lines, colors="#9ca3af", linewidths=0.2 if big else 0.4, zorder=2))
    ax.add_collection(LineCollection(geo.village_lines, colors="#374151", linewidths=0.5 if big else 0.9, zorder=3))
    ax.scatter(*geo.service_xy.T, marker="s", s=3 if big else 14, c="#1e3a8a", linewidths=0, zorder=4)
    handles = [Line2D([], [], color="#374151", lw=1.0, label="village border"),
               Line2D([], [], color="#9ca3af", lw=0.6, label="micro-grid border"),
               Line2D([], [], marker="s", ls="", color="#1e3a8a", markersize=4, label="service point")]
    if sim.has_members:
        ma = member_activity(sim, now_h)
        act = ma["activity"]
        for key, label, colour in ACTIVITY:
            sel = act == key
            if sel.any() and not (big and key == "off"):
                ax.scatter(*ma["base"][sel].T, s=(1 if big else 5) if key == "off" else (2 if big else 8), c=colour,
                           linewidths=0, zorder=5)
            note = ", not drawn" if big and key == "off" else ""
            handles.append(Line2D([], [], marker="o", ls="", color=colour, markersize=4,
                                  label=f"member {label} ({int(sel.sum())}{note})"))
        on = act == "issue"
        if on.any():
            segs = np.stack([ma["base"][on], ma["at"][on]], axis=1)
            styles = np.where(ma["helping"][on], "--", "-")
            ax.add_collection(LineCollection(list(segs), colors=ON_ISSUE, linewidths=0.8, linestyles=list(styles),
                                             alpha=0.8, zorder=6))
            ax.scatter(*ma["at"][on].T, s=22, marker="^", c=ON_ISSUE, edgecolors="white", linewidths=0.4, zorder=8)
        handles.append(Line2D([], [], marker="^", ls="-", color=ON_ISSUE, markersize=5,
                              label=f"member on an issue ({int(on.sum())}; dashed: helping another grid, "
                                    f"{int((ma['helping'] & on).sum())})"))
    if iss is not None:
        xy = sim.world.household_xy
        st = issue_stages(iss, now_h, sim.step_h)
        for key, label, colour in STAGES:
            ids = st[key]
            if len(ids):
                ax.scatter(*xy[iss["household"][ids]].T, s=16 if key != "unreported" else 9, c=colour,
                           edgecolors="black" if key != "unreported" else "none", linewidths=0.3, zorder=7)
            handles.append(Line2D([], [], marker="o", ls="", color=colour, markeredgecolor="black",
                                  markeredgewidth=0.3, markersize=5, label=f"issue {label} ({len(ids)})"))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_ylabel("km", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.set_title(title, fontsize=10)
    fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.0), ncol=2, frameon=False, fontsize=8,
               columnspacing=1.2, handletextpad=0.4)
    return fig


CHARTS = (("Backlog", "Backlog: issues reported, not closed", None),
          ("Time to fix (h)", "Time to fix, mean so far (h)", "Resolution time (h)"),
          ("On-time rate", "On-time rate so far (%)", None),
          ("Satisfaction rate", "Satisfaction so far (%)", None))


def draw_charts(df, queues: list[tuple[str, int, int]] | None = None, figsize=(7.2, 7.6)) -> Figure:
    """Live KPI charts from the DataCollector's table ``df`` (one row per step, ``Day``
    column): backlog, time to fix (and report → closed), on-time and satisfaction rates,
    staff utilisation by team, and the staff cost so far (on-duty staff-hours by team, with
    staff-hours and yuan per issue fixed: the year's cost over the fixes so far, annualised);
    with ``queues`` ((unit, waiting, people), longest first) a bar chart of the longest
    queues now."""
    fig = Figure(figsize=figsize)  # fixed grids, not a constrained layout (0.8 -> 0.2 s per draw)
    rows = 3
    bottom = 0.29 if queues is not None else 0.06
    gs = fig.add_gridspec(rows, 2, left=0.07, right=0.98, top=0.955, bottom=bottom, hspace=0.62, wspace=0.2)
    day = df["Day"].to_numpy() if len(df) else np.array([])
    axes = []
    for k, (col, title, extra) in enumerate(CHARTS):
        ax = fig.add_subplot(gs[k // 2, k % 2])
        y = df[col].to_numpy(dtype=float) if len(df) else np.array([])
        pct = "rate" in col
        ax.plot(day, 100.0 * y if pct else y, color="#1d4ed8", lw=1.6, marker="o" if len(day) < 3 else None,
                markersize=3, label="occurred → fixed" if extra else None)
        if extra:
            ax.plot(day, df[extra].to_numpy(dtype=float), color="#9ca3af", lw=1.2, label="report → closed")
            ax.legend(fontsize=7, frameon=False, loc="upper left")
        if pct:
            ax.set_ylim(0, 105)
        else:
            ax.set_ylim(bottom=0)
        ax.set_title(title, fontsize=9)
        axes.append(ax)
    ax = fig.add_subplot(gs[2, 0])
    for t in TEAM_ORDER:
        col = f"Utilisation {t}"
        if len(df) and col in df and np.isfinite(df[col].to_numpy(dtype=float)).any():
            ax.plot(day, 100.0 * df[col].to_numpy(dtype=float), color=TEAM_COLOURS[t], lw=1.4, label=t)
    ax.set_ylim(0, 105)
    ax.set_title("Staff utilisation by team (%)", fontsize=9)
    if ax.lines:
        ax.legend(fontsize=6.5, frameon=False, ncol=2, loc="lower right")
    axes.append(ax)
    ax = fig.add_subplot(gs[2, 1])
    stack, labels, colours = [], [], []
    for t in TEAM_ORDER:
        col = f"Staff-hours {t}"
        if len(df) and col in df and df[col].to_numpy(dtype=float).max() > 0:
            stack.append(df[col].to_numpy(dtype=float) / 1000.0)
            labels.append(t)
            colours.append(TEAM_COLOURS[t])
    if stack:
        ax.stackplot(day, *stack, labels=labels, colors=colours, alpha=0.85)
        ax.legend(fontsize=6.5, frameon=False, loc="upper left", ncol=2)
    per_fix = df["Staff-hours per fix"].to_numpy(dtype=float) if len(df) else np.array([])
    last = per_fix[np.isfinite(per_fix)]
    yuan = df["Cost per fix (yuan)"].to_numpy(dtype=float) if len(df) else np.array([])
    yuan = yuan[np.isfinite(yuan)]
    ax.set_title("Cost so far: on-duty staff-hours (thousands)" +
                 (f"\n{last[-1]:,.0f} h" if last.size else "") +
                 (f" and {yuan[-1]:,.0f} yuan per issue fixed" if yuan.size else
                  (" per issue fixed" if last.size else "")), fontsize=9)
    axes.append(ax)
    for ax in axes:
        ax.tick_params(labelsize=7)
        ax.set_xlabel("day", fontsize=7)
        ax.grid(alpha=0.3, lw=0.5)
        if len(day) and day.max() > 0:
            ax.set_xlim(0, max(day.max(), 1.0))
    if queues is not None:
        ax = fig.add_subplot(fig.add_gridspec(1, 1, left=0.36, right=0.98, top=0.205, bottom=0.06)[0, 0])
        if queues:
            names = [f"{u} ({p} staff)" for u, _, p in queues][::-1]
            ax.barh(names, [w for _, w, _ in queues][::-1], color="#ff9f1c")
            ax.tick_params(labelsize=7)
        else:
            ax.text(0.5, 0.5, "no unit has issues waiting", ha="center", va="center", fontsize=8,
                    transform=ax.transAxes)
            ax.set_yticks([])
        ax.set_title("Longest queues now: issues waiting at a unit", fontsize=9)
        ax.set_xlabel("issues waiting", fontsize=7)
        ax.tick_params(labelsize=7)
    return fig


def longest_queues(sim, k: int = 6) -> list[tuple[str, int, int]]:
    """The ``k`` units with most issues waiting now: (name, waiting, people), longest first;
    a grid member's own queue counts for its grid."""
    out = []
    for u in sim.people.units:
        waiting = int(u.qlen)
        if u.kind == "members":
            waiting += sum(len(s.queue) and s.own_queue_length(sim.handling.book.valid) for s in u.servers)
        if waiting > 0:
            out.append((u.name, waiting, len(u.servers)))
    return sorted(out, key=lambda x: -x[1])[:k]
