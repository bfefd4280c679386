"""Shared figure plumbing (matplotlib without a display): saving at print resolution,
an optional audit of the fonts every saved figure uses, and label placement without
overlaps."""

from __future__ import annotations

import contextlib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

#: resolution of every PNG the reports write (dots per inch)
DPI = 150
#: one colour per level of the ladder, the same in every figure
LEVEL_COLORS = {"grid": "#2ca02c", "village": "#ff7f0e", "town": "#d62728", "district": "#9467bd"}

_audit: list | None = None


def bold(lang: str) -> str:
    """Font weight for emphasised labels: bold where the font has a bold face (the
    packaged CJK font is regular only, so Chinese labels stay regular)."""
    return "normal" if lang == "zh" else "bold"


@contextlib.contextmanager
def audit():
    """Inside this block, :func:`save` records for every figure it writes
    ``{"path", "texts": fonts.text_glyphs(fig), "dpi"}`` into the yielded list."""
    global _audit
    prev, _audit = _audit, []
    try:
        yield _audit
    finally:
        _audit = prev


PNG = {"compress_level": 1}
"""zlib level of the PNGs: level 1 instead of Pillow's 6 saves ~0.07 s per figure (the
district map: 0.38 -> 0.30 s) for files about 5 % larger."""


def save(fig, path: Path, dpi: int = DPI) -> None:
    """Write ``fig`` to ``path`` (PNG, at least :data:`DPI`), cropped to its artists so that
    legends and keys placed outside the axes are kept, and close it."""
    dpi = max(int(dpi), DPI)
    if _audit is not None:
        from sim.reporting.fonts import capture_missing_glyph_warnings, text_glyphs

        with capture_missing_glyph_warnings() as missing:
            fig.savefig(path, dpi=dpi, bbox_inches="tight", pad_inches=0.08, pil_kwargs=PNG)
            texts = text_glyphs(fig, draw=False)  # saving drew it: tick labels and legends exist
        _audit.append({"path": str(path), "texts": texts, "dpi": dpi, "warnings": list(missing)})
    else:
        fig.savefig(path, dpi=dpi, bbox_inches="tight", pad_inches=0.08, pil_kwargs=PNG)
    plt.close(fig)


def css_width(path: Path) -> int | None:
    """Display width (CSS pixels, 96 per inch) of a PNG written by :func:`save`, so that
    its text shows at its point size in a browser; None if unreadable."""
    try:
        from PIL import Image

        with Image.open(path) as im:
            dpi = float((im.info.get("dpi") or (DPI, DPI))[0]) or DPI
            return int(round(im.size[0] * 96.0 / dpi))
    except (OSError, ValueError, ImportError):
        return None


def _extents(boxes) -> np.ndarray:
    """Bboxes as an (n, 4) array of x0, y0, x1, y1 (display units)."""
    return np.array([(o.x0, o.y0, o.x1, o.y1) for o in boxes], dtype=float).reshape(-1, 4)


def _overlaps(b, others: np.ndarray, pad: float = 0.0) -> float:
    """Total overlap area (display units²) of bbox ``b`` with the boxes ``others``
    (:func:`_extents`). Array arithmetic: the village close-up of a 300-grid village tries
    ~60,000 positions against up to 300 boxes (a loop over the boxes took ~13 s)."""
    w = np.minimum(b.x1, others[:, 2]) + pad - np.maximum(b.x0, others[:, 0])
    h = np.minimum(b.y1, others[:, 3]) + pad - np.maximum(b.y0, others[:, 1])
    hit = (w > 0) & (h > 0)
    return float((w[hit] * h[hit]).sum())


def _outside_area(b, geom, ax) -> float:
    """Display area of box ``b`` that lies outside the shapely ``geom`` (data units)."""
    from shapely.geometry import box

    inv = ax.transData.inverted()
    (x0, y0), (x1, y1) = inv.transform([(b.x0, b.y0), (b.x1, b.y1)])
    bb = box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
    frac = 1.0 - bb.intersection(geom).area / bb.area if bb.area > 0 else 0.0
    return frac * b.width * b.height


def _wrapped(s: str) -> list[str]:
    """The label, then the label broken at its last space (two lines), if it has one."""
    return [s] + ([s[: s.rindex(" ")] + "\n" + s[s.rindex(" ") + 1:]] if " " in s.strip() else [])


def place_labels(ax, texts, candidates, avoid=(), fontsize_steps=(1.0,), within=None, wrap=False,
                 **text_kw) -> list:
    """Place one label per item without overlaps, greedily, in the given order.

    ``candidates[i]`` is a sequence of (x, y) data positions for label ``i``, best
    first. A position is taken if the label's box overlaps no label placed before it
    nor any box in ``avoid`` (display coordinates), lies inside the axes and, if
    ``within[i]`` (a shapely geometry in data units) is given, inside that shape;
    otherwise the next candidate, then (with ``wrap``) the label on two lines, then a
    smaller font (``fontsize_steps``, factors of the font size) are tried; if nothing
    fits, the position with least overlap is kept (overlap with other labels weighs
    most). Returns the Text artists."""
    fig = ax.figure
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    axbox = ax.get_window_extent(r)
    placed, boxes = [], _extents(avoid)
    base = text_kw.pop("fontsize", 9)
    for i, (s, cands) in enumerate(zip(texts, candidates)):
        best = None
        t = ax.text(0, 0, s, fontsize=base, **text_kw)
        shape = within[i] if within is not None else None
        variants = _wrapped(s) if wrap else [s]
        for f in fontsize_steps:
            t.set_fontsize(base * f)
            for v in variants:
                t.set_text(v)
                for (x, y) in cands:
                    t.set_position((x, y))
                    b = t.get_window_extent(r).expanded(1.04, 1.08)
                    inside = b.x0 >= axbox.x0 and b.x1 <= axbox.x1 and b.y0 >= axbox.y0 and b.y1 <= axbox.y1
                    cost = 100.0 * _overlaps(b, boxes) + (0.0 if inside else 1e9)
                    if shape is not None:
                        cost += _outside_area(b, shape, ax)
                    if best is None or cost < best[0]:
                        best = (cost, f, v, (x, y), b)
                    if cost == 0:
                        break
                if best[0] == 0:
                    break
            if best[0] == 0:
                break
        _, f, v, xy, b = best
        t.set_fontsize(base * f)
        t.set_text(v)
        t.set_position(xy)
        boxes = np.vstack([boxes, _extents([b])])
        placed.append(t)
    return placed


def label_boxes_overlap(texts) -> list[tuple[int, int]]:
    """Pairs of Text artists (indices) whose drawn boxes overlap: for tests and checks."""
    if not texts:
        return []
    fig = texts[0].figure
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    bs = [t.get_window_extent(r) for t in texts]
    ext = _extents(bs)
    return [(i, j) for i in range(len(bs)) for j in range(i + 1, len(bs)) if _overlaps(bs[i], ext[j:j + 1]) > 0]


def offsets_around(x: float, y: float, dx: float, dy: float) -> list[tuple[float, float]]:
    """Candidate label positions around a point (data units): right, above, left, below,
    then the diagonals, then further out."""
    out = []
    for k in (1.0, 2.0, 3.0):
        for ux, uy in ((1, 0), (0, 1), (-1, 0), (0, -1), (1, 1), (-1, 1), (-1, -1), (1, -1)):
            out.append((x + k * ux * dx, y + k * uy * dy))
    return out
