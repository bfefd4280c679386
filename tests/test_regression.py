"""The model reproduces its stored regression baseline exactly (same code, same draws).

A deliberate change of behaviour or draw order regenerates the baseline with
``python tests/update_baseline.py`` (and says so in the commit); this test catches the
accidental ones.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from update_baseline import compute


def _close(a, b, path=""):
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for k in a:
            _close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-12), path
    else:
        assert a == b, path


def test_matches_stored_baseline():
    stored = json.loads((Path(__file__).parent / "regression_baseline.json").read_text())
    _close(compute(), stored)
