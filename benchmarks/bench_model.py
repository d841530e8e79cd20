"""Benchmark: cost of the model per agent-month, vectorized, against one Mesa object per official.

Runs the baseline (1978-2030) at a few scales and reports wall time and nanoseconds per
official-month (officials present in office or under way, summed over months). Then times the
same monthly exposure step written with one Mesa ``Agent`` per official, on a sample, to show
why officials are held as arrays. Prints ``RESULT`` lines for tracking.

Usage: ``python benchmarks/bench_model.py [--scales 1 10] [--repeat 2]``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import mesa
import numpy as np

from sim.runs.replicates import run
from sim.scenario.io import load_scenario

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.yaml"


def agent_months(result) -> float:
    m = result.monthly
    present = m[["in_office", "under_investigation", "stock_abroad", "stock_missing"]].sum(axis=1)
    return float(present.sum())


class _Official(mesa.Agent):
    """One official as a Python object: the design the project rejected, for comparison."""

    def __init__(self, model: mesa.Model, rate: float, threshold: float) -> None:
        super().__init__(model)
        self.rate = rate
        self.threshold = threshold
        self.hazard = 0.0
        self.exposed = False

    def step(self) -> None:
        if self.exposed:
            return
        gains = self.rate * self.model.months
        self.hazard += 0.05 * (1 + 2 * self.model.campaign) * (max(gains, 1.0) / 1e6) ** 0.25 / 12
        if self.hazard >= self.threshold:
            self.exposed = True


class _ObjectModel(mesa.Model):
    def __init__(self, n: int) -> None:
        super().__init__(rng=np.random.default_rng(0))
        self.months = 0
        self.campaign = 0.2
        rng = np.random.default_rng(1)
        for rate, thr in zip(rng.lognormal(7, 1.5, n), rng.exponential(1.0, n), strict=True):
            _Official(self, float(rate), float(thr))

    def step(self) -> None:
        self.months += 1
        self.agents.do("step")


def bench_objects(n: int = 20_000, months: int = 24) -> float:
    model = _ObjectModel(n)
    began = time.perf_counter()
    for _ in range(months):
        model.step()
    return (time.perf_counter() - began) / (n * months) * 1e9


def bench_vectorized_step(n: int = 1_000_000, months: int = 24) -> float:
    rng = np.random.default_rng(1)
    rate, thr = rng.lognormal(7, 1.5, n), rng.exponential(1.0, n)
    hazard = np.zeros(n)
    began = time.perf_counter()
    for t in range(1, months + 1):
        gains = rate * t
        hazard += 0.05 * (1 + 2 * 0.2) * np.power(np.maximum(gains, 1.0) / 1e6, 0.25) / 12
        _ = hazard >= thr
    return (time.perf_counter() - began) / (n * months) * 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    for scale in args.scales:
        scenario = load_scenario(BASELINE, {"run.scale": scale, "run.event_log": False})
        times = []
        for k in range(args.repeat):
            began = time.perf_counter()
            result = run(scenario, k)
            times.append(time.perf_counter() - began)
        best = min(times)
        am = agent_months(result) / scale
        print(
            f"scale={scale}: best of {args.repeat} runs {best:.2f} s, "
            f"{am / 1e6:.1f} M agent-months, {best / am * 1e9:.1f} ns per agent-month"
        )
        print(f"RESULT scale={scale} run_s={best:.3f} ns_per_agent_month={best / am * 1e9:.2f}")
    obj = bench_objects()
    vec = bench_vectorized_step()
    print(f"exposure step, one Mesa object per official: {obj:.0f} ns per agent-month")
    print(f"exposure step, numpy arrays:                 {vec:.1f} ns per agent-month")
    print(f"RESULT object_ns={obj:.1f} vectorized_ns={vec:.2f} ratio={obj / vec:.0f}")


if __name__ == "__main__":
    main()
