"""No-show model, random streams and distributions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from practicesim.clinic.noshows import NoShowModel
from practicesim.distributions import (
    Empirical,
    Exponential,
    Fixed,
    Gamma,
    Lognormal,
    Normal,
    Uniform,
    poisson_quantile,
)
from practicesim.scenario import NoShows
from practicesim.streams import _GOLDEN, Streams, _mix, _mix_int, identity


def test_no_show_probability_is_the_logistic_formula():
    model = NoShowModel(NoShows(base_rate=0.1, lead_time_odds_ratio_per_week=2.0,
                                reminder_odds_ratio=0.5))
    odds = 0.1 / 0.9 * 2.0 * 0.5  # one week ahead, reminded
    assert model.probability(7, True) == pytest.approx(odds / (1 + odds))
    assert model.probabilities(np.array([0.0, 7.0]), np.array([False, True])) == pytest.approx(
        [0.1, odds / (1 + odds)])


def test_fixed_no_show_rate_ignores_lead_time():
    model = NoShowModel(NoShows(base_rate=0.2))
    assert model.probability(0, False) == pytest.approx(0.2)
    assert model.probability(60, True) == pytest.approx(0.2)


def test_streams_depend_on_name_not_creation_order():
    a = Streams(7)
    a.get("other").random(100)
    first = a.get("payer_lag", "medicare").random(5)
    second = Streams(7).get("payer_lag", "medicare").random(5)
    assert np.array_equal(first, second)
    assert not np.array_equal(first, Streams(7).get("payer_lag", "medicaid").random(5))
    assert not np.array_equal(first, Streams(7, 1).get("payer_lag", "medicare").random(5))


def test_keyed_draws_are_independent_uniforms():
    keys = [identity("request/primary_care", day, seq) for day in range(300) for seq in range(60)]
    u = Streams(3).keyed("visit", keys, 12)
    assert stats.kstest(u.ravel(), "uniform").pvalue > 0.001
    counts = np.histogram(u.ravel(), bins=20, range=(0, 1))[0]
    assert stats.chisquare(counts).pvalue > 0.001
    bound = 4 / math.sqrt(len(keys))  # four standard errors of a correlation
    assert abs(np.corrcoef(u[:, 0], u[:, 1])[0, 1]) < bound, "draws of one key"
    assert abs(np.corrcoef(u[:-1, 0], u[1:, 0])[0, 1]) < bound, "neighbouring keys"


def test_a_keyed_row_depends_on_its_key_purpose_seed_and_replication_only():
    streams = Streams(3)
    keys = [identity("walk_in/x", 5, seq) for seq in range(6)]
    rows = streams.keyed("claim", keys, 4)
    shuffled = streams.keyed("claim", keys[::-1][:4], 4)
    assert (shuffled[::-1] == rows[2:]).all(), "order and company of the other keys"
    assert (streams.keyed("claim", keys, 9)[:, :4] == rows).all(), "a wider block"
    for other in (streams.keyed("visit", keys, 4), Streams(4).keyed("claim", keys, 4),
                  Streams(3, replication=1).keyed("claim", keys, 4)):
        assert not np.isclose(other, rows).any()


def test_identities_differ_by_namespace_and_parts():
    seen = {identity(name, day, seq) for name in ("request/a", "request/b", "walk_in/a")
            for day in range(50) for seq in range(50)}
    assert len(seen) == 3 * 50 * 50
    assert identity("request/a", np.int64(3), np.uint32(9)) == identity("request/a", 3, 9)


# SplitMix64 seeded with 1234567: Rosetta Code, "Pseudo-random numbers/Splitmix64".
SPLITMIX64_1234567 = [6457827717110365317, 3203168211198807973, 9817491932198370423,
                      4593380528125082431, 16408922859458223821]


def test_the_keyed_generator_is_splitmix64():
    state = np.uint64(1234567) + np.arange(1, 6, dtype=np.uint64) * _GOLDEN
    assert _mix(state).tolist() == SPLITMIX64_1234567
    assert [_mix_int((1234567 + k * int(_GOLDEN)) % 2**64) for k in range(1, 6)] == (
        SPLITMIX64_1234567)


def test_keyed_uniforms_are_strictly_inside_the_unit_interval():
    u = Streams(1).keyed("claim", list(range(20_000)), 8)
    assert u.min() > 0.0 and u.max() < 1.0
    assert ((u * 2**53 - 0.5) % 1 == 0).all(), "53-bit grid centred in each cell"

def test_lognormal_is_given_by_median_and_p90():
    dist = Lognormal(dist="lognormal", median=16, p90=30)
    draws = dist.sample(np.random.default_rng(1), 200_000)
    assert np.median(draws) == pytest.approx(16, rel=0.01)
    assert np.quantile(draws, 0.9) == pytest.approx(30, rel=0.01)
    assert draws.mean() == pytest.approx(dist.mean, rel=0.01)


def test_gamma_mean_and_cv():
    draws = Gamma(dist="gamma", mean=4, cv=0.5).sample(np.random.default_rng(2), 200_000)
    assert draws.mean() == pytest.approx(4, rel=0.01)
    assert draws.std() / draws.mean() == pytest.approx(0.5, rel=0.02)


def test_empirical_with_weights():
    dist = Empirical(dist="empirical", values=[1, 10], weights=[3, 1])
    draws = dist.sample(np.random.default_rng(3), 100_000)
    assert (draws == 10).mean() == pytest.approx(0.25, abs=0.01)
    assert dist.mean == pytest.approx(3.25)


def test_lognormal_rejects_p90_below_median():
    with pytest.raises(ValueError, match="p90 must be > median"):
        Lognormal(dist="lognormal", median=10, p90=5)
    assert math.isfinite(Lognormal(dist="lognormal", median=10, p90=11).sigma)


@pytest.mark.parametrize("dist", [
    Exponential(dist="exponential", mean=3.0), Lognormal(dist="lognormal", median=20, p90=45),
    Gamma(dist="gamma", mean=4, cv=0.7), Empirical(dist="empirical", values=[1, 5, 9]),
])
def test_quantile_inverts_the_distribution(dist):
    draws = np.sort(dist.sample(np.random.default_rng(4), 100_000))
    for u in (0.1, 0.5, 0.9):
        assert dist.quantile(u) == pytest.approx(np.quantile(draws, u), rel=0.03, abs=0.01)


CONTINUOUS = [Exponential(dist="exponential", mean=3.0),
              Lognormal(dist="lognormal", median=20, p90=45), Gamma(dist="gamma", mean=4, cv=0.7),
              Normal(dist="normal", mean=5, sd=2), Uniform(dist="uniform", low=2, high=9)]


@pytest.mark.parametrize("dist", [*CONTINUOUS, Fixed(dist="fixed", value=4.0),
                                  Empirical(dist="empirical", values=[9, 1, 5],
                                            weights=[1, 2, 1])])
def test_vectorised_quantiles_equal_the_scalar_quantile(dist):
    u = np.random.default_rng(7).random(200)
    assert dist.quantiles(u).tolist() == [dist.quantile(x) for x in u.tolist()], "bit for bit"


@pytest.mark.parametrize("dist", [*CONTINUOUS, Fixed(dist="fixed", value=4.0),
                                  Empirical(dist="empirical", values=[9, 1, 5],
                                            weights=[1, 2, 1])])
def test_cdf_is_the_share_of_draws_below(dist):
    draws = dist.sample(np.random.default_rng(5), 100_000)
    for x in np.quantile(draws, [0.2, 0.5, 0.8]):
        assert dist.cdf(float(x)) == pytest.approx((draws <= x).mean(), abs=0.01)


@pytest.mark.parametrize("dist", CONTINUOUS)
def test_residual_is_the_distribution_given_it_exceeds_the_age(dist):
    """residual(age, u) over uniform u draws from the distribution conditioned on > age
    (checked against rejection sampling), and is never below the age."""
    rng = np.random.default_rng(6)
    draws = dist.sample(rng, 400_000)
    age = float(np.quantile(draws, 0.6))
    kept = draws[draws > age]
    residual = np.array([dist.residual(age, u) for u in rng.random(20_000)])
    assert residual.min() >= age
    for q in (0.25, 0.5, 0.9):
        assert np.quantile(residual, q) == pytest.approx(np.quantile(kept, q), rel=0.03)


def test_poisson_quantile_is_scipys_inverse_cdf_and_monotone_in_the_mean():
    u = np.random.default_rng(5).random(400)
    for mean in (0.3, 4.0, 37.5, 220.0):
        assert [poisson_quantile(x, mean) for x in u.tolist()] == (
            stats.poisson.ppf(u, mean).astype(int).tolist())
    assert all(poisson_quantile(x, 10.0) <= poisson_quantile(x, 10.5) for x in u.tolist())
    assert poisson_quantile(0.7, 0.0) == 0
