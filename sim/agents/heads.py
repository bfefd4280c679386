"""Household heads (户长制): one per ``teams.households_per_head`` households of a grid,
each with a contiguous block of neighbouring households on the grid's route, visited in
turn on the head's daily round (:mod:`sim.lifecycle.discovery`)."""

from __future__ import annotations

import mesa
import numpy as np

from sim.params import ModelParams
from sim.world.roads import split_patches
from sim.world.world import World


class HouseholdHead(mesa.Agent):
    """A household head (户长) with a block of neighbouring households of one grid, visited
    in turn on the head's daily round."""

    def __init__(self, model: mesa.Model, hid: int, grid: int, households: int):
        super().__init__(model)
        self.hid = hid
        self.grid = grid
        self.households = households
        self.issues_found = 0

    def found(self) -> None:
        self.issues_found += 1


def build_heads(model: mesa.Model, p: ModelParams, world: World, people) -> None:
    """Household heads: ceil(households / households_per_head) per grid, each with a
    contiguous block of the grid's route; set on ``people`` (the run's
    :class:`~sim.agents.teams.People`): ``heads``, ``head_of``, ``head_pos``, ``head_block``."""
    hh = world.grid_households()
    n_heads = np.ceil(hh / p.teams.households_per_head).astype(np.int64)
    pt = split_patches(world.routes, world.household_grid, n_heads)
    hg = world.household_grid
    head = pt.grid_first_patch[hg] + pt.owner
    size = np.bincount(head, minlength=int(n_heads.sum()))
    # position of each household within its head's block, in route order
    order = world.routes.order
    first = np.concatenate(([0], np.cumsum(size)))
    pos = np.empty(len(hg), dtype=np.int64)
    ho = head[order]
    pos[order] = np.arange(len(order)) - first[ho]
    grid_of_head = np.repeat(np.arange(world.n_grids), n_heads)
    people.heads = [HouseholdHead(model, k, int(grid_of_head[k]), int(size[k])) for k in range(len(size))]
    people.head_of, people.head_pos, people.head_block = head, pos, size[head]
