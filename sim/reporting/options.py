"""Report options (the application key ``report`` of conf/config.yaml):

    report: {enabled: true, lang: en, village: null}

``enabled``: write report.md / report.html and figures; ``lang``: ``en`` or ``zh``;
``village``: the close-up village (None: the village with most households; an index or
a name, see :func:`sim.reporting.places.close_up_village`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.errors import ConfigError
from sim.reporting.i18n import CJK_LANGS, check_lang

KEYS = ("enabled", "lang", "village")


@dataclass(frozen=True)
class ReportOptions:
    enabled: bool = True
    lang: str = "en"
    village: int | str | None = None


def report_options(value, check_font: bool = True, allow_bool: bool = True) -> ReportOptions:
    """Validate the ``report`` mapping (or, with ``allow_bool``, a bool switching the
    default report on or off; None gives the defaults).

    Raises a ConfigError naming the key: an unknown key, a non-boolean ``enabled``, a
    ``lang`` other than en/zh, or (with ``check_font``) ``lang: zh`` on a machine without a
    CJK font."""
    if value is None:
        return ReportOptions()
    if isinstance(value, ReportOptions):
        opts = value
    elif isinstance(value, bool) and allow_bool:
        opts = ReportOptions(enabled=value)
    elif isinstance(value, dict):
        unknown = sorted(set(value) - set(KEYS))
        if unknown:
            raise ConfigError(f"report.{unknown[0]}", f"unknown key; allowed: {', '.join(KEYS)}")
        enabled = value.get("enabled", True)
        if not isinstance(enabled, bool):
            raise ConfigError("report.enabled", f"must be true or false; got {enabled!r}")
        village = value.get("village")
        if village is not None and (isinstance(village, bool) or not isinstance(village, (int, str))):
            raise ConfigError("report.village", f"must be a village index or name, or null; got {village!r}")
        if isinstance(village, int) and village < 0:
            raise ConfigError("report.village", f"index must be >= 0; got {village}")
        opts = ReportOptions(enabled=enabled, lang=value.get("lang", "en"), village=village)
    else:
        raise ConfigError("report", "must be a mapping {enabled: true|false, lang: en|zh, village: null|index|name}; "
                                    f"got {value!r} (use report.enabled=false to skip the report)")
    check_lang(opts.lang)
    if check_font and opts.enabled and opts.lang in CJK_LANGS:  # the font code loads matplotlib: only when needed
        from sim.reporting.fonts import require

        require(opts.lang)
    return opts


def check_village(params, village) -> int:
    """Resolve ``report.village`` against the world ``params`` build (the map and its
    villages), before a run writes anything; returns the village index. Raises a
    ConfigError on ``report.village`` if there is no such village."""
    from sim.reporting.places import close_up_village
    from sim.rng import Streams
    from sim.world.world import build_world

    world = build_world(params, Streams(params.seed)["world"])
    if not world.has_geometry:
        return 0
    return close_up_village(world, village)
