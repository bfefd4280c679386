"""Checks of the command line before Hydra starts (Hydra-aware; used by ``run.py``).

What a user types is checked here first, so that a bad flag, key or group option is one
line on stderr with exit code 2 and nothing is created: Hydra's print flags pass, flags
that would bypass these checks are refused (:func:`precheck_flags`), Hydra's own keys
that would write outside the staging or mix runs are refused (:func:`precheck_hydra_keys`),
group options must name files (:func:`precheck_groups`), and Hydra's and OmegaConf's
composition errors are reworded into one line naming the key as typed
(:func:`composition_error`).
"""

from __future__ import annotations

import sys
from pathlib import Path

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sim.errors import ConfigError

ROOT = Path(__file__).resolve().parent
CONF = ROOT / "conf"
EXIT_BAD_INPUT = 2


def fail(msg: str, code: int = EXIT_BAD_INPUT) -> None:
    print(f"error: {msg}", file=sys.stderr)
    sys.exit(code)


def available(folder: Path) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.yaml"))


def config_groups() -> dict[str, Path]:
    """Config groups the user may choose from (``scenario=``, ``experiment=``, ...):
    every folder of conf/ except Hydra's own."""
    return {p.name: p for p in sorted(CONF.iterdir()) if p.is_dir() and p.name != "hydra"}


def check_group_level(key: str, name: str, groups: dict[str, Path] | None = None) -> None:
    """One option of a config group (``scenario=NAME``, a level of a swept group, from the
    command line or from an experiment file's sweeper params) must name a file of its folder."""
    groups = groups or config_groups()
    name = name.strip().strip("'\"")
    if "/" in name or name.endswith(".yaml"):
        fail(f"{key}: give the name of a file of {groups[key].relative_to(ROOT)}/ without its folder or "
             f".yaml (allowed: {', '.join(available(groups[key]))}), not a path; got {name!r}")
    if name and name != "null" and not (groups[key] / f"{name}.yaml").is_file():
        fail(f"{key}: unknown {key} {name!r}; allowed: {', '.join(available(groups[key]))}")


def precheck_groups(argv: list[str]) -> None:
    """Reject an unknown scenario, experiment or other group option before Hydra composes."""
    groups = config_groups()
    for arg in argv[1:]:
        key, sep, value = arg.lstrip("+~").partition("=")
        if sep and key in groups:
            for name in value.split(","):
                check_group_level(key, name, groups)


# Hydra's command-line flags: the ones that only print pass through (after the same
# composition check as a run); the ones that would bypass this project's checks are refused.
PRINT_FLAGS = {"--help": 0, "-h": 0, "--hydra-help": 0, "--version": 0, "--cfg": 1, "-c": 1, "--resolve": 0,
               "--package": 1, "-p": 1, "--info": "?", "-i": "?", "--shell-completion": 0, "-sc": 0}


MODE_FLAGS = ("--cfg", "-c", "--info", "-i", "--shell-completion", "-sc")
"""Print flags that are a mode of their own (Hydra takes one mode: these, -m or --run)."""

INFO_TOPICS = ("all", "config", "defaults", "defaults-tree", "plugins", "searchpath")


REFUSED_FLAGS = {
    "--config-dir": "scenarios live in scenarios/ (scenario=NAME) and sweeps in conf/experiment/ (experiment=NAME)",
    "-cd": "scenarios live in scenarios/ (scenario=NAME) and sweeps in conf/experiment/ (experiment=NAME)",
    "--config-path": "the config tree is conf/; choose a scenario with scenario=NAME",
    "-cp": "the config tree is conf/; choose a scenario with scenario=NAME",
    "--config-name": "the root config is conf/config.yaml; choose a scenario with scenario=NAME",
    "-cn": "the root config is conf/config.yaml; choose a scenario with scenario=NAME",
    "--experimental-rerun": "rerun a run with the command in its manifest.json",
    "--shell-completion": "run.py has no shell completion; python run.py --params lists every key",
    "-sc": "run.py has no shell completion; python run.py --params lists every key",
}


# Hydra's own keys that may be set: where results go and how sweeps are launched. Every
# other hydra key would write outside the staging (log files, .hydra/), change the working
# folder or mix runs, so it is refused.
HYDRA_KEYS = ("hydra.run.dir", "hydra.sweep.dir", "hydra.sweep.subdir", "hydra.launcher.", "hydra/launcher",
              "hydra.verbose", "hydra.job.env_set.")


HYDRA_FIXED = {"hydra.sweep.subdir": "${hydra.job.num}"}


HYDRA_WHY = {"hydra/job_logging": "run.py writes the run's log as run.log with the results",
             "hydra/hydra_logging": "run.py writes the run's log as run.log with the results",
             "hydra.job_logging": "run.py writes the run's log as run.log with the results",
             "hydra.output_subdir": "the composed config is written as .hydra/ with the results, only on success",
             "hydra.job.chdir": "runs do not change the working folder",
             "hydra/sweeper": "sweeps use the prechecked sweeper, which relies on run.py having checked every job",
             "hydra.sweeper": "a sweep's factors are key=a,b on the command line or an experiment file's sweeper "
                              "params"}


def precheck_flags(argv: list[str]) -> tuple[list[str], bool]:
    """Split Hydra's flags from the overrides: returns (overrides, multirun). Refuses the
    flags that bypass the checks and any flag Hydra does not know, in one line; a print
    flag (``--help``, ``--cfg job``, ...) stays in ``argv`` for Hydra."""
    args, out, flags, modes, multirun, i = argv[1:], [], [], [], False, 0
    while i < len(args):
        a = args[i]
        flag, eq, _ = a.partition("=")
        if a in ("-m", "--multirun"):
            multirun = True
            flags.append(a)
            modes.append(a)
        elif a in ("-r", "--run"):
            flags.append(a)
            modes.append(a)
        elif flag in REFUSED_FLAGS:
            fail(f"{flag}: not supported here: {REFUSED_FLAGS[flag]}")
        elif flag in PRINT_FLAGS:
            flags.append(a)
            if flag in MODE_FLAGS:
                modes.append(flag)
            n = PRINT_FLAGS[flag]
            if (n == 1 and not eq) or (n == "?" and not eq and i + 1 < len(args) and args[i + 1] in INFO_TOPICS):
                i += 1
                if i < len(args):
                    flags.append(args[i])
            if flag in ("--cfg", "-c"):
                what = a.partition("=")[2] if eq else (args[i] if i < len(args) else "")
                if what not in ("job", "hydra", "all"):
                    fail(f"{flag}: must be followed by job, hydra or all (e.g. python run.py --cfg job); got {what!r}")
        elif a.startswith("-"):
            fail(f"{flag}: unknown option; allowed: -m (a sweep), {', '.join(sorted(k for k in PRINT_FLAGS if k.startswith('--')))} "
                 f"and key=value overrides")
        else:
            out.append(a)
        i += 1
    if len(modes) > 1:
        fail(f"{modes[0]} and {modes[1]}: only one of -m, --run, --cfg, --info and --shell-completion can be given")
    if any(f.partition("=")[0] == "--resolve" for f in flags) and not any(m in ("--cfg", "-c") for m in modes):
        fail("--resolve: goes with --cfg (e.g. python run.py --cfg job --resolve)")
    argv[1:] = flags + out  # Hydra reads its flags before the overrides, wherever they were typed
    return out, multirun


def precheck_hydra_keys(overrides: list[str]) -> None:
    """Refuse overrides of Hydra's own config that would bypass staging or mix runs."""
    for o in overrides:
        key, sep, value = o.lstrip("+~").partition("=")
        if not (key == "hydra" or key.startswith(("hydra.", "hydra/"))):
            continue
        value = value.strip().strip("'\"")
        if key in HYDRA_FIXED:
            if value != HYDRA_FIXED[key]:
                fail(f"{key}: must stay {HYDRA_FIXED[key]} (each run of a sweep in its own numbered folder); got {value!r}")
            continue
        if any(key == k or (k.endswith((".", "/")) and key.startswith(k)) for k in HYDRA_KEYS):
            continue
        why = next((w for k, w in HYDRA_WHY.items() if key == k or key.startswith(k + ".")), None)
        fail(f"{key}: Hydra's own setting cannot be changed here" + (f" ({why})" if why else "")
             + "; allowed: hydra.run.dir, hydra.sweep.dir, hydra/launcher=NAME, hydra.launcher.*")


def _compose(overrides: list[str], hydra_cfg: bool = False) -> DictConfig:
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose("config", overrides=overrides, return_hydra_config=hydra_cfg)


def _first_line_of_causes(e: BaseException) -> list[str]:
    out = []
    while e is not None:
        lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
        out.append(lines[0] if lines else type(e).__name__)
        e = e.__cause__ or e.__context__
    return out


def unreadable_levels(key: str, value: str) -> str:
    """The line for a sweep value Hydra cannot enumerate (``1,range(1,2)``, ``interval(0,1)``)."""
    return f"{key}: cannot read the levels {value!r}; a sweep is a list (1,2,3) or one range(start,stop[,step])"


def composition_error(e: Exception, overrides: list[str]) -> str:
    """One line for a Hydra/OmegaConf composition error: the key as typed and what is allowed."""
    import re

    causes = _first_line_of_causes(e)
    text = causes[0]
    m = re.search(r"(?:Could not override|Error merging override|Could not append to config\.?.*?at) '?([^'\s=]+)", text)
    m = m or re.search(r"override '?\+{0,2}([^'=\s]+)", text)
    found = re.search(r"Could not find '([^']+)/([^'/]+)'", str(e))
    if found:
        options = [ln.strip() for ln in str(e).splitlines() if ln.startswith("\t")]
        return (f"{found.group(1)}: unknown option {found.group(2)!r}"
                + (f"; allowed: {', '.join(options)}" if options else ""))
    if type(e).__name__ == "OverrideParseException":
        lines = [ln for ln in getattr(e, "message", str(e)).splitlines() if ln.strip() and not ln.startswith("See ")]
        detail = lines[-1] if lines else str(e)
        bad = getattr(e, "override", "") or next((o for o in overrides if not o.isascii()), "")
        if not bad.isascii() and "=" in bad:
            k, _, v = bad.partition("=")
            return (f"{k}: cannot read the value {v!r}: quote text with Chinese characters for Hydra, "
                    f"e.g. '{k}=\"{v}\"'")
        if detail.strip() in ("^", ""):
            detail = "unexpected character"
        return (f"cannot read the override {bad!r}: {detail} "
                f"(write key=value; quote values with spaces or brackets)")
    if not m:
        sweep = next((o for o in overrides if re.search(r"\b(range|interval|choice|glob)\(", o)), None)
        if sweep is not None:  # e.g. seed=range(1,3),5: Hydra's own message names no key
            k, _, v = sweep.lstrip("+~").partition("=")
            return f"{unreadable_levels(k, v)} ({causes[0]})"
        return " ".join(causes[:2])
    key = m.group(1).lstrip("+~")
    rest = [o for o in overrides if o.lstrip("+~").partition("=")[0] != key]
    parent, _, leaf = key.rpartition(".")
    try:
        base = _compose(rest)
    except Exception:  # noqa: BLE001 - the hint is optional
        base = None
    if base is not None:
        missing = _catalogue_entry_missing(base, key)
        if missing:
            return missing
    node = OmegaConf.select(base, parent) if (base is not None and parent) else base
    here = OmegaConf.select(base, key) if base is not None else None
    inner = next((mm.group(1) for c in causes for mm in [re.search(r"Key '([^']+)' (?:is )?not in", c)] if mm), None)
    if inner is not None and inner != leaf and isinstance(here, DictConfig):  # a new entry inside the value
        return (f"{key}: {inner!r} is not an entry of the mapping there, and a value is merged into it; to "
                f"replace the whole mapping write: ~{key} '+{key}={{...}}'")
    if any(re.search(r"Key '[^']+' (is )?not in", c) for c in causes) and isinstance(node, DictConfig):
        return f"{key}: unknown key; allowed keys under {parent or 'the top level'}: {', '.join(map(str, node.keys()))}"
    if isinstance(here, DictConfig):
        return (f"{key}: is a group of settings ({', '.join(map(str, here.keys()))}); set one of them, "
                f"e.g. {key}.{next(iter(here.keys()), 'x')}=...")
    detail = "; ".join(dict.fromkeys(c for c in causes[1:] if c))
    return f"{key}: {detail or text}"


def _group_of(key_element: str, groups: dict[str, Path]) -> str | None:
    """The config group an override's key names (``+team_mix@x`` -> ``team_mix``), or None."""
    key = key_element.lstrip("+~").partition("@")[0]
    return key if key in groups else None


def check_group_levels(task: list) -> None:
    """Every level of every factor of a sweep that is a config group, from the command line
    or from an experiment file's sweeper params, names a file (:func:`check_group_level`)."""
    groups = config_groups()
    for o in task:
        key = _group_of(o.get_key_element(), groups)
        if key is not None:
            for level in (o.sweep_string_iterator() if o.is_sweep_override() else [o.get_value_element_as_str()]):
                check_group_level(key, str(level), groups)


def check_jobs_compose(task: list, own: list[str], jobs: list[list[str]], first: DictConfig, parser) -> None:
    """Every job of a sweep composes, checked once before anything is created (Hydra's
    basic sweeper would compose every job again: hydra_plugins/microgrid_sweeper skips that).

    A job's config is its config-group options' files merged (the defaults list), then each
    of its other overrides merged into that. So each distinct combination of group options
    in the sweep is composed once, and every level of every other swept factor is merged into
    each such config, in the job's order ("+key" levels as "++key": the key of the level
    before is there already; "~key" levels are not swept in earnest and are skipped).
    ``jobs``: the overrides of every job, as Hydra's sweeper makes them; ``first``: the
    first job's config, composed by the caller. A failure is one line naming the key and,
    where the sweep has group factors, the runs it concerns."""
    import copy

    from hydra._internal.config_loader_impl import ConfigLoaderImpl

    groups = config_groups()
    keys = [line.partition("=")[0] for line in jobs[0]]
    at = {k: i for i, k in enumerate(keys)}
    gidx = [i for i, k in enumerate(keys) if _group_of(k, groups) is not None]
    final = {}
    for o in task:  # the override Hydra's sweeper keeps for each key: the last given
        final[o.get_key_element()] = o
    swept = {k: o for k, o in final.items() if o.is_sweep_override() and k in at and at[k] not in gidx
             and not k.startswith("~")}
    levels = {k: [(f"{k}={v}", parser.parse_overrides([("+" if k.startswith("+") and not k.startswith("++") else "")
                                                        + f"{k}={v}"])[0]) for v in o.sweep_string_iterator()]
              for k, o in swept.items()}
    swept_groups = {k for k, o in final.items() if o.is_sweep_override() and _group_of(k, groups) is not None}
    combos: dict[tuple, list[str]] = {}
    for job in jobs:
        combos.setdefault(tuple(job[i] for i in gidx), job)
    for combo, job in combos.items():
        where = f" (the runs with {', '.join(c for c in combo if c.partition('=')[0] in swept_groups)})" \
            if len(combos) > 1 else ""
        try:
            cfg = copy.deepcopy(first) if job is jobs[0] else _compose(job + own)
        except Exception as e:  # noqa: BLE001 - Hydra/OmegaConf composition errors
            fail(composition_error(e, job + own) + where)
        for k, lv in levels.items():
            for line, override in lv:
                try:
                    ConfigLoaderImpl._apply_overrides_to_config([override], cfg)
                except Exception as e:  # noqa: BLE001
                    as_job = [line if i == at[k] else o for i, o in enumerate(job)]
                    fail(composition_error(e, as_job + own) + where)


def _is_catalogue(cfg: DictConfig | None, key: str) -> bool:
    """Is ``key`` a named catalogue (a mapping name -> typed entry, e.g. issue_types)?"""
    if cfg is None or not key:
        return False
    node = OmegaConf.select(cfg, key)
    if not isinstance(node, DictConfig):
        return False
    from omegaconf._utils import get_dict_key_value_types, is_dict_annotation

    ref = node._metadata.ref_type
    return is_dict_annotation(ref) and get_dict_key_value_types(ref)[1] is not None


def _catalogue_entry_missing(cfg: DictConfig, key: str) -> str | None:
    """For ``issue_types.flood.x`` where ``flood`` is not an entry: say so."""
    parts = key.split(".")
    for i in range(1, len(parts)):
        head = ".".join(parts[:i])
        if _is_catalogue(cfg, head) and parts[i] not in OmegaConf.select(cfg, head):
            entries = ", ".join(map(str, OmegaConf.select(cfg, head).keys())) or "none"
            return (f"{key}: {head} has no entry {parts[i]!r} (entries: {entries}); to add one, write "
                    f"'+{head}={{{parts[i]}: {{{parts[i + 1] if i + 1 < len(parts) else 'field'}: ...}}}}'")
    return None


def _quote(value: str) -> str:
    """A string as a quoted Hydra override value."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'").replace("${", "\\${") + "'"


def resolved(cfg: DictConfig) -> dict:
    """The composed config as plain data, interpolations resolved (errors name the key)."""
    try:
        if "hydra" in cfg:  # composed with Hydra's own config (before Hydra starts): not ours
            cfg = OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"])
        return OmegaConf.to_container(cfg, resolve=True)
    except OmegaConfBaseException as e:
        key = getattr(e, "full_key", None) or "config"
        raise ConfigError(str(key), f"cannot be resolved ({str(e).splitlines()[0]})") from None
