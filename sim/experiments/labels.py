"""Display names of a sweep's factor levels, from the experiment file.

``experiment.labels`` maps a swept key to ``{level: label}``; a label is a string (the same
in every report language) or ``{en: ..., zh: ...}``. A level is written as the command
line writes it and compared as a value (``1`` and ``1.0`` are one level); ``null`` must be
quoted (``"null": ...``: OmegaConf keys cannot be null). ``experiment.title`` (a string or
``{en, zh}``) names the experiment in the report's title. A level without a label shows
as written.
"""

from __future__ import annotations

from collections.abc import Mapping

from sim.errors import ConfigError
from sim.experiments.design import _canon

LANGS = ("en", "zh")


def level_str(v) -> str:
    """A factor level as the command line writes it (null, true, 0.5, name); Hydra's
    sweeper writes a swept boolean as ``True``/``False`` and null as ``None``, and those
    are read the same way."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    s = str(v)
    return {"True": "true", "False": "false", "None": "null"}.get(s, s)


def canon(level) -> str:
    """A level as a value, whatever its type (``None`` → ``null``, ``1.0`` → ``1``)."""
    return _canon(level_str(level))


def check_text(key: str, v) -> None:
    """A label or title: a non-empty string, or a mapping of report languages to strings
    with ``en`` given."""
    if isinstance(v, str) and v.strip():
        return
    if isinstance(v, Mapping) and "en" in v and set(v) <= set(LANGS) and all(isinstance(t, str) and t.strip()
                                                                             for t in v.values()):
        return
    raise ConfigError(key, f"must be a text or {{en: ..., zh: ...}} (en required); got {v!r}")


def check_labels(labels, levels: Mapping[str, list]) -> None:
    """Every factor and level that ``labels`` names is swept (``levels``: each swept key's
    levels, as typed); every label is a text. Raises :class:`ConfigError`."""
    if labels is None:
        return
    if not isinstance(labels, Mapping):
        raise ConfigError("experiment.labels", f"must map a swept key to {{level: label}}; got {labels!r}")
    for f, by_level in labels.items():
        key = f"experiment.labels.{f}"
        if f not in levels:
            raise ConfigError(key, f"{f} is not swept; allowed: {', '.join(levels) or 'no factor (nothing is swept)'}")
        if not isinstance(by_level, Mapping):
            raise ConfigError(key, f"must map each level to its label; got {by_level!r}")
        swept = {canon(v) for v in levels[f]}
        for lv, text in by_level.items():
            if canon(lv) not in swept:
                allowed = ", ".join(dict.fromkeys(map(level_str, levels[f])))
                raise ConfigError(f"{key}.{level_str(lv)}", f"the level {level_str(lv)} is not in the sweep; "
                                                            f"allowed: {allowed}")
            check_text(f"{key}.{level_str(lv)}", text)


def check_report_keys(exp: Mapping, levels: Mapping[str, list]) -> None:
    """``experiment.findings`` (declared KPIs with a better direction), ``.labels`` (swept
    factors and levels, see :func:`check_labels`) and ``.title`` of a sweep's experiment.
    Raises :class:`ConfigError`."""
    from sim.experiments.findings import check_kpis

    check_kpis(exp.get("findings"))
    check_labels(exp.get("labels"), levels)
    if exp.get("title") is not None:
        check_text("experiment.title", exp["title"])


def text(v, lang: str) -> str:
    """A checked label or title in ``lang`` (English where no ``lang`` text is given)."""
    if isinstance(v, Mapping):
        return v.get(lang) or v["en"]
    return str(v)


class Labels:
    """Display names of levels (:meth:`level`) for one report language."""

    def __init__(self, labels: Mapping | None, lang: str = "en"):
        self.lang = lang
        self.by = {f: {canon(k): v for k, v in (m or {}).items()} for f, m in (labels or {}).items()}

    def level(self, factor: str, level) -> str:
        v = self.by.get(factor, {}).get(canon(level))
        return text(v, self.lang) if v is not None else level_str(level)

    def has(self, factor: str) -> bool:
        return factor in self.by
