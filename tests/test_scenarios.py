"""The scenario library: every file in scenarios/ validates, and policies differ from the base."""

from pathlib import Path

import pytest
from support import BASELINE, ROOT

from sim.compare.engine import check_compatible, first_difference
from sim.scenario.extends import load_raw
from sim.scenario.load import load_scenario

SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))  # scenarios/sweeps/ is not scenarios
POLICIES = [p for p in SCENARIOS if p.resolve() != BASELINE.resolve()]


def test_library_is_present():
    names = {p.stem for p in SCENARIOS}
    assert "baseline" in names and len(POLICIES) >= 10


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_every_scenario_validates(path: Path):
    scenario = load_scenario(path)
    assert scenario.meta.description.strip()


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.name)
def test_policy_files_are_commented_comparable_changes_of_the_baseline(path: Path):
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#"), "a policy file opens with a comment on what it represents"
    base, policy = load_scenario(BASELINE), load_scenario(path)
    check_compatible(base, [policy], [str(path)])
    assert policy.world == base.world, "a policy changes levers (policy), not world assumptions"
    assert first_difference(base, policy) is not None, "a policy must change something"


def test_policy_files_extend_the_baseline_and_override_only_policy_and_meta():
    for path in POLICIES:
        raw, origin = load_raw(path)
        own = {leaf.split(".")[0] for leaf, file in origin.items() if file == path.resolve()}
        assert own <= {"meta", "policy"}, f"{path.name} overrides {sorted(own)}"


def test_scenario_names_are_unique():
    names = [load_scenario(p).meta.name for p in SCENARIOS]
    assert len(names) == len(set(names))
