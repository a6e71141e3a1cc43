"""The phone lines (``clinic/phones.py``): FCFS answering with callers who hang up, checked by
hand and against the Erlang-A formula; booking calls that lose requests; online booking and
phone staff taken from the front desk."""

from __future__ import annotations

import math

import numpy as np
import pytest

from practicesim import simulate
from practicesim.clinic.phones import answer_calls, phone_lines
from practicesim.distributions import poisson_quantile
from practicesim.engine import Run
from practicesim.scenario import ScenarioError
from practicesim.streams import Streams, identity
from tests.conftest import build


def test_calls_are_answered_in_order_and_a_caller_past_her_patience_hangs_up():
    """Two lines from 0: calls 0 and 1 answered at once (until 5); call 2 would wait 5 minutes
    but hangs up after 3 and takes no line; call 3 (at 1) is answered at 5 after 4 minutes."""
    answered, hold = answer_calls([0.0, 0.0, 0.0, 1.0], [5.0] * 4, [10.0, 10.0, 3.0, 10.0],
                                  lines=2, opens=0.0)
    assert answered == [True, True, False, True]
    assert hold == [0.0, 0.0, 3.0, 4.0]
    assert answer_calls([1.0], [2.0], [0.5], lines=0, opens=0.0) == ([False], [0.5])
    assert answer_calls([1.0], [2.0], [0.5], lines=1, opens=3.0) == ([False], [0.5])


def erlang_a(lam: float, mu: float, theta: float, c: int) -> tuple[float, float]:
    """M/M/c+M: the birth-death chain with birth ``lam`` and death ``min(n, c) mu + max(n - c,
    0) theta``. Returns P(a caller hangs up) = theta E[(N - c)+] / lam (Palm), and the mean
    minutes on hold over all callers = E[(N - c)+] / lam (Little's law on the queue)."""
    weights, w = [1.0], 1.0
    for n in range(1, 400):
        w *= lam / (min(n, c) * mu + max(n - c, 0) * theta)
        weights.append(w)
    total = sum(weights)
    queued = sum(max(n - c, 0) * p for n, p in enumerate(weights)) / total
    return theta * queued / lam, queued / lam


@pytest.mark.parametrize("lines,load", [(1, 0.9), (3, 1.1)])
def test_abandonment_matches_erlang_a(lines: int, load: float):
    """Poisson calls, exponential handle times (mean 3) and patience (mean 2) over a long
    stretch: the share who hang up, and the mean minutes on hold, are Erlang-A's within 4
    (batch-means) standard errors."""
    rng = np.random.default_rng(7)
    mu, theta = 1 / 3, 1 / 2
    lam = load * lines * mu
    n = 200_000
    arrival = np.cumsum(rng.exponential(1 / lam, n))
    handle = rng.exponential(1 / mu, n)
    patience = rng.exponential(1 / theta, n)
    answered, hold = answer_calls(arrival.tolist(), handle.tolist(), patience.tolist(),
                                  lines, 0.0)
    skip = n // 20  # the queue starts empty
    expected = erlang_a(lam, mu, theta, lines)
    # successive callers' fates are correlated: batch-means standard errors
    for values, want in ((1 - np.asarray(answered[skip:], dtype=float), expected[0]),
                         (np.asarray(hold[skip:]), expected[1])):
        batches = [b.mean() for b in np.array_split(values, 50)]
        se = np.std(batches, ddof=1) / math.sqrt(50)
        assert abs(values.mean() - want) < 4 * se + 1e-3, (values.mean(), want, se)
    assert 0.02 < expected[0] < 0.5


@pytest.fixture(scope="module")
def busy() -> Run:
    """The small practice (one front-desk person, on the phones and at check-in) with one
    phone line, no online booking, and 1.5 other calls per kept appointment."""
    return simulate(build({"front_office.phones.staff": 1, "front_office.phones.online_share": 0.0,
                           "front_office.phones.calls_per_visit": 1.5}), seed=2)


def test_every_request_on_a_clinic_day_is_a_call_when_none_book_online(busy: Run) -> None:
    """Booking calls = requests; each clinic day's other calls are the Poisson(1.5 x the
    appointments kept that day) count of the day's own keyed uniform, exactly."""
    daily = busy.daily
    booked = busy.appointments
    kept = booked[booked["status"].isin(["completed", "left_unseen"])].groupby("day").size()
    kept = kept.reindex(daily["day"], fill_value=0).to_numpy()
    other = daily["calls"].to_numpy() - daily["requests"].to_numpy()
    streams = Streams(busy.seed, busy.replication)
    for day in np.flatnonzero(daily["clinic_day"].to_numpy()).tolist():
        u = streams.keyed("calls_other", [identity("phones/day", day)], 1)[0, 0]
        assert other[day] == poisson_quantile(float(u), 1.5 * kept[day]), day
    assert other.sum() > 1000


def test_hung_up_booking_calls_lose_requests(busy: Run) -> None:
    """Booking calls and the other calls share their time, handle and patience draws, so they
    hang up alike: lost_share (30%) of the hung-up booking calls, which are requests / calls of
    the hung-up calls, lose their request (within 4 binomial standard errors)."""
    daily = busy.daily
    lost_on_phone, abandoned = daily["requests_lost_on_phone"].sum(), daily["calls_abandoned"].sum()
    p = 0.3 * daily["requests"].sum() / daily["calls"].sum()
    assert abs(lost_on_phone - p * abandoned) < 4 * math.sqrt(abandoned * p * (1 - p))
    assert lost_on_phone > 30
    assert (daily["requests_lost_on_phone"] <= daily["requests_lost"]).all()
    assert busy.kpis()["call_abandonment_rate"] > 0.05


def test_only_phoned_requests_are_lost_and_each_unanswered_one_is():
    """Half the requests book online; with every hung-up booker lost and no other calls, the
    requests lost are phoned ones, as many as the calls hung up on a busy day."""
    from practicesim.practice import Practice

    practice = Practice(build({"front_office.phones.online_share": 0.5,
                               "front_office.phones.lost_share": 1.0,
                               "front_office.phones.calls_per_visit": 0.0,
                               "front_office.phones.minutes_per_call": 12.0}), seed=1,
                        replication=0)
    day = next(d for d in range(practice.ctx.n_days) if practice.ctx.calendar.is_clinic_day[d])
    keys = list(range(1000, 1400))
    lost = practice.phones.on_day(day, keys, kept_today=0)
    online = practice.ctx.streams.keyed("call", keys, 6)[:, 0] < 0.5
    assert lost is not None and sum(lost) == practice.phones.abandoned[day] > 50
    assert not any(flag and web for flag, web in zip(lost, online, strict=True))
    assert practice.phones.calls[day] == int((~online).sum())


def test_more_lines_and_online_booking_answer_more_calls(busy: Run) -> None:
    """The same practice with three more front-desk people on the phones hangs up on fewer
    callers and loses fewer requests on the phone; with everyone booking online the only calls
    are the other calls."""
    more = simulate(build({"front_office.phones.staff": 4, "staff.front_desk.count": 5,
                           "front_office.phones.online_share": 0.0,
                           "front_office.phones.calls_per_visit": 1.5}), seed=2)
    assert (more.kpis()["call_abandonment_rate"]
            < busy.kpis()["call_abandonment_rate"] / 3)
    assert (more.daily["requests_lost_on_phone"].sum()
            < busy.daily["requests_lost_on_phone"].sum() / 3)
    online = simulate(build({"front_office.phones.online_share": 1.0,
                             "front_office.phones.calls_per_visit": 0.0}), seed=2)
    assert online.daily["calls"].sum() == 0
    assert online.daily["requests_lost_on_phone"].sum() == 0


def test_phone_staff_must_answer_and_calls_need_an_hour():
    with pytest.raises(ScenarioError, match="staff"):
        build({"front_office.phones.staff": 0})
    with pytest.raises(ScenarioError, match="hourly_shares"):
        build({"front_office.phones.hourly_shares": {9: 0}})


def test_the_phone_staff_are_taken_from_the_front_desk_at_check_in():
    """Four front-desk people, two on the phones: two check patients in; with one present, she
    does both (someone covers check-in)."""
    from practicesim.practice import Practice

    practice = Practice(build({"staff.front_desk.count": 4}), seed=1, replication=0)
    clinic, workforce = practice.clinic, practice.ctx.workforce
    days = [d for d in range(practice.ctx.n_days) if workforce.present("front_desk", d) == 4]
    assert days and clinic._at_work("front_desk", days[0]) == 2
    assert phone_lines(practice.ctx, days[0]) == 2
    alone = Practice(build({"staff.front_desk.count": 1}), seed=1, replication=0)
    day = next(d for d in range(alone.ctx.n_days)
               if alone.ctx.workforce.present("front_desk", d) == 1)
    assert alone.clinic._at_work("front_desk", day) == 1
    assert phone_lines(alone.ctx, day) == 1
    none = Practice(build({"staff.front_desk.count": 0}), seed=1, replication=0)
    assert none.phones.on_day(day, [1, 2, 3], kept_today=10) is None  # no desk: no calls
