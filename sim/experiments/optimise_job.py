"""``python run.py experiment=optimise``: the optimiser's run folder (see
:mod:`sim.experiments.optimise`), written through one staged commit."""

from __future__ import annotations

from pathlib import Path


def run_optimiser(job, runlog) -> None:
    """``python run.py experiment=optimise``: optimise, then write ``optimise.json``, the
    trials and front tables, the figure and the report into the run folder (one commit)."""
    import json

    from sim.config import model_data, report_config
    from sim.console import say
    from sim.experiments.experiment import json_safe
    from sim.experiments.jobs import OutputError, describe_os_error, staged_run_folder
    from sim.experiments.optimise import check_spec, optimise
    from sim.experiments.optimise_report import write_outputs

    spec = check_spec(job.data["experiment"])
    result = optimise(model_data(job.data), spec)  # an empty front raises before anything is written
    with staged_run_folder(job, runlog) as stage:
        try:
            (stage / "optimise.json").write_text(json.dumps(json_safe(result), indent=1, ensure_ascii=False,
                                                            default=str), encoding="utf-8")
            write_outputs(result, stage, report_config(job.data, check_font=False).lang, job.command)
        except OSError as e:
            raise OutputError(describe_os_error(e, job.out)) from None
    say(f"optimiser: {len(result['trials'])} trials, {len(result['front'])} designs on the front, each re-run on "
        f"{spec['rerun_seeds']} fresh seeds; written to {Path(job.out)}")
