"""Reading what the code and the scenario files say about a key: its unit (declared, or
from its name's suffix), its meaning (the sentences of its dataclass's docstring that name
it, or a comment above it) and the comments on its line in a YAML file."""

from __future__ import annotations

import ast
import fnmatch
import inspect
import re
import textwrap
import typing
from functools import lru_cache
from pathlib import Path


_UNIT_SUFFIXES = (  # longest first: the first match wins
    ("rate_per_1000_residents_per_year", "per 1,000 residents per year"),
    ("_per_10k_residents", "per 10,000 residents"),
    ("_per_10min", "utility per 10 min"),
    ("_per_h", "per hour"),
    ("_per_round", "per round"),
    ("_per_day", "per day"),
    ("_per_week", "days per week"),
    ("_per_village", "per village"),
    ("_per_grid", "per grid"),
    ("_per_head", "households"),
    ("_per_member", "trades"),
    ("_per_town", "per town"),
    ("_km2", "km²"),
    ("_kmh", "km/h"),
    ("_km", "km"),
    ("_wh", "working hours"),
    ("_h", "h"),
    ("_days", "days"),
    ("_min", "min"),
    ("_gb", "GB"),
    ("_share", "share (0–1)"),
    ("_fraction", "fraction of the time limit"),
    ("_factor", "factor (×)"),
    ("_multiplier", "factor (×)"),
    ("_sigma", "lognormal σ"),
    ("_slope", "logit units"),
    ("_total", "people"),
    ("_factors", "relative intensities"),
    ("_boost", "factor (×)"),
    ("_penalty", "share (0–1)"),
)


_UNIT_PREFIXES = (("p_", "probability"), ("share_", "share (0–1)"), ("scale_", "factor (×)"))


_UNIT_NAMES = {"cv": "coefficient of variation", "seed": "integer", "weekdays": "day numbers (0 = Monday)",
               "severity": "rank", "utility": "logit units", "max_events": "events", "visibility": "factor (0–1)",
               "training_level": "level (0–1)", "trust_mean": "trust (0–1)", "trust_sd": "trust (0–1)",
               "basically_score": "score (0–1)", "trust_memory": "share (0–1)", "word_of_mouth": "share (0–1)"}


def unit_of(name: str, metadata: typing.Mapping | None = None) -> str:
    """A field's unit: its declared ``unit`` (field metadata), else what its name says."""
    if metadata and metadata.get("unit"):
        return str(metadata["unit"])
    if name in _UNIT_NAMES:
        return _UNIT_NAMES[name]
    for prefix, unit in _UNIT_PREFIXES:
        if name.startswith(prefix):
            return unit
    for suffix, unit in _UNIT_SUFFIXES:
        if name.endswith(suffix):
            return unit
    return ""


def _split_clauses(text: str) -> list[str]:
    """Sentences and ``;``-clauses of a docstring, not split inside brackets."""
    out, depth, cur = [], 0, []
    i = 0
    while i < len(text):
        ch = text[i]
        cur.append(ch)
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif depth == 0 and (ch == ";" or (ch == "." and text[i + 1:i + 2] in (" ", ""))):
            out.append("".join(cur).strip())
            cur = []
        i += 1
    if "".join(cur).strip():
        out.append("".join(cur).strip())
    return [c for c in out if c]


def _clean(text: str) -> str:
    """A docstring clause as plain text: roles and double backticks dropped."""
    text = re.sub(r":(?:class|func|mod|data|attr|meth):`~?([^`]+)`", r"\1", text)
    text = text.replace("``", "`")
    return " ".join(text.split())


@lru_cache(maxsize=None)
def _class_notes(cls: type) -> tuple[dict[str, str], list[list[str]]]:
    """Per field of ``cls``: the comment above it and the string literal after it
    (``{name: text}``); and the docstring's sentences (each a list of clauses)."""
    notes: dict[str, str] = {}
    try:
        src = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        src = ""
    if src:
        lines = src.splitlines()
        body = ast.parse(src).body[0].body
        for k, node in enumerate(body):
            if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
                continue
            name, parts = node.target.id, []
            j = node.lineno - 2  # the lines right above the field
            above = []
            while j >= 0 and lines[j].strip().startswith("#"):
                above.insert(0, lines[j].strip().lstrip("#").strip())
                j -= 1
            if above:
                parts.append(" ".join(above))
            nxt = body[k + 1] if k + 1 < len(body) else None
            if isinstance(nxt, ast.Expr) and isinstance(getattr(nxt, "value", None), ast.Constant) \
                    and isinstance(nxt.value.value, str):
                parts.append(nxt.value.value)
            if parts:
                notes[name] = _clean(" ".join(parts))
    doc = inspect.getdoc(cls) or ""
    if doc.startswith(cls.__name__ + "("):  # no docstring: the dataclass's generated signature
        doc = ""
    return notes, _sentences(" ".join(doc.split()))


def _mentions(clause: str, name: str) -> bool:
    """Whether a docstring clause names field ``name`` in double backticks (as itself, the
    last part of a dotted key, or a pattern such as ``scale_<team>`` or ``teams.*_total``)."""
    for span in re.findall(r"``(.+?)``", clause):
        for tok in re.findall(r"[\w<>*]+", span):
            pattern = re.sub(r"<\w+>", "*", tok)
            if tok == name or ("*" in pattern and pattern.strip("*") and fnmatch.fnmatchcase(name, pattern)):
                return True
    return False


def _sentences(text: str) -> list[list[str]]:
    """A docstring's sentences, each as its ``;``-clauses."""
    out: list[list[str]] = [[]]
    for c in _split_clauses(text):
        out[-1].append(c)
        if not c.endswith(";"):
            out.append([])
    return [s for s in out if s]


def field_meaning(cls: type, name: str) -> str:
    """What field ``name`` of dataclass ``cls`` means, from its documentation: the
    docstring's sentences that name it (only the clause that does, with its neighbour when
    it is short, when a sentence lists several fields), the comment above the field and the
    string after it."""
    notes, sentences = _class_notes(cls)
    said = []
    for sent in sentences:
        hits = [i for i, c in enumerate(sent) if _mentions(c, name)]
        if not hits:
            continue
        if len(sent) > 1 and len(hits) == 1:
            i = hits[0]
            part = sent[i - 1:i + 1] if len(sent[i]) < 40 and i > 0 else sent[i:i + 2] if len(sent[i]) < 40 else [sent[i]]
            said.append(_clean(" ".join(part).rstrip(";")))
        else:
            said.append(_clean(" ".join(sent)))
    if name in notes:
        said.append(notes[name])
    return " … ".join(dict.fromkeys(said))


def _segment(text: str, name: str) -> str:
    """The part of a clause about ``name`` when the clause lists several fields: from its
    mention to the next comma, semicolon or ``and`` outside brackets."""
    m = re.search(r"`(?:[\w.]*\.)?" + re.escape(name) + r"`", text)
    if not m or len(set(re.findall(r"`([^`]+)`", text))) < 3:
        return text
    depth, i = 0, m.end()
    while i < len(text):
        ch = text[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and (ch in ",;" or text.startswith(" and `", i)):
            break
        i += 1
    return text[m.start():i].strip()


def _summary(cls: type) -> str:
    sentences = _class_notes(cls)[1]
    return _clean(" ".join(sentences[0])) if sentences else ""


_KEY_LINE = re.compile(r"^(\s*)(- )?([^\s#:'\"{}\[\]][^#:]*?):(\s|$)")


def _comment_of(line: str) -> str:
    """The comment of a YAML line (after a ``#`` outside quotes), else empty."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[i + 1:].strip()
    return ""


@lru_cache(maxsize=None)
def yaml_comments(path: Path) -> dict[str, str]:
    """The comment of each key of a YAML file, by dotted key (a comment-only line right
    below a key, indented deeper, continues that key's comment)."""
    out: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    last = None
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        stripped = raw.strip()
        if not stripped:
            continue
        indent = len(raw) - len(raw.lstrip())
        if stripped.startswith("#"):
            if last is not None and indent > last[0]:
                out[last[1]] = (out.get(last[1], "") + " " + stripped.lstrip("#").strip()).strip()
            continue
        m = _KEY_LINE.match(raw)
        if not m:
            last = None
            continue
        key = m.group(3).strip()
        while stack and stack[-1][0] >= indent:
            stack.pop()
        dotted = ".".join([k for _, k in stack] + [key])
        stack.append((indent, key))
        c = _comment_of(raw)
        if c:
            out[dotted] = c
        last = (indent, dotted)
    return out
