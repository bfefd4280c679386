"""The figure worker (a second process drawing the report's maps): the same files as
drawing them all in one process, its failures raised in the main process, never a hang."""

from __future__ import annotations

import time

import pytest

from conftest import scenario_params
from sim import params_from_dict, run_model
from sim.output import write_run
from sim.reporting.worker import FigureWorker, FigureWorkerError


@pytest.fixture(scope="module")
def town_res():
    d = scenario_params("chongming_town", 15.0)
    return run_model(params_from_dict(d))


def test_worker_draws_the_same_files_as_one_process(town_res, tmp_path):
    alone, shared = tmp_path / "alone", tmp_path / "shared"
    write_run(town_res, alone, report=True)
    with FigureWorker("en") as w:
        write_run(town_res, shared, report=True, figure_worker=w)
    pngs = sorted(p.name for p in alone.glob("*.png"))
    assert {"map_district.png", "map_village.png", "map_trust.png", "resolution_time.png"} <= set(pngs)
    assert pngs == sorted(p.name for p in shared.glob("*.png"))
    for name in pngs:
        assert (alone / name).read_bytes() == (shared / name).read_bytes(), name
    assert (alone / "report.md").read_text().count("map_district.png") == 1
    assert (shared / "report.md").read_text().count("map_district.png") == 1


def test_a_failure_in_the_worker_is_raised_here(town_res, tmp_path):
    with FigureWorker("en") as w:
        w.submit(town_res, tmp_path, ["no_such_figure"], None)
        with pytest.raises(FigureWorkerError, match="KeyError"):
            w.result()


def test_a_dead_worker_is_an_error_not_a_hang(town_res, tmp_path):
    w = FigureWorker("en")
    w._proc.kill()
    t0 = time.perf_counter()
    with pytest.raises(FigureWorkerError, match="exited"):
        w.submit(town_res, tmp_path, ["district"], None)
        w.result()
    assert time.perf_counter() - t0 < 10
    w.close()
