"""``python run.py experiment=optimise``: the optimiser's run folder (see
:mod:`sim.experiments.optimise`), written through one staged commit."""

from __future__ import annotations

from pathlib import Path


def run_optimiser(job, runlog) -> None:
    """``python run.py experiment=optimise``: optimise, then write ``optimise.json``, the
    trials and front tables, the figure and the report into the run folder (one commit)."""
    import json
    import shutil

    from sim.config import model_data, report_config
    from sim.console import say
    from sim.experiments.jobs import OutputError, describe_os_error
    from sim.experiments.optimise import _clean, check_spec, optimise
    from sim.experiments.optimise_report import write_outputs
    from sim.store import RUN_FILES, commit, new_stage

    spec = check_spec(job.data["experiment"])
    result = optimise(model_data(job.data), spec)  # an empty front raises before anything is written
    try:
        stage = new_stage(job.out)
    except OSError as e:
        raise OutputError(describe_os_error(e, job.out)) from None
    try:
        try:
            (stage / "optimise.json").write_text(json.dumps(_clean(result), indent=1, ensure_ascii=False, default=str),
                                                 encoding="utf-8")
            write_outputs(result, stage, report_config(job.data, check_font=False).lang, job.command)
            for name, text in job.files.items():
                (stage / name).parent.mkdir(parents=True, exist_ok=True)
                (stage / name).write_text(text, encoding="utf-8")
            (stage / "run.log").write_text(runlog.text(), encoding="utf-8")
            commit(stage, job.out, RUN_FILES)
        except OSError as e:
            raise OutputError(describe_os_error(e, job.out)) from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    say(f"optimiser: {len(result['trials'])} trials, {len(result['front'])} designs on the front, each re-run on "
        f"{spec['rerun_seeds']} fresh seeds; written to {Path(job.out)}")
