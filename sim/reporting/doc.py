"""A tiny document model rendered both to Markdown and to self-contained HTML, so
that ``report.md`` and ``report.html`` always say the same thing, and the one number
format of every report (:func:`fmt`)."""

from __future__ import annotations

import html
import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from sim.reporting.i18n import Tr

#: a value whose magnitude is at most this fraction of the scale of its column (or of
#: the scale given) is floating-point noise around 0 and shows as 0
REL_TOL = 1e-9
#: the same for a value shown on its own (no column): below this it is 0
ABS_TOL = 1e-12


class Pct(float):
    """A share in [0, 1] that is shown as a percentage (``0.881`` → ``88.1 %``)."""


def pct(v) -> Pct | None:
    """``v`` marked as a share to show as a percentage (None stays None)."""
    return None if v is None else Pct(v)


def _is_real(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def column_scale(values) -> float | None:
    """The scale of a column of cells: the largest finite magnitude among its reals."""
    mags = [abs(float(v)) for v in values if _is_real(v) and math.isfinite(float(v))]
    return max(mags) if mags else None


def _noise(x: float, scale: float | None) -> bool:
    """True if ``x`` is 0 up to floating error, judged against ``scale``."""
    a = abs(x)
    if a == 0.0 or a < ABS_TOL:
        return True
    return scale is not None and math.isfinite(scale) and a <= REL_TOL * abs(scale)


def _small(x: float) -> str:
    """Two significant digits of a small number, positional down to 10⁻⁶ (``0.000035``),
    scientific below."""
    if abs(x) >= 1e-6:
        return np.format_float_positional(x, precision=2, unique=False, fractional=False, trim="-")
    return f"{x:.2g}"


def _number(x: float) -> str:
    """A rounded number: integers with thousands separators; otherwise about four
    significant digits for ≥ 1 (``742.4``, ``77.3``, ``1.11``), three for < 1
    (``0.0146``), two below 10⁻⁴ (``0.000035``), scientific notation only below 10⁻⁶."""
    a = abs(x)
    if a >= 1000:
        return f"{x:,.0f}"
    if float(x).is_integer():
        return f"{int(x):,}"
    if a >= 10:
        s = f"{x:.1f}"
    elif a >= 1:
        s = f"{x:.2f}"
    elif a >= 1e-4:
        s = f"{x:.3g}"
    else:
        s = _small(x)
    return "0" if float(s.replace(",", "")) == 0 else s


def fmt(v, lang: str = "en", scale: float | None = None) -> str:
    """One cell or number as text, the same way in every report.

    ``None`` and NaN → "—"; booleans → yes/no (是/否); integers with thousands
    separators; :class:`Pct` shares as percentages with one decimal (``88.1 %``, zh
    ``88.1%``; two significant digits below 1 %); other reals rounded by
    :func:`_number`. A real that is zero within floating error shows as ``0``: its
    magnitude is compared with ``scale`` (the scale of its column, or a related
    quantity such as the mean for an sd) with relative tolerance :data:`REL_TOL`, and
    with :data:`ABS_TOL` when there is no scale.
    """
    if v is None:
        return "—"
    if isinstance(v, (bool, np.bool_)):
        return Tr(lang)("yes" if v else "no")
    if isinstance(v, (numbers.Integral, np.integer)):
        return f"{int(v):,}"
    if _is_real(v):
        x = float(v)
        if not math.isfinite(x):
            return "—"
        if isinstance(v, Pct):
            if _noise(x, scale):
                return Tr(lang).pct("0")
            p = 100.0 * x
            s = f"{p:.1f}" if abs(p) >= 1 else (f"{p:.2g}" if abs(p) >= 1e-4 else _small(p))
            return Tr(lang).pct(s)
        if _noise(x, scale):
            return "0"
        return _number(x)
    return str(v)


@dataclass
class Doc:
    """A report: a title, a language, and blocks (headings, paragraphs, code, tables,
    images)."""

    title: str
    lang: str = "en"
    blocks: list[tuple] = field(default_factory=list)

    def h(self, text: str, level: int = 2) -> None:
        self.blocks.append(("h", level, text))

    def p(self, text: str) -> None:
        self.blocks.append(("p", text))

    def code(self, text: str) -> None:
        self.blocks.append(("code", text))

    def details(self, summary: str, text: str) -> None:
        """A collapsed block of preformatted text (an appendix: opened on a click)."""
        self.blocks.append(("details", summary, text))

    def table(self, header: list[str], rows: list[list]) -> None:
        """A table; numbers are formatted by :func:`fmt` against the scale of their column
        (and right-aligned in HTML, text left-aligned)."""
        scales = [column_scale([r[j] for r in rows if j < len(r)]) for j in range(len(header))]
        cells = [[fmt(c, self.lang, scales[j] if j < len(scales) else None) for j, c in enumerate(r)] for r in rows]
        numeric = [[c is None or (_is_real(c) and not isinstance(c, bool)) for c in r] for r in rows]
        self.blocks.append(("table", header, cells, numeric))

    def img(self, path: str, alt: str, width: int | None = None) -> None:
        """A figure; ``width``: its display width in CSS pixels (see
        :func:`sim.reporting.figures.css_width`), so that every figure's text shows at the
        same size; wider figures shrink to the page."""
        self.blocks.append(("img", path, alt, width))

    def markdown(self) -> str:
        out = [f"# {self.title}", ""]
        for b in self.blocks:
            if b[0] == "h":
                out += ["#" * b[1] + " " + b[2], ""]
            elif b[0] == "p":
                out += [b[1], ""]
            elif b[0] == "code":
                out += ["```", b[1], "```", ""]
            elif b[0] == "table":
                out.append("| " + " | ".join(b[1]) + " |")
                out.append("|" + "|".join("---" for _ in b[1]) + "|")
                out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in b[2]]
                out.append("")
            elif b[0] == "img":
                out += [f"![{b[2]}]({b[1]})", ""]
            elif b[0] == "details":
                out += [f"<details><summary>{html.escape(b[1])}</summary>", "", "```", b[2], "```", "", "</details>", ""]
        return "\n".join(out)

    def html(self) -> str:
        e = html.escape
        lang = "zh-CN" if self.lang == "zh" else "en"
        fonts = ('"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei","WenQuanYi Zen Hei",'
                 "sans-serif" if self.lang == "zh" else "sans-serif")
        out = [f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>",
               f"<title>{e(self.title)}</title><style>body{{font-family:{fonts};max-width:1200px;margin:auto;"
               "padding:1em;line-height:1.5}"
               "table{border-collapse:collapse;margin:0.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;"
               "text-align:right}th{background:#eee}td.t,th.t{text-align:left}"
               "img{max-width:100%}pre{background:#f6f6f6;padding:0.5em;overflow-x:auto;white-space:pre-wrap}</style>",
               f"</head><body><h1>{e(self.title)}</h1>"]
        for b in self.blocks:
            if b[0] == "h":
                out.append(f"<h{b[1]}>{e(b[2])}</h{b[1]}>")
            elif b[0] == "p":
                out.append(f"<p>{e(b[1])}</p>")
            elif b[0] == "code":
                out.append(f"<pre>{e(b[1])}</pre>")
            elif b[0] == "details":
                out.append(f"<details><summary>{e(b[1])}</summary><pre>{e(b[2])}</pre></details>")
            elif b[0] == "table":
                text_col = [sum(1 for nr in b[3] if j < len(nr) and not nr[j]) * 2 > len(b[3]) for j in range(len(b[1]))]
                out.append("<table><tr>" + "".join(f"<th class='t'>{e(c)}</th>" if j < len(text_col) and text_col[j]
                                                   else f"<th>{e(c)}</th>" for j, c in enumerate(b[1])) + "</tr>")
                out += ["<tr>" + "".join(f"<td>{e(c)}</td>" if num else f"<td class='t'>{e(c)}</td>"
                                         for c, num in zip(r, nr)) + "</tr>" for r, nr in zip(b[2], b[3])]
                out.append("</table>")
            elif b[0] == "img":
                size = f" style='width:{int(b[3])}px'" if len(b) > 3 and b[3] else ""
                out.append(f"<p><a href='{e(b[1])}'><img src='{e(b[1])}' alt='{e(b[2])}' title='{e(b[2])}'{size}></a></p>")
        out.append("</body></html>")
        return "\n".join(out)
