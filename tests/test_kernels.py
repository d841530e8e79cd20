"""Fast paths (compiled kernels, per-row tables) against the code they replace, exactly."""

import numpy as np
import pytest
from scipy.special import gammainc, gammaincinv, ndtri

from sim.core import (
    abroad_kernels,
    draw_kernels,
    numba_cache,
    pool_kernels,
    roster_kernels,
    rule_kernels,
    rules,
)
from sim.core.population import career_quantile
from sim.core.rng import Streams
from sim.scenario.world import Cooperation, Corruption, Decision, Destination, Exposure, Returns
from sim.world.countries import load_countries


def test_retirement_calendar_finds_exactly_the_scan():
    rng = np.random.default_rng(5)
    n_steps, n = 60, 5000
    head = np.full(n_steps, -1, dtype=np.int32)
    nxt = np.full(n, -1, dtype=np.int32)
    exits = rng.integers(1, 2 * n_steps, n)  # some exit after the run and are never filed
    state = np.zeros(n, dtype=np.int8)
    for start in range(0, n, 700):  # filed in batches, as officials enter
        ids = np.arange(start, min(start + 700, n), dtype=np.int64)
        roster_kernels.push_exits(head, nxt, ids, exits[ids])
    for step in range(n_steps):
        state[rng.integers(0, n, 40)] = rng.integers(1, 9)  # some left office another way
        expected = np.flatnonzero((exits == step) & (state == 0))
        got = roster_kernels.pop_exits(head, nxt, state, 0, step)
        assert np.array_equal(got, expected)
        state[got] = 8
    assert roster_kernels.pop_exits(head, nxt, state, 0, n_steps).size == 0


def _pool(rng: np.random.Generator, n: int):
    ids = np.sort(rng.choice(3 * n, n, replace=False)).astype(np.int64)
    alive = rng.random(n) < 0.9
    family_country = np.where(rng.random(3 * n) < 0.3, rng.integers(0, 70, 3 * n), -1)
    gains = rng.lognormal(11.0, 3.0, n) * (rng.random(n) < 0.95)  # some below one US$
    hazard = rng.exponential(0.5, n) * (rng.random(n) < 0.8)
    threshold = rng.exponential(1.0, n)
    return ids, alive, family_country.astype(np.int16), gains, hazard, threshold


def _parameters(rng: np.random.Generator):
    exposure = Exposure(
        base_per_year=rng.uniform(0.001, 0.2),
        campaign_effect=rng.uniform(0.0, 5.0),
        gains_elasticity=rng.uniform(0.0, 1.0),
        reference_gains_usd=rng.uniform(1e4, 1e7),
        naked_official_effect=rng.uniform(0.0, 3.0),
    )
    corruption = Corruption(
        family_abroad_per_year=rng.uniform(0.001, 0.1),
        family_gains_elasticity=rng.uniform(0.0, 1.0),
    )
    return exposure, corruption, rng.uniform(0.0, 2.0), rng.uniform(0.0, 1.0)


def test_pool_gains_match_the_population_formula():
    rng = np.random.default_rng(10)
    state = rng.integers(0, 3, 9000).astype(np.int8)
    for n in (0, 1, 17, 3000):
        ids = rng.choice(9000, n, replace=False).astype(np.int64)
        rate, base = rng.lognormal(6.0, 2.0, n), rng.uniform(0.0, 300.0, n)
        now, reference = float(rng.uniform(0.0, 400.0)), float(rng.uniform(1e4, 1e6))
        alive, n_alive, gains, ratio = pool_kernels.pool_gains(
            ids, state, 0, rate, base, now, reference
        )
        assert np.array_equal(alive, state[ids] == 0) and n_alive == alive.sum()
        assert np.array_equal(gains, rate * (now - base))
        assert np.array_equal(ratio, np.maximum(gains, 1.0) / reference)


def test_family_clock_implements_the_family_rule_exactly():
    rng = np.random.default_rng(11)
    for n in (0, 1, 17, 5000):
        exposure, corruption, _, naked_rules = _parameters(rng)
        ids, alive, family_country, gains, hazard, threshold = _pool(rng, n)
        rate = rules.family_abroad_rate(
            gains, naked_rules, exposure.reference_gains_usd, corruption
        )
        without = alive & (family_country[ids] < 0)
        expected_hazard = hazard + np.where(without, rate / 12.0, 0.0)
        expected = np.flatnonzero(without & (expected_hazard >= threshold))
        ratio = np.maximum(gains, 1.0) / exposure.reference_gains_usd
        got = pool_kernels.family_clock(
            ids,
            alive,
            family_country,
            np.power(ratio, corruption.family_gains_elasticity),
            corruption.family_abroad_per_year,
            1.0 + naked_rules,
            hazard,
            threshold,
        )
        assert np.array_equal(got, expected)
        assert np.array_equal(hazard, expected_hazard)  # bit for bit, updated in place


def test_exposure_clock_implements_the_exposure_rule_exactly():
    rng = np.random.default_rng(12)
    for n in (0, 1, 17, 5000):
        exposure, _, campaign, naked_rules = _parameters(rng)
        ids, alive, family_country, gains, hazard, threshold = _pool(rng, n)
        family = (family_country[ids] >= 0).astype(float)
        rate = rules.exposure_rate(gains, family, campaign, naked_rules, exposure)
        expected_hazard = hazard + rate / 12.0
        expected = np.flatnonzero(alive & (expected_hazard >= threshold))
        ratio = np.maximum(gains, 1.0) / exposure.reference_gains_usd
        got = pool_kernels.exposure_clock(
            ids,
            alive,
            family_country,
            np.power(ratio, exposure.gains_elasticity),
            exposure.base_per_year * (1.0 + exposure.campaign_effect * campaign),
            exposure.naked_official_effect * naked_rules,
            hazard,
            threshold,
        )
        assert np.array_equal(got, expected)
        assert np.array_equal(hazard, expected_hazard)


def test_move_state_matches_the_numpy_bookkeeping():
    rng = np.random.default_rng(13)
    n = 2000
    state = rng.integers(0, 9, n).astype(np.int8)
    state_step = rng.integers(0, 50, n).astype(np.int32)
    how = rng.integers(-1, 5, n).astype(np.int8)
    counts = np.bincount(state, minlength=9).astype(np.int64)
    for step, how_code in ((50, -1), (51, 3), (52, 0)):
        ids = rng.choice(n, 300, replace=False).astype(np.int64)
        new = int(rng.integers(0, 9))
        expected_counts = counts - np.bincount(state[ids], minlength=9)
        expected_counts[new] += ids.size
        expected_how = how.copy()
        if how_code >= 0:
            expected_how[ids] = how_code
        roster_kernels.move_state(state, state_step, how, counts, ids, new, step, how_code)
        assert np.all(state[ids] == new) and np.all(state_step[ids] == step)
        assert np.array_equal(how, expected_how)
        assert np.array_equal(counts, expected_counts)
        assert np.array_equal(counts, np.bincount(state, minlength=9))


def test_members_matches_the_numpy_filters():
    rng = np.random.default_rng(14)
    state = rng.integers(0, 4, 3000).astype(np.int8)
    since = rng.integers(0, 20, 3000).astype(np.int32)
    for size in (0, 1, 500):
        ids = rng.permutation(3000)[:size].astype(np.int64)
        kept, ready = roster_kernels.members(ids, state, 2, since, 10)
        expected_kept = ids[state[ids] == 2]
        assert np.array_equal(kept, expected_kept)
        assert np.array_equal(ready, expected_kept[since[expected_kept] < 10])


def test_cache_dir_falls_back_only_when_numba_has_nowhere_to_write(tmp_path):
    fallback = str(tmp_path / "fallback")
    blocked = "/dev/null/cache"  # under a file: never creatable, not even by root
    assert numba_cache.cache_dir_fallback(blocked, blocked, fallback) == fallback
    assert numba_cache.cache_dir_fallback(str(tmp_path / "tree"), blocked, fallback) is None
    assert numba_cache.cache_dir_fallback(blocked, str(tmp_path / "user"), fallback) is None


def test_hazards_by_row_equal_hazards_by_official():
    """transitions.abroad reads return and move-on hazards from a (family, country) table."""
    rng = np.random.default_rng(15)
    n_c, n = 74, 4000
    country = {
        name: rng.random(n_c)
        for name in ("treaty", "cooperation", "fair", "asylum", "abolished", "legal", "region")
    }
    country["treaty"] = (country["treaty"] < 0.5).astype(float)
    dest = rng.integers(0, n_c, n)
    family = rng.random(n) < 0.3
    levers = {"pursuit": 1.3, "persuasion_program": 0.7, "leniency": 0.4}
    p, d = Returns(), Destination()

    def rates(index: np.ndarray, family_abroad: np.ndarray) -> np.ndarray:
        return rules.return_rates(
            country["treaty"][index],
            country["cooperation"][index],
            country["fair"][index],
            country["asylum"][index] * 3.0,
            country["abolished"][index],
            family_abroad,
            legal_assistance=country["legal"][index],
            p=p,
            **levers,
        )

    both = np.concatenate([np.arange(n_c), np.arange(n_c)])
    by_row = rates(both, np.repeat([0.0, 1.0], n_c))
    row = dest + n_c * family
    direct = rates(dest, family.astype(float))
    assert np.array_equal(by_row[row], direct)
    total = direct.sum(axis=1)
    assert np.array_equal(by_row.sum(axis=1)[row], total)
    assert np.array_equal(
        rules.monthly_probability(by_row.sum(axis=1))[row], rules.monthly_probability(total)
    )
    transit = country["region"] < 0.2
    assert np.array_equal(
        rules.move_on_probability(by_row.sum(axis=1), transit[both].astype(float), d)[row],
        rules.move_on_probability(total, transit[dest].astype(float), d),
    )


def _career_uniforms(rng: np.random.Generator, n: int) -> np.ndarray:
    """Uniforms over (0, 1) with both tails down to the model's clip at 1e-12."""
    u = np.concatenate(
        [rng.random(n), 10 ** rng.uniform(-12, -1, n // 4), 1 - 10 ** rng.uniform(-12, -1, n // 4)]
    )
    return np.clip(u, 1e-12, 1 - 1e-12)


def test_gamma4_quantile_is_within_1e_14_of_scipy():
    u = _career_uniforms(np.random.default_rng(16), 400_000)
    fast = roster_kernels.gamma4_quantile(u, ndtri(u))
    exact = gammaincinv(4.0, u)
    assert np.max(np.abs(fast - exact) / exact) < 1e-14


def test_career_whole_months_are_those_of_scipy():
    rng = np.random.default_rng(17)
    for career_years in (0.5, 7.0, 18.0, 33.3):
        u = _career_uniforms(rng, 200_000)
        served_u = rng.random(u.size)
        # a few uniforms whose scipy career falls exactly on a whole month, and next to one
        whole = np.arange(1, 400, dtype=float)
        on = gammainc(4.0, whole * 4.0 / (career_years * 12.0))
        on = on[(on > 1e-12) & (on < 1 - 1e-12)]
        u = np.concatenate([u, on, np.nextafter(on, 0.0), np.nextafter(on, 1.0)])
        served_u = np.concatenate([served_u, rng.random(u.size - served_u.size)])
        exact = gammaincinv(4.0, u)
        for served in (None, served_u):
            got = career_quantile(u, career_years, served)
            a = _whole_months(got, career_years, served)
            assert a == _whole_months(exact, career_years, served)


def _whole_months(career: np.ndarray, career_years: float, served) -> tuple:
    """The only uses of a career in the model: whole months of career and of time served."""
    months = np.maximum(career * career_years * 12.0 / 4.0, 1.0)
    out = (months.astype(np.int64).tobytes(),)
    if served is not None:
        out += (np.minimum(served * months, 540).astype(np.int64).tobytes(),)
    return out


def test_choose_kernel_is_the_choice_rule_exactly():
    rng = np.random.default_rng(21)
    for n, k in ((0, 3), (1, 1), (50, 3), (400, 5), (300, 74)):
        probs = rules.softmax(rng.normal(0.0, 3.0, (n, k)))
        probs[: n // 4, 0] = 0.0  # impossible options
        u = rng.random(n)
        # uniforms falling exactly on running sums, where ``<=`` decides
        u[n // 2 : n // 2 + n // 10] = np.cumsum(probs, axis=1)[n // 2 : n // 2 + n // 10, 0]
        assert np.array_equal(rule_kernels.choose(probs, u), rules.choose(probs, u))


def test_abroad_fates_are_the_masks_drawn_in_turn():
    rng = np.random.default_rng(22)
    streams = Streams(seed=3, replicate=1)
    for n in (0, 1, 40, 3000):
        ids = np.sort(rng.choice(10 * n + 1, n, replace=False)).astype(np.int64)
        destination = rng.integers(0, 74, 10 * n + 1).astype(np.int16)
        family_country = np.where(rng.random(10 * n + 1) < 0.3, 5, -1).astype(np.int16)
        row = destination[ids] + 74 * (family_country[ids] >= 0)
        p_event, p_move = rng.uniform(0.0, 0.3, 148), rng.uniform(0.0, 0.3, 148)
        p_death = float(rng.uniform(0.0, 0.3))
        step = int(rng.integers(0, 600))
        fate = rule_kernels.abroad_fates(
            ids,
            destination,
            family_country,
            p_event,
            streams["return"].salt(step, 0),
            p_death,
            streams["death"].salt(step),
            p_move,
            streams["move"].salt(step),
        )
        event = streams["return"].uniform(ids, step, 0) < p_event[row]
        died = ~event & (streams["death"].uniform(ids, step) < p_death)
        moves = ~event & ~died & (streams["move"].uniform(ids, step) < p_move[row])
        assert np.array_equal(fate == rule_kernels.ABROAD_EVENT, event)
        assert np.array_equal(fate == rule_kernels.ABROAD_DIED, died)
        assert np.array_equal(fate == rule_kernels.ABROAD_MOVES, moves)
        assert np.array_equal(fate == rule_kernels.ABROAD_STAYS, ~event & ~died & ~moves)


def test_response_kernels_implement_the_response_rule_exactly():
    rng = np.random.default_rng(23)
    for n in (0, 1, 30, 4000):
        p = Decision(
            hide_constant=rng.normal(-1.0, 1.0),
            flee_constant=rng.normal(-2.0, 1.0),
            flee_gains=rng.uniform(0.0, 1.0),
            hide_gains=rng.uniform(-0.5, 0.5),
            hide_rank=rng.normal(-0.5, 0.3),
            flee_family_abroad=rng.uniform(0.0, 2.0),
            flee_destinations=rng.uniform(0.0, 1.0),
            exit_control_deterrence=rng.uniform(0.0, 2.0),
            naked_rule_deterrence=rng.uniform(0.0, 2.0),
            leniency_stay=rng.uniform(0.0, 2.0),
        )
        gains = rng.lognormal(11.0, 3.0, n) * (rng.random(n) < 0.95)
        rank = rng.integers(0, 4, n).astype(float)
        family = (rng.random(n) < 0.3).astype(float)
        logsum = rng.normal(0.0, 2.0, n)
        exit_controls, naked, leniency, reference = rng.uniform(0.0, 1.0, 4) * [1, 1, 1, 1e6]
        expected = rules.response_probabilities(
            gains, rank, family, logsum, exit_controls, naked, leniency, reference, p
        )
        ids = rng.permutation(3 * n)[:n].astype(np.int64)  # the officials, read by id
        rank_by_id, family_by_id = np.zeros(3 * n, np.int8), np.full(3 * n, -1, np.int16)
        rank_by_id[ids], family_by_id[ids] = rank, np.where(family > 0, 7, -1)
        shifted = rule_kernels.response_shifted(
            np.log(np.maximum(gains, 1.0) / reference),
            ids,
            rank_by_id,
            family_by_id,
            logsum,
            p.leniency_stay * leniency,
            np.array([p.hide_constant, p.hide_gains, p.hide_rank]),
            np.array([p.flee_constant, p.flee_gains, p.flee_family_abroad, p.flee_destinations]),
            p.exit_control_deterrence * exit_controls,
            p.naked_rule_deterrence * naked,
        )
        weights = np.exp(shifted)
        assert np.array_equal(weights / weights.sum(axis=1, keepdims=True), expected)
        u = rng.random(n)
        u[: n // 5] = np.cumsum(expected, axis=1)[: n // 5, 0]  # on a running sum: ``<=`` decides
        assert np.array_equal(rule_kernels.choose_normalized(weights, u), rules.choose(expected, u))


def test_choose_normalized_refuses_rows_numpy_sums_pairwise():
    with pytest.raises(ValueError, match="fewer than 8"):
        rule_kernels.choose_normalized(np.ones((2, 8)), np.zeros(2))


def test_uniform_rows_are_the_streams_draws():
    streams = Streams(seed=9, replicate=2)
    ids = np.array([0, 5, 7, 1_000_003], dtype=np.int64)
    keys = [("population", 0, 3), ("exposure", 0, 0), ("return", 17, 1)]
    salts = np.array([streams[name].salt(t, k) for name, t, k in keys], dtype=np.uint64)
    rows = draw_kernels.uniform_rows(ids, salts)
    for r, (name, t, k) in enumerate(keys):
        assert np.array_equal(rows[r], streams[name].uniform(ids, t, k))


def _near_whole(values: np.ndarray) -> np.ndarray:
    return np.abs(values - np.rint(values)) <= 1e-9 * np.maximum(values, 1.0)


def test_near_whole_months_matches_the_numpy_test():
    rng = np.random.default_rng(24)
    career = rng.gamma(4.0, 1.0, 20000)
    served_u = rng.random(career.size)
    career_years = 17.5
    months = career * career_years * 12.0 / 4.0
    career[:500] = np.rint(months[:500]) * 4.0 / (career_years * 12.0)  # on a whole month
    served_u[500:1000] = np.rint(served_u[500:1000] * 40.0) / 40.0
    months = career * career_years * 12.0 / 4.0
    expected = _near_whole(months)
    assert expected.sum() > 100
    got = roster_kernels.near_whole_months(career, career_years, 4.0, np.zeros(0), 1e-9)
    assert np.array_equal(got, expected)
    expected |= _near_whole(served_u * np.maximum(months, 1.0))
    got = roster_kernels.near_whole_months(career, career_years, 4.0, served_u, 1e-9)
    assert np.array_equal(got, expected)


def test_enter_officials_fills_rows_as_the_numpy_code():
    rng = np.random.default_rng(25)
    for initial, step, n in ((True, 0, 3000), (False, 7, 50), (False, 3, 0)):
        size, n_steps, first = n + 10, 40, 10
        ids = np.arange(first, first + n, dtype=np.int64)
        draws = rng.random((3 if initial else 2, n))
        luck, career = rng.lognormal(0.0, 1.0, n), rng.gamma(4.0, 1.0, n)
        constants = np.array([0.3, 5000.0, 4.0, 4.0, 540.0])
        bounds = np.cumsum([0.5, 0.3, 0.15, 0.05])
        multiplier = np.array([1.0, 2.5, 6.0, 15.0])
        columns = (
            np.zeros(size, dtype=np.int8),
            np.zeros(size, dtype=bool),
            np.zeros(size),
            np.zeros(size, dtype=np.int32),
            np.zeros(size, dtype=np.int32),
            np.zeros(size, dtype=np.int32),
        )
        head = np.full(n_steps, -1, dtype=np.int32)
        nxt = np.full(size, -1, dtype=np.int32)
        pool = tuple(np.full(size, 7.0) for _ in range(5))
        pool = (np.full(size, -1, dtype=np.int64), *pool[1:])
        gains_index = np.cumsum(rng.random(600))
        new = roster_kernels.enter_officials(
            first, draws, luck, career, step, initial, constants, bounds, multiplier,
            columns, head, nxt, pool, 3, gains_index, 550,
        )  # fmt: skip
        rank, corrupt, gains_rate, entry_step, exit_step, state_step = (c[first:] for c in columns)
        want_rank = np.minimum(np.searchsorted(bounds, draws[0], "right"), 3)
        assert np.array_equal(rank, want_rank)
        assert np.array_equal(corrupt, draws[1] < 0.3)
        assert np.array_equal(gains_rate, 5000.0 * multiplier[want_rank] * luck)
        months = np.maximum(career * 4.0 * 12.0 / 4.0, 1.0)
        if initial:
            entry = -np.minimum(draws[2] * months, 540).astype(np.int64)
        else:
            entry = np.full(n, step, dtype=np.int64)
        exit_ = np.maximum(entry + months.astype(np.int64), step + 1)
        assert np.array_equal(entry_step, entry) and np.array_equal(exit_step, exit_)
        assert np.all(state_step == step)
        assert np.array_equal(new, ids[draws[1] < 0.3])
        want_head = np.full(n_steps, -1, dtype=np.int32)
        want_next = np.full(size, -1, dtype=np.int32)
        roster_kernels.push_exits(want_head, want_next, ids, exit_)
        assert np.array_equal(head, want_head) and np.array_equal(nxt, want_next)
        k = new.size
        assert np.array_equal(pool[0][3 : 3 + k], new) and np.all(pool[0][3 + k :] == -1)
        assert np.array_equal(pool[1][3 : 3 + k], columns[2][new])
        assert np.array_equal(pool[2][3 : 3 + k], gains_index[550 + columns[3][new]])
        assert np.all(pool[3][3 : 3 + k] == 0.0) and np.all(pool[4][3 : 3 + k] == 0.0)
        assert np.all(pool[1][:3] == 7.0) and np.all(pool[3][3 + k :] == 7.0)


def test_stock_abroad_matches_the_numpy_count():
    rng = np.random.default_rng(26)
    for n in (0, 1, 500):
        state = rng.integers(0, 9, 3 * n + 1).astype(np.int8)
        destination = rng.integers(0, 74, 3 * n + 1).astype(np.int16)
        ids = rng.choice(3 * n + 1, n, replace=False).astype(np.int64)
        treaty = (rng.random(74) < 0.4).astype(float)
        stock, treaty_free = abroad_kernels.stock_abroad(ids, state, 2, destination, treaty)
        expected = np.bincount(destination[ids[state[ids] == 2]], minlength=74)
        assert np.array_equal(stock, expected)
        assert treaty_free == np.sum(expected * (treaty == 0))


def test_return_rates_by_row_implement_the_return_and_move_on_rules_exactly():
    rng = np.random.default_rng(27)
    n_c = 74
    for _ in range(5):
        values = {f: float(rng.uniform(0.0, 2.0)) for f in Returns.model_fields}
        p = Returns(**{**values, "death_penalty_assurance": float(rng.random())})
        d = Destination(
            move_on_threshold_per_year=rng.uniform(0.0, 1.0),
            move_on_per_year=rng.uniform(0.0, 1.0),
            transit_move_on_per_year=rng.uniform(0.0, 1.0),
        )
        both = np.concatenate([np.arange(n_c), np.arange(n_c)])
        treaty = (rng.random(n_c) < 0.5).astype(float)
        coop, legal = rng.random(n_c), rng.random(n_c) * (rng.random(n_c) < 0.3)
        fair, asylum, abolished = rng.random(2 * n_c), rng.random(2 * n_c) * 3, rng.random(2 * n_c)
        family, transit = np.repeat([0.0, 1.0], n_c), (rng.random(2 * n_c) < 0.1).astype(float)
        pursuit, programme, leniency = rng.uniform(0.0, 2.0, 3)
        expected = rules.return_rates(
            treaty[both], coop[both], fair, asylum, abolished, family,
            pursuit, programme, leniency, legal[both], p,
        )  # fmt: skip
        rates, total, move = rule_kernels.return_rates_by_row(
            both, treaty, coop, legal, fair, asylum, abolished, family, transit,
            np.array([pursuit, programme, leniency]),
            np.array([
                p.persuasion_per_year, p.deportation_per_year, p.extradition_per_year,
                p.prosecution_per_year, p.surrender_per_year, p.family_in_china_effect,
                p.leniency_effect, p.asylum_delay_effect, p.death_penalty_assurance,
            ]),
            np.array(
                [d.move_on_threshold_per_year, d.move_on_per_year, d.transit_move_on_per_year]
            ),
        )  # fmt: skip
        assert np.array_equal(rates, expected)
        assert np.array_equal(total, expected.sum(axis=1))
        assert np.array_equal(
            rules.monthly_probability(move), rules.move_on_probability(total, transit, d)
        )


def test_cooperation_step_implements_the_cooperation_rules_exactly():
    rng = np.random.default_rng(28)
    n = 74
    for stock_scale in (0, 1, 50):
        p = Cooperation(
            adjustment_per_year=rng.uniform(0.0, 3.0),
            pledge_weight=rng.uniform(0.0, 1.0),
            pressure_weight=rng.uniform(0.0, 0.5),
            peer_weight=rng.uniform(0.0, 1.0),
            legal_constraint_weight=rng.uniform(0.0, 1.0),
            backlash_weight=rng.uniform(0.0, 3.0),
        )
        current, base, fair = rng.random(n), rng.random(n), rng.random(n)
        pledge = rng.random(n) * (rng.random(n) < 0.4)
        codes = rng.integers(0, 9, n)
        stock = rng.integers(0, stock_scale + 1, n)
        pressure, coercion = rng.uniform(0.0, 2.0, 2)
        total = max(int(stock.sum()), 1)
        peer = (np.bincount(codes, weights=current) / np.bincount(codes))[codes]
        target = rules.cooperation_target(
            base, pledge, pressure, peer, fair, coercion, stock / total, p
        )
        expected = rules.cooperation_update(current, target, p)
        weights = np.array(
            [
                p.pledge_weight,
                p.pressure_weight,
                p.peer_weight,
                p.legal_constraint_weight,
                p.backlash_weight,
            ]
        )
        adjustment = float(rules.monthly_probability(p.adjustment_per_year))
        got = rule_kernels.cooperation_step(
            current, base, pledge, pressure, codes, stock, fair, coercion, weights, adjustment
        )
        assert np.array_equal(got, expected)


def test_destination_kernels_are_the_destination_rules_exactly():
    rng = np.random.default_rng(29)
    table = load_countries()
    n_c = len(table)
    view = rules.CountryState(
        treaty_in_force=(rng.random(n_c) < 0.5).astype(float),
        cooperation=rng.random(n_c),
        log_diaspora=rng.normal(0.0, 2.0, n_c),
        log_income=rng.normal(0.0, 1.0, n_c),
        distance_1000_km=rng.uniform(0.5, 15.0, n_c),
        investor_visa=table.investor_visa,
        death_penalty_abolished=table.death_penalty_abolished,
        log_hub_weight=rng.normal(0.0, 1.0, n_c),
        log_network=rng.uniform(0.0, 3.0, n_c),
        neighbour=table.neighbour,
    )
    for n in (0, 1, 40, 2000):
        names = ("treaty", "cooperation", "diaspora", "income", "death_penalty_abolished")
        names += ("network", "investor_visa", "distance_per_1000_km")
        values = dict(zip(names, rng.normal(0.0, 1.0, len(names)), strict=True))
        p = Destination(
            hasty_distance_multiplier=rng.uniform(1.0, 4.0),
            hasty_neighbour=rng.normal(1.0, 1.0),
            family_abroad=rng.normal(2.0, 1.0),
            **values,
        )
        family = np.where(rng.random(n) < 0.3, rng.integers(0, n_c, n), -1).astype(np.int16)
        hasty = rng.random(n) < 0.4
        terms = rules.destination_country_terms(view, p)
        got_terms = rule_kernels.destination_terms(
            view.treaty_in_force, view.cooperation, view.log_diaspora, view.log_income,
            view.death_penalty_abolished, view.log_network, view.log_hub_weight,
            view.investor_visa, view.distance_1000_km, np.array([values[k] for k in names]),
        )  # fmt: skip
        for got_term, term in zip(got_terms, terms, strict=True):
            assert np.array_equal(got_term, term)
        expected = rules.destination_utility(view, family, hasty, p)
        weights = np.array([p.hasty_distance_multiplier, p.hasty_neighbour, p.family_abroad])
        got = rule_kernels.destination_utility(family, hasty, *terms, view.neighbour, weights)
        assert np.array_equal(got, expected)


def test_uniform_bands_split_as_the_masks():
    streams = Streams(seed=4, replicate=0)
    rng = np.random.default_rng(30)
    for n, low, high in ((0, 0.2, 0.5), (1, 0.5, 0.5), (3000, 0.1, 0.35), (3000, 0.3, 0.3)):
        ids = rng.choice(50_000, n, replace=False).astype(np.int64)
        u = streams["investigation"].uniform(ids, 12)
        below, between = draw_kernels.uniform_bands(
            ids, streams["investigation"].salt(12), low, high
        )
        assert np.array_equal(below, ids[u < low])
        assert np.array_equal(between, ids[(u >= low) & (u < high)])


def test_arrive_abroad_matches_the_numpy_bookkeeping():
    rng = np.random.default_rng(31)
    size, n_c = 5000, 74
    state = rng.integers(0, 9, size).astype(np.int8)
    columns = (
        state,
        np.zeros(size, dtype=np.int32),
        np.full(size, -1, dtype=np.int16),
        np.full(size, -1, dtype=np.int32),
        rng.lognormal(10.0, 2.0, size),
        np.zeros(size),
    )
    counts = np.bincount(state, minlength=9).astype(np.int64)
    expected = [c.copy() for c in columns]
    want_counts = counts.copy()
    fled_to = rng.integers(0, 5, n_c)
    want_fled_to = fled_to.copy()
    ids = rng.choice(size, 700, replace=False).astype(np.int64)
    where = rng.integers(0, n_c, ids.size)
    taken = abroad_kernels.arrive_abroad(ids, where, 9, 0.4, columns, counts, 2, fled_to)
    how = np.zeros(size, np.int8)
    roster_kernels.move_state(expected[0], expected[1], how, want_counts, ids, 2, 9, -1)
    expected[2][ids], expected[3][ids] = where, 9
    want_taken = 0.4 * expected[4][ids]
    expected[5][ids] = want_taken
    want_fled_to += np.bincount(where, minlength=n_c)
    assert np.array_equal(taken, want_taken)
    assert np.array_equal(counts, want_counts) and np.array_equal(fled_to, want_fled_to)
    for got, want in zip(columns, expected, strict=True):
        assert np.array_equal(got, want)


def test_hasty_kernel_matches_the_masks():
    streams = Streams(seed=6, replicate=3)
    rng = np.random.default_rng(32)
    family_country = np.where(rng.random(20_000) < 0.3, 4, -1).astype(np.int16)
    for n in (0, 1, 5000):
        ids = rng.choice(20_000, n, replace=False).astype(np.int64)
        share = float(rng.random())
        got = rule_kernels.hasty(ids, family_country, streams["hasty"].salt(33), share)
        expected = (family_country[ids] < 0) & (streams["hasty"].uniform(ids, 33) < share)
        assert np.array_equal(got, expected)
