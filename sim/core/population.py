"""The officials: a vectorized population (struct of numpy arrays with stable ids).

Each official is an individual agent with its own state and its own random draws, but officials
are held as arrays rather than one Python object each: the oracle with one Mesa agent per
official (tests/reference) is about 330 times slower on the same rules at 100k officials
(benchmarks/bench_model.py). Ids are array positions, given in order of entry and
never reused. Every draw is counter-based on ``(stream, id, step)`` (see :mod:`sim.core.rng`), so an
official's fate depends only on its own draws and on the world it sees.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
from scipy.special import gammaincinv, ndtri

from sim.core import draw_kernels, pool_kernels, roster_kernels, rules
from sim.core.rng import Streams, to_normal
from sim.scenario.schema import Scenario
from sim.world.countries import load_countries
from sim.world.dates import iso_month, month_of

CAREER_SHAPE = 4.0
"""Gamma shape of career length in office (assumption: careers cluster around their mean)."""
MAX_TENURE_MONTHS = 45 * 12
"""Longest time in office before the run starts that an initial official can have (assumption)."""


def to_officials(agents: np.ndarray | float, scale: int) -> np.ndarray | float:
    """Real officials that counts of simulated agents stand for: each agent is ``scale``.

    The one conversion from the simulated population to reported numbers (the model's records
    and the network term officials see both use it).
    """
    return agents * scale


class OfficialState(IntEnum):
    """Exactly one state per official at any time."""

    IN_OFFICE = 0
    INVESTIGATED = 1
    ABROAD = 2
    MISSING = 3
    CAUGHT = 4
    RETURNED = 5
    PROSECUTED_ABROAD = 6
    SANCTIONED_AT_HOME = 7
    RETIRED_OR_DEAD = 8


S = OfficialState
CAUGHT_HOW = ("home", "border")
ENDED_HOW = ("retired", "died_abroad")
EVENTS = (
    "exposed_stayed",
    "went_missing",
    "caught_border",
    "fled_abroad",
    "family_moved_abroad",
    "sanctioned_at_home",
    "caught_home",
    "returned",
    "prosecuted_abroad",
    "moved_on",
    "died_abroad",
    "assets_confiscated",
    "returned_covertly",
)


class CorruptPool:
    """Corrupt officials who may still be in office, in aligned arrays with spare capacity.

    Holds what the monthly exposure and family clocks need without gathering from the full
    population arrays. Entries that have left office are masked by ``alive`` and dropped by
    :meth:`compact` once they are more than a few percent of the pool.
    """

    FIELDS = (
        "ids",
        "rate",
        "base",
        "exposure_hazard",
        "exposure_threshold",
        "family_hazard",
        "family_threshold",
    )

    def __init__(self, capacity: int) -> None:
        self.n = 0
        self.ids = np.zeros(capacity, dtype=np.int64)
        for name in self.FIELDS[1:]:
            setattr(self, name, np.zeros(capacity))

    def columns(self) -> tuple[np.ndarray, ...]:
        """``(ids, rate, base, exposure_hazard, family_hazard)`` at full capacity, for
        :func:`roster_kernels.enter_officials`, which writes new entries after the first ``n``."""
        return self.ids, self.rate, self.base, self.exposure_hazard, self.family_hazard

    def extend(self, exposure_threshold: np.ndarray, family_threshold: np.ndarray) -> None:
        """Count the entries written after the first ``n``, with their clocks' thresholds."""
        k = exposure_threshold.size
        self.exposure_threshold[self.n : self.n + k] = exposure_threshold
        self.family_threshold[self.n : self.n + k] = family_threshold
        self.n += k

    def view(self, name: str) -> np.ndarray:
        return getattr(self, name)[: self.n]

    def compact(self, alive: np.ndarray) -> None:
        """Keep only the entries where ``alive`` (aligned with the pool) is true."""
        k = int(alive.sum())
        for name in self.FIELDS:
            arr = getattr(self, name)
            arr[:k] = arr[: self.n][alive]
        self.n = k


class EventLog:
    """Transitions other than routine entry and retirement, in columns.

    Each :meth:`add` keeps its ids and the scalars or arrays it was given; :meth:`columns`
    expands them once at the end of the run (cheaper than building five arrays per event).
    """

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, int, int, np.ndarray | int, np.ndarray | int]] = []

    @classmethod
    def empty(cls) -> EventLog:
        return cls()

    def add(self, ids: np.ndarray, step: int, event: str, country=-1, how=-1) -> None:
        if ids.size == 0:
            return
        code = EVENTS.index(event)
        self.parts.append((ids.astype(np.int64), step, code, _own(country), _own(how)))

    def columns(self) -> dict[str, np.ndarray]:
        if not self.parts:
            return {
                "official_id": np.zeros(0, dtype=np.int64),
                "step": np.zeros(0, dtype=np.int32),
                "event": np.zeros(0, dtype=np.int8),
                "country": np.zeros(0, dtype=np.int16),
                "how": np.zeros(0, dtype=np.int8),
            }
        ids, step, event, country, how = zip(*self.parts, strict=True)
        sizes = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
        ends = np.cumsum(sizes)

        def column(values: tuple, dtype) -> np.ndarray:
            """Concatenate per-event values; a scalar stands for its whole event."""
            arrays = [j for j, v in enumerate(values) if type(v) is np.ndarray]
            if not arrays:
                return np.repeat(np.asarray(values, dtype=dtype), sizes)
            scalars = list(values)
            for j in arrays:
                scalars[j] = 0
            out = np.repeat(np.asarray(scalars, dtype=dtype), sizes)
            for j in arrays:
                out[ends[j] - sizes[j] : ends[j]] = values[j]
            return out

        return {
            "official_id": np.concatenate(ids),
            "step": np.repeat(np.asarray(step, dtype=np.int32), sizes),  # always scalars
            "event": np.repeat(np.asarray(event, dtype=np.int8), sizes),
            "country": column(country, np.int16),
            "how": column(how, np.int8),
        }


def _own(value: np.ndarray | int) -> np.ndarray | int:
    """A scalar as is, an array as a copy (the log must not see later changes to it)."""
    return np.array(value) if isinstance(value, np.ndarray) else value


WHOLE_MONTH_MARGIN = 1e-9
"""Relative distance from a whole month within which :func:`career_quantile` asks scipy."""


def career_quantile(
    u: np.ndarray, career_years: float, served_u: np.ndarray | None = None
) -> np.ndarray:
    """Career lengths as Gamma(``CAREER_SHAPE``) quantiles of ``u`` (before scaling to months).

    Only whole months of a career are ever used (the exit month, and for initial officials the
    whole months already served, ``served_u`` x career). Those are exactly the whole months of
    ``scipy.special.gammaincinv``, which defines the career: the fast quantile
    (:func:`roster_kernels.gamma4_quantile`, shape 4 only) is within ~1e-14 of it, and any career
    within ``WHOLE_MONTH_MARGIN`` of a whole month is taken from scipy itself.
    """
    if CAREER_SHAPE != 4.0:
        return gammaincinv(CAREER_SHAPE, u)
    career = roster_kernels.gamma4_quantile(u, ndtri(u))
    served = np.zeros(0) if served_u is None else served_u
    near = roster_kernels.near_whole_months(
        career, career_years, CAREER_SHAPE, served, WHOLE_MONTH_MARGIN
    )
    if near.any():
        career[near] = gammaincinv(CAREER_SHAPE, u[near])
    return career


def entry_schedule(scenario: Scenario) -> tuple[int, np.ndarray]:
    """Initial number of simulated officials and entries per step (deterministic).

    Entries replace retirements and add growth: the expected stock is
    ``N0 (1 + g)^years`` and entries per month are that stock over the mean career, plus growth.
    """
    pop = scenario.world.population
    scale = scenario.run.scale
    n0 = max(int(round(pop.initial_officials / scale)), 1)
    t = np.arange(scenario.n_steps + 1) / 12.0
    stock = n0 * (1.0 + pop.growth_per_year) ** t
    per_month = stock / (pop.career_years * 12.0)
    cumulative = np.cumsum(per_month[:-1]) + np.maximum(np.diff(stock), 0.0).cumsum()
    counts = np.diff(np.floor(np.concatenate([[0.0], cumulative]))).astype(np.int64)
    return n0, counts


def most_wanted_steps(scenario: Scenario) -> dict[int, list[tuple[int, float]]]:
    """The run's most-wanted lists by step: ``(simulated size, pursuit_multiplier)`` each.

    A list of ``size`` real fugitives holds ``round(size / run.scale)`` simulated ones; lists
    dated before the run's start are left out.
    """
    out: dict[int, list[tuple[int, float]]] = {}
    for item in scenario.policy.most_wanted:
        step = month_of(item.date) - scenario.start_month
        if step >= 0:
            size = int(round(item.size / scenario.run.scale))
            out.setdefault(step, []).append((size, item.pursuit_multiplier))
    return out


class OfficialPopulation:
    """All officials of one run, as arrays indexed by official id."""

    def __init__(self, scenario: Scenario, streams: Streams, gains_index: np.ndarray) -> None:
        """Create the population present at the start of the run.

        Args:
            scenario: the valid scenario.
            streams: the run's named streams.
            gains_index: cumulative sum of China's income index by month, from
                ``scenario.start_month - MAX_TENURE_MONTHS`` to the end of the run.
        """
        self.world = scenario.world
        self.start_month = scenario.start_month  # calendar month of step 0, for record()
        self.streams = streams
        self.offset = MAX_TENURE_MONTHS  # gains_index position of step 0
        self.gains_index = gains_index
        n0, self.entries = entry_schedule(scenario)
        capacity = n0 + int(self.entries.sum())
        self.n = 0
        self.rank = np.zeros(capacity, dtype=np.int8)
        self.corrupt = np.zeros(capacity, dtype=bool)
        self.gains_rate = np.zeros(capacity)
        self.entry_step = np.zeros(capacity, dtype=np.int32)
        self.exit_step = np.zeros(capacity, dtype=np.int32)
        # retirement calendar: officials filed by exit step (a linked list per step), so a month
        # visits only those whose career ends then instead of scanning every official
        self.exit_head = np.full(scenario.n_steps, -1, dtype=np.int32)
        self.exit_next = np.full(capacity, -1, dtype=np.int32)
        self.state = np.full(capacity, S.IN_OFFICE, dtype=np.int8)
        self.state_step = np.zeros(capacity, dtype=np.int32)
        self.how = np.full(capacity, -1, dtype=np.int8)
        self.family_country = np.full(capacity, -1, dtype=np.int16)
        self.destination = np.full(capacity, -1, dtype=np.int16)
        self.fled_step = np.full(capacity, -1, dtype=np.int32)
        self.gains_usd = np.zeros(capacity)
        self.assets_taken_usd = np.zeros(capacity)
        self.assets_recovered_usd = np.zeros(capacity)
        self.counts = np.zeros(len(S), dtype=np.int64)
        # fugitives differ (issue 11): return frailty drawn on flight, most-wanted flags
        self.frailty = np.ones(capacity)
        self.wanted = np.zeros(capacity)
        self.listed = np.zeros(capacity, dtype=bool)
        self.listed_ids = np.zeros(0, dtype=np.int64)
        self.lists = most_wanted_steps(scenario)
        self.pool = CorruptPool(capacity)
        self.investigated_ids = np.zeros(0, dtype=np.int64)
        self.missing_ids = np.zeros(0, dtype=np.int64)
        self.abroad_ids = np.zeros(0, dtype=np.int64)
        self.log = EventLog.empty() if scenario.run.event_log else None
        self._rank_bounds = np.cumsum(self.world.population.rank_shares)
        self._rank_multiplier = np.asarray(self.world.corruption.rank_gain_multiplier, dtype=float)
        cor, pop = self.world.corruption, self.world.population
        self._entry_constants = np.array(
            [
                cor.share_corrupt,
                cor.gains_usd_per_month,
                pop.career_years,
                CAREER_SHAPE,
                MAX_TENURE_MONTHS,
            ],
            dtype=float,
        )
        draw = streams["population"]
        self._entry_salts = np.array([draw.salt(0, k) for k in range(5)], dtype=np.uint64)
        self._threshold_salts = np.array(
            [streams["exposure"].salt(0), streams["family"].salt(0)], dtype=np.uint64
        )
        self._add(n0, step=0, initial=True)

    # ------------------------------------------------------------------ entry and retirement
    def _add(self, count: int, step: int, initial: bool = False) -> None:
        if count <= 0:
            return
        first = self.n
        ids = np.arange(first, first + count, dtype=np.int64)
        self.n += count
        pop, cor = self.world.population, self.world.corruption
        # the population stream's draws k = 0..4 at month 0 (k = 4 only for initial officials):
        # rank, corrupt, gains, career, share of the career already served
        u = draw_kernels.uniform_rows(ids, self._entry_salts if initial else self._entry_salts[:4])
        luck = np.exp(cor.gains_sigma * to_normal(u[2]))
        served_u = u[4] if initial else None
        career = career_quantile(np.clip(u[3], 1e-12, 1 - 1e-12), pop.career_years, served_u)
        # the rows' arithmetic and bookkeeping (rank, gains rate, entry and exit, calendar)
        new = roster_kernels.enter_officials(
            first,
            u[[0, 1, 4]] if initial else u[:2],
            luck,
            career,
            step,
            initial,
            self._entry_constants,
            self._rank_bounds,
            self._rank_multiplier,
            (
                self.rank,
                self.corrupt,
                self.gains_rate,
                self.entry_step,
                self.exit_step,
                self.state_step,
            ),
            self.exit_head,
            self.exit_next,
            self.pool.columns(),
            self.pool.n,
            self.gains_index,
            self.offset,
        )
        self.counts[S.IN_OFFICE] += count
        # integrated-hazard clocks: an event happens when the cumulative hazard passes an Exp(1)
        # threshold drawn once per official (exact for piecewise-constant monthly hazards)
        thresholds = -np.log1p(-draw_kernels.uniform_rows(new, self._threshold_salts))
        self.pool.extend(thresholds[0], thresholds[1])

    def corrupt_month(self, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The corrupt pool at ``step``, aligned with ``pool.ids``; compacts it when many left.

        Returns:
            ``(alive, gains, ratio)``: still in office; illicit gains accumulated in office up
            to ``step`` (US$ of the month); ``max(gains, 1) / exposure.reference_gains_usd``.
        """
        pool = self.pool
        while True:
            alive, n_alive, gains, ratio = pool_kernels.pool_gains(
                pool.view("ids"),
                self.state,
                int(S.IN_OFFICE),
                pool.view("rate"),
                pool.view("base"),
                self.gains_index[self.offset + step],
                self.world.exposure.reference_gains_usd,
            )
            if pool.n - n_alive <= 0.05 * pool.n:
                return alive, gains, ratio
            pool.compact(alive)

    def enter_and_retire(self, step: int) -> tuple[int, int]:
        """New officials enter; those whose career ends now and are still in office retire."""
        entered = int(self.entries[step]) if step < len(self.entries) else 0
        self._add(entered, step)
        leaving = roster_kernels.pop_exits(
            self.exit_head, self.exit_next, self.state, int(S.IN_OFFICE), step
        )
        self.set_state(leaving, S.RETIRED_OR_DEAD, step, how=0)
        return entered, int(leaving.size)

    # ----------------------------------------------------------------------------- helpers
    def set_state(self, ids: np.ndarray, state: OfficialState, step: int, how: int = -1) -> None:
        """Move officials ``ids`` into ``state`` at ``step`` (``how``: channel or manner, if any).

        Keeps the per-state ``counts`` in step with the ``state`` array.
        """
        if ids.size:
            roster_kernels.move_state(
                self.state, self.state_step, self.how, self.counts, ids, int(state), step, how
            )

    def log_event(self, ids: np.ndarray, step: int, event: str, country=-1, how=-1) -> None:
        """Add an event (one of ``EVENTS``) for officials ``ids`` to the log, if one is kept."""
        if self.log is not None:
            self.log.add(ids, step, event, country, how)

    def members(self, ids: np.ndarray, state: OfficialState, since: np.ndarray, step: int):
        """Of a list of ``ids``: those still in ``state``, and of them those with ``since < step``.

        Returns:
            ``(kept, ready)``: the list without those who left ``state``, and its members whose
            ``since`` step (e.g. ``state_step``) is before ``step``.
        """
        return roster_kernels.members(ids, self.state, int(state), since, step)

    # ------------------------------------------------------------------------ record view
    def record(self, official_id: int) -> dict[str, object]:
        """A readable view of one official: state names, ``YYYY-MM`` months and ISO3 codes.

        Months are calendar months (``entered`` may precede the run's start for officials in
        office when it begins); places are the ISO3 codes of the country table (``X..`` for an
        aggregate row). A month or place that does not apply (never fled, no family
        abroad) is ``None``.

        Raises:
            KeyError: if no official has this id.
        """
        i = int(official_id)
        if not 0 <= i < self.n:
            raise KeyError(f"no official with id {i} (ids run from 0 to {self.n - 1})")
        state = S(int(self.state[i]))
        how = int(self.how[i])
        if state == S.RETURNED:
            how_name = rules.CHANNELS[how]
        elif state == S.CAUGHT:
            how_name = CAUGHT_HOW[how]
        elif state == S.RETIRED_OR_DEAD:
            how_name = ENDED_HOW[how]
        else:
            how_name = None
        codes = load_countries().iso3
        start = self.start_month

        def place(index: int) -> str | None:
            return codes[index] if index >= 0 else None

        fled = int(self.fled_step[i])
        return {
            "official_id": i,
            "rank": int(self.rank[i]),
            "corrupt": bool(self.corrupt[i]),
            "entered": iso_month(start + int(self.entry_step[i])),
            "state": state.name.lower(),
            "state_since": iso_month(start + int(self.state_step[i])),
            "how": how_name,
            "family_country": place(int(self.family_country[i])),
            "destination": place(int(self.destination[i])),
            "fled": iso_month(start + fled) if fled >= 0 else None,
            "gains_usd": float(self.gains_usd[i]),
            "assets_taken_usd": float(self.assets_taken_usd[i]),
            "assets_recovered_usd": float(self.assets_recovered_usd[i]),
        }
