"""Building the people who find and handle issues, and the units they work in.

- Grid teams (一格多员): district totals of management, work and volunteer members (times
  ``teams.scale_<team>``) are allocated to grids in proportion to households (largest
  remainder). Volunteers are mostly party members (``residents.volunteer_party_share``, as
  many as the grid has), and the volunteer mediators are drawn from them. Each team splits its grid's route into patches, one per member (分片包干);
  a member's base is the middle household of its patch. The grid leader's patch is the whole
  grid (its round): with ``staff.grid_leader_from: manager`` the first management member of
  the grid (its base the service point); with ``cadre`` a village cadre (below).
- Village cadres: ``staff.cadres_per_village`` per village, based at the village centre.
  With cadre grid leaders the village's cadres lead its grids in turn (cadre k the grids
  k, k + cadres, ...), on the ``cadre_leader`` week, serving their grids and the village.
- Town departments and district bureaus (``departments.*``): staff per 10,000 residents,
  of whom ``case_share`` handle grid cases, based at the town (district) centre.
- Abstract crews (``levels.<level>.crews``) where a level has no people.
- Household heads (户长制): one per ``teams.households_per_head`` households of a grid, each
  with a contiguous block of neighbouring households.

Units: one per grid and per village (members worlds: the grid's members; the village's
cadres and its grids' work crews), one per town department / district bureau, or one per
grid, village, town and the district holding abstract crews.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mesa
import numpy as np

from sim.agents.heads import build_heads
from sim.agents.schedule import Schedule, build_schedule, with_overhead
from sim.agents.staff import ALL_TRADES, GRID_TEAMS, StaffMember, trade_mask
from sim.agents.units import HandlingUnit
from sim.apportion import apportion
from sim.lifecycle.calendar import CalendarBook
from sim.lifecycle.emergency import aid_calendar, extended_calendar, lent_calendar
from sim.params import ECO_TRADES, LEVELS, TRADES, ModelParams, ScheduleParams, team_totals
from sim.vocab import RESPONSE_LEVELS
from sim.world.roads import Patches, split_patches
from sim.world.world import World, centroids

DRIVER_ROLES = {"work_team": ("work",), "management_team": ("grid_leader", "management"),
                "volunteer_team": ("volunteer", "volunteer_party", "mediator"),
                "grid_leader": ("grid_leader", "cadre_leader")}
"""Which roles walk the rounds of each staff channel driver (on their own patches)."""
MANAGEMENT_TRADES = ("service", "mediation", "general")
CADRE_TRADES = ("service", "mediation", "general")


def unit_schedule(role: str, cal) -> Schedule:
    """A schedule whose issue work follows a unit's calendar (departments, crews)."""
    return Schedule(role, ScheduleParams(), 1, [cal], {"patrol": [None], "routine": [None], "slack": [cal]},
                    [cal], {}, np.ones((1, 1), dtype=bool))


@dataclass
class TeamPatches:
    """One driver's patches: ``owner_sid[h]`` the staff id of the member whose patch holds
    household h (−1: none), ``u_km[h]`` its position along that patch, ``length_km[sid]``."""

    owner_sid: np.ndarray
    u_km: np.ndarray


@dataclass
class People:
    """Everyone who acts in handling, and the units (see module doc)."""

    members: list[StaffMember]
    units: list[HandlingUnit]
    grid_unit: np.ndarray  # unit index per grid
    village_unit: np.ndarray  # per village
    town_unit: np.ndarray  # (towns, trades): unit index per town and trade
    district_unit: np.ndarray  # (trades,)
    schedules: dict[str, Schedule]
    team_size: dict[str, np.ndarray]  # per grid
    leader_sid: np.ndarray  # per grid (−1: none)
    patches: dict[str, TeamPatches] = field(default_factory=dict)  # by channel driver
    patch_length_km: np.ndarray | None = None  # per staff member
    heads: list = field(default_factory=list)
    head_of: np.ndarray | None = None  # per household (−1: none)
    head_pos: np.ndarray | None = None  # position in its head's block
    head_block: np.ndarray | None = None  # size of its head's block
    departments: dict = field(default_factory=dict)  # (level, name) -> staff, handlers per geo

    def unit_for(self, level: int, geo: int, trade: int) -> int:
        if level == 0:
            return int(self.grid_unit[geo])
        if level == 1:
            return int(self.village_unit[geo])
        if level == 2:
            return int(self.town_unit[geo, trade])
        return int(self.district_unit[trade])

    def totals(self) -> dict:
        return {"management_team": int(self.team_size["management"].sum()),
                "work_team": int(self.team_size["work"].sum()),
                "volunteer_team": int(self.team_size["volunteer"].sum()),
                "household_heads": len(self.heads),
                "village_cadres": sum(1 for m in self.members if m.team == "cadre"),
                "department_case_handlers": sum(1 for m in self.members if m.team == "department")}


def _patch_mid_households(world: World, patches: Patches, n_members: np.ndarray) -> np.ndarray:
    """The middle household (in route order) of each patch, grid-major."""
    r = world.routes
    n_hh = np.diff(r.grid_first)
    g = np.repeat(np.arange(len(n_members)), n_members)
    local = np.arange(len(g)) - patches.grid_first_patch[g]
    k_mid = ((local + 0.5) * n_hh[g] / np.maximum(n_members[g], 1)).astype(np.int64)
    k_mid = np.minimum(k_mid, np.maximum(n_hh[g] - 1, 0))
    return r.order[np.minimum(r.grid_first[g] + k_mid, len(r.order) - 1)]


def build_people(model: mesa.Model, p: ModelParams, world: World, rng: np.random.Generator,
                 book: CalendarBook, level_cals: list, responses: list | None = None) -> People:
    """Create every staff member, household head and unit of the run (see module doc):
    schedules from the run's calendar ``book``, units on their level's calendar
    (``level_cals``, grid to district); during emergency ``responses``
    (:mod:`sim.lifecycle.emergency`) the hit towns' departments and the district's bureaus
    work extended days, with case handlers lent by the towns not hit."""
    sp = p.staff
    members: list[StaffMember] = []
    units: list[HandlingUnit] = []
    schedules: dict[str, Schedule] = {}
    n_g, n_v, n_t = world.n_grids, world.n_villages, world.n_towns
    hh = world.grid_households().astype(float)
    has_map = world.has_geometry
    xy = world.household_xy

    def new_unit(level: int, geo: int, name: str, kind: str) -> HandlingUnit:
        lp = p.levels.by_index(level)
        u = HandlingUnit(model, len(units), level, geo, name, lp.discipline, lp.dur_multiplier, lp.p_fail_attempt,
                         level_cals[level], kind)
        units.append(u)
        return u

    def new_member(team: str, role: str, grid: int, village: int, town: int, trades: int, base, sched: Schedule,
                   variant: int, mode: str) -> StaffMember:
        m = StaffMember(model, len(members), team, role, grid, village, town, trades, base, sched, variant, mode)
        members.append(m)
        return m

    def crews_units(level: int, n_geo: int, names: np.ndarray) -> np.ndarray:
        lp = p.levels.by_index(level)
        c = lp.crews if lp.crews is not None else 1
        sched = schedules.setdefault(f"crew_{LEVELS[level]}", unit_schedule(f"crew_{LEVELS[level]}", level_cals[level]))
        idx = np.empty(n_geo, dtype=np.int64)
        for geo in range(n_geo):
            u = new_unit(level, geo, str(names[geo]), "crews")
            idx[geo] = u.uid
            gv = geo if level == 1 else -1
            for _ in range(c):
                u.add_server(new_member("crew", "crew", geo if level == 0 else -1, gv, geo if level == 2 else -1,
                                        ALL_TRADES, None, sched, 0, "car"))
        return idx

    team_size = {t: np.zeros(n_g, dtype=np.int64) for t in GRID_TEAMS}
    leader_sid = np.full(n_g, -1, dtype=np.int64)
    patches: dict[str, TeamPatches] = {}
    grid_town = world.grid_town
    members_world = p.has_members and has_map
    if members_world:
        totals = team_totals(p)
        for t in GRID_TEAMS:
            team_size[t] = apportion(totals[t], hh)
        for role, sparams in (("work", sp.work), ("grid_leader", sp.grid_leader), ("management", sp.management),
                              ("volunteer", sp.volunteer), ("cadre", sp.cadre), ("cadre_leader", sp.cadre_leader),
                              ("mediator", sp.mediator)):
            schedules[role] = build_schedule(role, sparams, sp.gives_way, book)
        schedules["volunteer_party"] = schedules["volunteer"]  # party-member volunteers: the same week
        for ch in p.channels:  # which blocks are walked as rounds (their lost hours matter)
            if ch.enabled and ch.kind == "rounds" and ch.driver in DRIVER_ROLES:
                for role in DRIVER_ROLES[ch.driver]:
                    schedules[role].rounds_in[ch.activity] = True
        manager_leads = sp.grid_leader_from == "manager"
        with_duties: dict[tuple[str, float], Schedule] = {}

        def duties(role: str, hours: float) -> Schedule:
            """``role``'s week less ``hours`` a week of a grid's fixed duties (one schedule each)."""
            key = (role, round(hours, 9))
            if key not in with_duties:
                with_duties[key] = with_overhead(schedules[role], hours)
            return with_duties[key]

        grid_units = np.empty(n_g, dtype=np.int64)
        gnames = world.names("grid")
        for g in range(n_g):
            grid_units[g] = new_unit(0, g, str(gnames[g]), "members").uid
        eco_bits = [1 << TRADES.index(t) for t in ECO_TRADES]
        mgmt_bits = trade_mask(MANAGEMENT_TRADES)
        service_bit, mediation_bit = 1 << TRADES.index("service"), 1 << TRADES.index("mediation")
        team_sids: dict[str, np.ndarray] = {}
        n_trades = len(ECO_TRADES)
        k_skills = min(p.teams.skills_per_member, n_trades)
        grid_village = world.grid_village.tolist()
        party_in_grid = np.bincount(world.household_grid[world.resident_household], weights=world.resident_party,
                                    minlength=n_g).astype(np.int64)
        n_party_vol = np.minimum(np.round(p.residents.volunteer_party_share * team_size["volunteer"]).astype(np.int64),
                                 party_in_grid)
        for t in GRID_TEAMS:
            sizes = team_size[t]
            pt = split_patches(world.routes, world.household_grid, sizes)
            mids = _patch_mid_households(world, pt, sizes)
            sids = np.empty(int(sizes.sum()), dtype=np.int64)
            grid_of = np.repeat(np.arange(n_g), sizes)
            local = np.arange(len(grid_of)) - pt.grid_first_patch[grid_of]
            # Python scalars up front: numpy element access per member cost ~40 ms a build
            mid_xy = xy[mids].tolist()
            for i, (g, j) in enumerate(zip(grid_of.tolist(), local.tolist())):
                v = grid_village[g]
                base = tuple(mid_xy[i])
                if t == "work":
                    primary = (g + j) % n_trades  # crews by trade, in turn within the grid
                    others = rng.permutation([x for x in range(n_trades) if x != primary])[: k_skills - 1]
                    bits = eco_bits[primary]
                    for o in others:
                        bits |= eco_bits[int(o)]
                    role, sched = "work", schedules["work"]
                elif t == "management":
                    bits = mgmt_bits
                    role = "grid_leader" if (j == 0 and manager_leads) else "management"
                    sched = duties(role, sp.leader_overhead_h_per_week if role == "grid_leader" else
                                   sp.management_overhead_h_per_week)
                    if role == "grid_leader":
                        base = (float(world.service_point_xy[g, 0]), float(world.service_point_xy[g, 1]))
                else:
                    # mostly party members (as many as live in the grid); mediators come from them
                    party = j < n_party_vol[g]
                    share = p.residents.volunteer_party_share
                    p_med = min(1.0, sp.mediator_share_of_volunteers / share) if share > 0 else 0.0
                    bits = service_bit | (mediation_bit if (party and rng.random() < p_med) else 0)
                    role = "mediator" if bits & mediation_bit else ("volunteer_party" if party else "volunteer")
                    sched = schedules["mediator" if role == "mediator" else "volunteer"]
                m = new_member(t, role, g, v, int(grid_town[g]), bits, base, sched, sched.variant_of(j),
                               "ebike")
                sids[i] = m.sid
                units[grid_units[g]].add_server(m)
                if role == "grid_leader":
                    leader_sid[g] = m.sid
            team_sids[t] = sids
            for g in np.flatnonzero(sizes > 1):  # A/B posts: each member's B post is the next of its team in the grid
                first = int(pt.grid_first_patch[g])
                k = int(sizes[g])
                for j in range(k):
                    members[int(sids[first + j])].b_post = int(sids[first + (j + 1) % k])
            hg = world.household_grid
            owner = np.full(len(hg), -1, dtype=np.int64)
            has = pt.owner >= 0
            owner[has] = sids[pt.grid_first_patch[hg[has]] + pt.owner[has]]
            patches[f"{t}_team"] = TeamPatches(owner, pt.u_km)
            team_sids[t + "_len"] = pt.patch_length_km
        # village units: cadres and every member of the village's grids; cadres lead grids
        village_units = np.empty(n_v, dtype=np.int64)
        vnames = world.names("village")
        v_centre = centroids(xy, world.household_village, n_v)
        grids_of = [[] for _ in range(n_v)]
        for g in range(n_g):
            grids_of[int(world.grid_village[g])].append(g)
        for v in range(n_v):
            u = new_unit(1, v, str(vnames[v]), "members")
            village_units[v] = u.uid
            n_c = sp.cadres_per_village
            for j in range(n_c):
                led = [] if manager_leads else grids_of[v][j::n_c]
                role = "cadre_leader" if led else "cadre"
                sched = duties(role, sp.leader_overhead_h_per_week * len(led)) if led else schedules[role]
                m = new_member("cadre", role, -1, v, int(world.village_town[v]), trade_mask(CADRE_TRADES),
                               (float(v_centre[v, 0]), float(v_centre[v, 1])), sched, sched.variant_of(j), "ebike")
                for g in led:  # the leader serves its grids first, then the village
                    units[grid_units[g]].add_server(m)
                    leader_sid[g] = m.sid
                u.add_server(m)
        # disputes of a household go first to a mediator of its grid, the grid split among them
        patches["mediators"] = _mediator_patches(world, members, team_sids["volunteer"], mediation_bit)
        # the grid leader's patch is the whole grid; a cadre leading several walks them in turn
        lead = leader_sid[world.household_grid]
        u_km = world.routes.route_km.copy()
        if not manager_leads:
            glen = world.routes.grid_length_km
            before = np.zeros(n_g)  # route km of the leader's earlier grids
            seen: dict[int, float] = {}
            for g in range(n_g):
                before[g] = seen.get(int(leader_sid[g]), 0.0)
                seen[int(leader_sid[g])] = before[g] + glen[g]
            u_km += before[world.household_grid]
        patches["grid_leader"] = TeamPatches(lead, u_km)
        for m in list(members):  # the village dispatches its work crews (eco trades) and its cadres
            if m.team == "work":
                units[village_units[m.village]].add_server(m)
        patch_len = np.zeros(len(members))
        for t in GRID_TEAMS:
            patch_len[team_sids[t]] = team_sids[t + "_len"]
        lead_ok = leader_sid >= 0
        patch_len[leader_sid[lead_ok]] = 0.0
        np.add.at(patch_len, leader_sid[lead_ok], world.routes.grid_length_km[lead_ok])
    else:
        grid_units = crews_units(0, n_g, world.names("grid"))
        village_units = crews_units(1, n_v, world.names("village"))
        patch_len = None

    # town and district: departments or crews
    town_res = np.bincount(world.village_town, weights=world.village_residents(), minlength=n_t)
    n_tr = len(TRADES)
    seats, district_seat = None, None
    if has_map:  # town departments sit at the town seat; the district's bureaus in Chengqiao
        extras = world.map_extras or {}
        seats = extras.get("town_seat_xy")
        if seats is None:
            seats = centroids(xy, world.village_town[world.household_village], n_t)
        names = list(world.names("town", "en"))
        district_seat = tuple(seats[names.index("Chengqiao")]) if "Chengqiao" in names else tuple(xy.mean(axis=0))
    departments: dict = {}

    responses = responses or []
    em = p.emergency

    def dept_calendar(level: int, geo: int):
        """A department's calendar: its level's, extended during the responses that cover it."""
        rs = [r for r in responses if level == 3 or geo in r.towns]
        cp = p.levels.by_index(level).calendar
        if not rs or cp.always_on:
            return level_cals[level], rs
        return extended_calendar(level_cals[level], cp.day_start_h, cp.day_end_h, list(em.extra_hours_by_level),
                                 rs), rs

    def department_units(level: int, geo_list, residents: np.ndarray, bases) -> np.ndarray:
        depts = getattr(p.departments, LEVELS[level])
        out = np.empty((len(geo_list), n_tr), dtype=np.int64)
        tnames = world.names("town")
        for gi, geo in enumerate(geo_list):
            cal, rs = dept_calendar(level, geo)
            key = f"department_{LEVELS[level]}" + (f"_emergency_{geo}" if rs else "")
            sched = schedules.setdefault(key, unit_schedule(key, cal))
            for d in depts:
                staff = max(1, int(round(p.departments.staff_scale *
                                         max(d.min_staff, d.staff_per_10k_residents * residents[gi] / 1e4))))
                handlers = max(1, int(round(staff * d.case_share)))
                where = tnames[geo] if level == 2 else "district"
                u = new_unit(level, geo, f"{where} {d.name}", "department")
                departments[(LEVELS[level], d.name, geo)] = {"staff": staff, "case_handlers": handlers}
                base = bases[gi] if bases is not None else None
                for _ in range(handlers):
                    u.add_server(new_member("department", d.name, -1, -1, geo if level == 2 else -1, trade_mask(d.trades),
                                            base, sched, 0, "car"))
                for tr in d.trades:
                    out[gi, TRADES.index(tr)] = u.uid
        return out

    if p.departments.town:
        town_unit = department_units(2, range(n_t), town_res,
                                     [tuple(s) for s in seats] if seats is not None else None)
    else:
        town_unit = np.repeat(crews_units(2, n_t, world.names("town"))[:, None], n_tr, axis=1)
    if p.departments.district:
        district_unit = department_units(3, [0], np.array([town_res.sum()]), [district_seat] if has_map else None)[0]
    else:
        district_unit = np.repeat(crews_units(3, 1, np.array(["district"])), n_tr)
    if p.departments.town and responses:
        _mutual_aid(p, responses, units, members, schedules, new_member, town_unit, level_cals, seats)

    if patch_len is not None:
        patch_len = np.concatenate((patch_len, np.ones(len(members) - len(patch_len))))
    people = People(members, units, grid_units, village_units, town_unit, district_unit, schedules,
                    team_size, leader_sid, patches, patch_len, departments=departments)
    if members_world and p.teams.household_heads:
        build_heads(model, p, world, people)
    return people


def _mediator_patches(world: World, members: list, volunteer_sids: np.ndarray, mediation_bit: int) -> TeamPatches:
    """Each grid's route split among its volunteer mediators (their A posts for disputes),
    whose B posts are the next mediator of the grid."""
    n_g = world.n_grids
    med = [int(s) for s in volunteer_sids if members[int(s)].trades & mediation_bit]
    by_grid: list[list[int]] = [[] for _ in range(n_g)]
    for s in med:
        by_grid[members[s].grid].append(s)
    n_med = np.array([len(x) for x in by_grid], dtype=np.int64)
    pt = split_patches(world.routes, world.household_grid, n_med)
    flat = np.array([s for x in by_grid for s in x], dtype=np.int64)
    hg = world.household_grid
    owner = np.full(len(hg), -1, dtype=np.int64)
    has = pt.owner >= 0
    owner[has] = flat[pt.grid_first_patch[hg[has]] + pt.owner[has]]
    for x in by_grid:
        if len(x) > 1:
            for j, s in enumerate(x):
                members[s].b_post = x[(j + 1) % len(x)]
    return TeamPatches(owner, pt.u_km)


def _mutual_aid(p: ModelParams, responses: list, units: list, members: list, schedules: dict, new_member,
                town_unit: np.ndarray, level_cals: list, seats) -> None:
    """Mutual aid (from ``emergency.mutual_aid_from_level`` up): every town not hit lends
    ``mutual_aid_share`` of each department's case handlers to the hit towns' same
    department, in turn. A lent handler is away from home for the responses and works the
    hit town's extended days there, setting off from its own town."""
    em = p.emergency
    rank = RESPONSE_LEVELS.index(em.mutual_aid_from_level)
    rs = [r for r in responses if r.rank() >= rank]
    hit = sorted({t for r in rs for t in r.towns})
    if not rs or not hit:
        return
    n_t = town_unit.shape[0]
    for d in p.departments.town:
        tr = TRADES.index(d.trades[0])
        dest = [units[int(town_unit[t, tr])] for t in hit]
        k = 0
        for home in range(n_t):
            if home in hit:
                continue
            hu = units[int(town_unit[home, tr])]
            lend = int(round(em.mutual_aid_share * len(hu.servers)))
            for s in hu.servers[:lend]:
                key = f"{s.schedule.role}_lent"
                away = schedules.setdefault(key, unit_schedule(key, lent_calendar(s.schedule.issue[0], rs)))
                s.lend(away)
                du = dest[k % len(dest)]
                k += 1
                dkey = f"{du.servers[0].schedule.role}_aid"
                aid = schedules.setdefault(dkey, unit_schedule(dkey, aid_calendar(du.servers[0].schedule.issue[0], rs)))
                base = (float(seats[home][0]), float(seats[home][1])) if seats is not None else None
                du.add_server(new_member("department", s.role, -1, -1, du.geo, s.trades, base, aid, 0, "car"))
            hu.note_calendars()
