"""Fonts for report figures: a CJK font for Chinese reports, found and registered with
matplotlib at figure time, and an audit of which font draws every character.

Where the font comes from, in order:

1. the ``noto-cjk-sans-otc`` package (a project dependency: Noto Sans CJK, SIL Open
   Font License 1.1), whose ``NotoSansCJK-Regular.ttc`` is added to matplotlib's font
   manager and used through its Simplified Chinese face, "Noto Sans CJK SC";
2. a system font matplotlib already knows whose family is one of
   :data:`SYSTEM_FAMILIES` (e.g. Debian's ``fonts-noto-cjk``) and that covers the
   report's Chinese characters.

English reports use matplotlib's default (DejaVu Sans) and never need a CJK font. If a
Chinese report is asked for and neither source has a font, :func:`require` raises a
ConfigError on ``report.lang`` saying how to install one, instead of drawing boxes.
"""

from __future__ import annotations

import contextlib
import functools
import unicodedata
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.font_manager as fm  # noqa: E402
from matplotlib import ft2font  # noqa: E402

from sim.errors import ConfigError  # noqa: E402
from sim.reporting.i18n import CJK_LANGS  # noqa: E402

PACKAGED_FAMILY = "Noto Sans CJK SC"
SYSTEM_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "Source Han Sans CN",
                   "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", "Sarasa Gothic SC")
#: characters a usable font must draw (common report words)
PROBE = "报告网格镇村户问题办结时长按期率小时千米区队伍"
INSTALL_HINT = ("pip install noto-cjk-sans-otc (a dependency of this project: reinstall it with "
                "pip install -e .) or apt-get install fonts-noto-cjk")


def _packaged_font() -> Path | None:
    try:
        import noto_cjk_sans_otc
    except ImportError:
        return None
    p = Path(str(noto_cjk_sans_otc.FONT_PATH))
    return p if p.is_file() else None


def _covers(path: str, face_index: int, text: str) -> bool:
    try:
        cmap = ft2font.FT2Font(path, face_index=face_index).get_charmap()
    except (OSError, RuntimeError, ValueError):
        return False
    return all(ord(c) in cmap for c in text)


@functools.lru_cache(maxsize=1)
def cjk_family() -> str | None:
    """The family name of a usable CJK font, registering the packaged font with
    matplotlib's font manager on first use; None if there is none."""
    path = _packaged_font()
    if path is not None:
        known = {Path(f.fname).resolve() for f in fm.fontManager.ttflist}
        if path.resolve() not in known:
            fm.fontManager.addfont(str(path))
        if any(f.name == PACKAGED_FAMILY for f in fm.fontManager.ttflist):
            return PACKAGED_FAMILY
    for fam in SYSTEM_FAMILIES:
        for f in fm.fontManager.ttflist:
            if f.name == fam and _covers(f.fname, getattr(f, "index", 0), PROBE):
                return fam
    return None


def require(lang: str) -> None:
    """Raise a ConfigError on ``report.lang`` if ``lang`` needs a font this machine lacks."""
    if lang in CJK_LANGS and cjk_family() is None:
        raise ConfigError("report.lang", f"{lang} needs a CJK font and none was found; install one: {INSTALL_HINT}")


def rc(lang: str) -> dict:
    """matplotlib rcParams for figures in ``lang`` (the CJK font first for zh, DejaVu
    Sans as fallback for symbols it lacks)."""
    if lang not in CJK_LANGS:
        return {}
    require(lang)
    return {"font.family": "sans-serif", "font.sans-serif": [cjk_family(), "DejaVu Sans"]}


@contextlib.contextmanager
def context(lang: str):
    """Draw figures for ``lang`` inside this block (fonts set, restored afterwards)."""
    with matplotlib.rc_context(rc(lang)):
        yield


# ------------------------------------------------------------------------- audit
def _fonts_for(prop) -> list[tuple[str, int]]:
    """The font files (path, face index) matplotlib tries, in order, for ``prop``."""
    try:
        paths = fm.fontManager._find_fonts_by_props(prop)  # the fallback chain Agg uses
    except AttributeError:  # pragma: no cover - older matplotlib
        paths = [fm.findfont(prop)]
    return [(str(getattr(p, "path", p)), int(getattr(p, "face_index", 0))) for p in paths]


@functools.lru_cache(maxsize=64)
def _charmap(path: str, face_index: int) -> frozenset:
    return frozenset(ft2font.FT2Font(path, face_index=face_index).get_charmap())


def text_glyphs(fig, draw: bool = True) -> list[dict]:
    """For every visible text artist of ``fig`` (titles, labels, ticks, legends,
    annotations), the characters drawn and the font file that draws each one.

    Returns dicts ``{"text", "fonts": {char: "file#face"}, "missing": [chars]}``; a
    character is missing when no font of the artist's fallback chain has it in its
    character map (it would be drawn as a box)."""
    from matplotlib.text import Text

    if draw:
        fig.canvas.draw()  # resolve tick labels and legends
    out = []
    for t in fig.findobj(Text):
        s = t.get_text()
        if not s or not t.get_visible():
            continue
        chain = _fonts_for(t.get_fontproperties())
        used, missing = {}, []
        for c in set(s):
            if c.isspace() or unicodedata.category(c) == "Cc":
                continue
            hit = next((f"{p}#{i}" for p, i in chain if ord(c) in _charmap(p, i)), None)
            if hit is None:
                missing.append(c)
            else:
                used[c] = hit
        out.append({"text": s, "fonts": used, "missing": sorted(missing)})
    return out


def is_cjk(c: str) -> bool:
    """True for CJK ideographs and CJK punctuation / full-width forms."""
    o = ord(c)
    return (0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0x3000 <= o <= 0x303F or 0xFF00 <= o <= 0xFFEF
            or 0x20000 <= o <= 0x2A6DF)


@contextlib.contextmanager
def capture_missing_glyph_warnings():
    """Collect matplotlib's "Glyph ... missing from font(s)" warnings raised inside."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        found: list[str] = []
        yield found
    found += [str(w.message) for w in caught if "missing from" in str(w.message)]
