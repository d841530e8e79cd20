"""Rule kernels and per-row tables (:mod:`sim.core.rule_kernels`) against the rules, exactly."""

import numpy as np
import pytest

from sim.core import rule_kernels, rules
from sim.core.rng import Streams
from sim.scenario.world import Cooperation, Decision, Destination, Returns
from sim.world.countries import load_countries


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
        aimed = rng.uniform(0.0, 1.0, n_c) * (rng.random(n_c) < 0.3)
        coercion, crackdown = rng.uniform(0.0, 1.0, n_c), rng.uniform(0.0, 1.0, n_c)
        expected = rules.return_rates(
            treaty[both], coop[both], fair, asylum, abolished, family,
            pursuit + aimed[both], programme, leniency, legal[both], p,
            coercion[both], crackdown[both],
        )  # fmt: skip
        rates, total, move = rule_kernels.return_rates_by_row(
            both, treaty, coop, legal, fair, asylum, abolished, family, transit,
            np.array([pursuit, programme, leniency]),
            np.array([
                p.persuasion_per_year, p.deportation_per_year, p.extradition_per_year,
                p.prosecution_per_year, p.surrender_per_year, p.family_in_china_effect,
                p.leniency_effect, p.asylum_delay_effect, p.death_penalty_assurance,
                p.coercion_persuasion_effect,
            ]),
            np.array(
                [d.move_on_threshold_per_year, d.move_on_per_year, d.transit_move_on_per_year]
            ),
            np.stack([aimed, coercion, crackdown]),
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
            backlash_weight=rng.uniform(0.0, 3.0),
            reaction_weight=rng.uniform(0.0, 1.0),
        )
        current, base, fair = rng.random(n), rng.random(n), rng.random(n)
        pledge = rng.random(n) * (rng.random(n) < 0.4)
        codes = rng.integers(0, 9, n)
        stock = rng.integers(0, stock_scale + 1, n)
        pressure, coercion = rng.uniform(0.0, 2.0, n), rng.uniform(0.0, 2.0, n)
        reaction = rng.uniform(0.0, 1.0, n) * (rng.random(n) < 0.3)
        total = max(int(stock.sum()), 1)
        peer = (np.bincount(codes, weights=current) / np.bincount(codes))[codes]
        ceiling = rng.uniform(0.3, 1.0, n)
        target = rules.cooperation_target(
            base, pledge, pressure, peer, fair, coercion, stock / total, ceiling, p, reaction
        )
        expected = rules.cooperation_update(current, target, p)
        weights = np.array(
            [
                p.pledge_weight,
                p.pressure_weight,
                p.peer_weight,
                p.backlash_weight,
                p.reaction_weight,
            ]
        )
        adjustment = float(rules.monthly_probability(p.adjustment_per_year))
        got = rule_kernels.cooperation_step(
            current, base, pledge, pressure, codes, stock, fair, coercion, reaction, ceiling,
            weights, adjustment,
        )  # fmt: skip
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
        log_size=rng.normal(0.0, 1.0, n_c),
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
            view.death_penalty_abolished, view.log_network, view.log_size,
            view.investor_visa, view.distance_1000_km, np.array([values[k] for k in names]),
        )  # fmt: skip
        for got_term, term in zip(got_terms, terms, strict=True):
            assert np.array_equal(got_term, term)
        expected = rules.destination_utility(view, family, hasty, p)
        weights = np.array([p.hasty_distance_multiplier, p.hasty_neighbour, p.family_abroad])
        got = rule_kernels.destination_utility(family, hasty, *terms, view.neighbour, weights)
        assert np.array_equal(got, expected)


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
