"""Fuzzing scenario files: every mutation of the baseline either loads to a valid scenario or is
refused with a one-line :class:`ScenarioError` naming the file (issue 10).

The mutations walk the real, merged baseline mapping (so a new schema field is fuzzed as soon as
the baseline has it): a value replaced by another type, NaN, infinity, a huge number, an
impossible date or text with control characters; a key deleted; an unknown key added; a section
replaced by a list. A second test corrupts the file's text (characters deleted, YAML syntax
inserted). Hypothesis runs derandomized with a fixed number of examples, so the budget and the
cases are the same on every run.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import BASELINE

from sim.errors import ScenarioError
from sim.scenario.extends import load_raw
from sim.scenario.load import load_scenario
from sim.scenario.schema import Scenario

EXAMPLES = 150
"""Examples per test (derandomized): about 5 s each on the development machine."""

FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

RAW, _ = load_raw(BASELINE)


def _places(data: Any, trail: tuple = ()) -> list[tuple]:
    """Every path to a value in the mapping (keys and list indices), the root excluded."""
    out = []
    items = data.items() if isinstance(data, dict) else enumerate(data)
    for key, value in items:
        out.append((*trail, key))
        if isinstance(value, dict | list):
            out.extend(_places(value, (*trail, key)))
    return out


PLACES = _places(RAW)


def _get(data: Any, trail: tuple) -> Any:
    for key in trail:
        data = data[key]
    return data


MAPPINGS = [()] + [p for p in PLACES if isinstance(_get(RAW, p), dict)]

ODD_VALUES = st.one_of(
    st.sampled_from(
        [
            float("nan"),
            float("inf"),
            float("-inf"),
            1e308,
            -1e308,
            10**30,
            -(10**30),
            0,
            -1,
            "",
            "yes",
            "5e-2",
            "1:30",
            "2018-02-31",
            "2014-13",
            "0000",
            "9999-12",
            "a\x00b\nc\x1b",
            "x" * 5000,
            True,
            None,
            [],
            {},
            [1, "two", None],
            {"deep": {"er": [1, {"x": float("nan")}]}},
        ]
    ),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)

MUTATION = st.one_of(
    st.tuples(st.just("replace"), st.sampled_from(PLACES), ODD_VALUES),
    st.tuples(st.just("delete"), st.sampled_from(PLACES), st.none()),
    st.tuples(st.just("add"), st.sampled_from(MAPPINGS), st.text(min_size=1, max_size=12)),
)


def _mutate(data: Any, kind: str, trail: tuple, extra: Any) -> None:
    if kind == "add":
        _get(data, trail)[extra] = 1.0
        return
    parent = _get(data, trail[:-1])
    if kind == "delete":
        del parent[trail[-1]]
    else:
        parent[trail[-1]] = extra


def _check(path: Path) -> None:
    """Loads, or raises a one-line ScenarioError naming the file; anything else fails."""
    try:
        assert isinstance(load_scenario(path), Scenario)
    except ScenarioError as err:
        assert err.file.startswith(str(path.parent)), str(err)
        assert len(str(err).splitlines()) == 1, repr(str(err))
        assert "Traceback" not in str(err)


@FUZZ
@given(st.lists(MUTATION, min_size=1, max_size=3))
def test_mutated_baseline_loads_or_is_refused_on_one_line(mutations):
    data = yaml.safe_load(yaml.safe_dump(RAW))
    for kind, trail, extra in mutations:
        # an earlier mutation may have removed or replaced what this one points at
        with contextlib.suppress(KeyError, IndexError, TypeError):
            _mutate(data, kind, trail, extra)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzzed.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        _check(path)


TEXT = yaml.safe_dump(RAW, sort_keys=False)
INSERTS = ["[", "]", "{", "}", ":", ": ", "- ", "&a ", "*a", "!!", "\t", "\x00", "'", '"', "\n  "]


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(TEXT) - 1),
            st.integers(min_value=0, max_value=20),
            st.sampled_from(INSERTS),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_corrupted_text_loads_or_is_refused_on_one_line(edits):
    text = TEXT
    for at, cut, insert in edits:
        at = min(at, len(text))
        text = text[:at] + insert + text[at + cut :]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzzed.yaml"
        path.write_text(text, encoding="utf-8")
        _check(path)
