"""Report text in English and Chinese: one catalogue of strings keyed by id, kept as data
in ``text.yaml`` beside this module (KPI labels come from :mod:`sim.metrics.registry`).

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

from pathlib import Path

import yaml

from sim.errors import ConfigError
from sim.metrics.registry import kpi_unit, labels, stage_labels  # noqa: F401  (kpi_unit re-exported)

LANGS = ("en", "zh")
CJK_LANGS = ("zh",)
"""Report languages whose figures need a CJK font (:mod:`sim.reporting.fonts`)."""

TEXT_FILE = Path(__file__).resolve().parent / "text.yaml"
"""The report text: ``catalogue`` (key -> entry) and ``terms`` (group -> name -> entry)."""

_TEXT = yaml.load(TEXT_FILE.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
CATALOGUE: dict[str, dict] = _TEXT["catalogue"]
"""Every text of the reports by key."""
TERMS: dict[str, dict[str, dict[str, str]]] = {
    **_TEXT["terms"],
    # KPIs (summary.json / experiment.kpis keys, dotted) and stage intervals: from the registry
    "kpi": labels(),
    "stage": stage_labels(),
}
"""Domain terms: group -> name -> {en, zh}. Unknown names fall back to the identifier."""


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
