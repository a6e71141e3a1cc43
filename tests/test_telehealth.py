"""Video visits (``visit_types[].telehealth``): who is booked by video, their no-shows, their
flow (no desk, rooming or checkout), their codes and their price (``payers[].telehealth_pct``),
and the place of service on the 835."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest

from practicesim import simulate
from practicesim.calibrate import era_export
from practicesim.clinic.appointments import CANCELLED, LATE_CANCEL, NO_SHOW, odds_scaled
from practicesim.contracts import allowed, line_of
from practicesim.encounter import Line
from practicesim.engine import Run
from practicesim.scenario import ScenarioError
from practicesim.state import state_from_run
from tests.conftest import SAME_PAYER, build

VIDEO = "service_lines[primary_care].visit_types[established].telehealth"
IN_ROOM = {"90471", "93000"}
"""The baseline's established add-ons that need the patient in the room."""


@pytest.fixture(scope="module")
def run() -> Run:
    """The small practice with half of its established follow-ups by video at a 0.5 no-show
    odds ratio; a fixed 10% no-show chance (no lead-time effect, no reminders); commercial_a
    pays 80% of the office rate for video, Medicaid does not pay for video at home."""
    return simulate(build({
        VIDEO: {"share": 0.5, "no_show_odds_ratio": 0.5,
                "provider_minutes": {"dist": "lognormal", "median": 12, "p90": 20},
                "add_ons": {"G2211": 0.3, "96127": 0.1}},
        "no_shows.base_rate": 0.10, "no_shows.lead_time_odds_ratio_per_week": 1.0,
        "no_shows.reminder_share": 0.0,
        "payers[commercial_a].telehealth_pct": 0.8, "payers[medicaid].telehealth_covered": False,
        "payers[commercial_a].underpayment.rate": 0.0, **SAME_PAYER}), seed=5)


def test_odds_scaled_multiplies_the_odds():
    """p = 0.1 (odds 1/9) at odds ratio 0.5: odds 1/18, p = 1/19; ratio 1 leaves p alone."""
    assert odds_scaled(0.1, 0.5) == pytest.approx(1 / 19)
    assert odds_scaled(0.1, 1.0) == pytest.approx(0.1)


def test_half_of_the_covered_established_requests_are_booked_by_video(run: Run) -> None:
    """Established appointments of payers that pay for video: 50% video (within 4 standard
    errors); none of Medicaid's (not covered), no new-patient or preventive visit."""
    booked = run.appointments
    established = booked[booked["visit_type"] == "established"]
    covered = established[established["payer"] != "medicaid"]
    share, n = covered["telehealth"].mean(), len(covered)
    assert n > 3000
    assert abs(share - 0.5) < 4 * math.sqrt(0.25 / n)
    assert not established.loc[established["payer"] == "medicaid", "telehealth"].any()
    assert (established["payer"] == "medicaid").sum() > 200
    assert not booked.loc[booked["visit_type"] != "established", "telehealth"].any()


def test_video_no_shows_follow_the_odds_ratio(run: Run) -> None:
    """Of appointments not cancelled, in person 10% no-show, by video 1/19 (odds ratio 0.5),
    each within 4 standard errors."""
    booked = run.appointments
    held = booked[~booked["status"].isin([CANCELLED, LATE_CANCEL, "scheduled"])]
    for video, expected in ((False, 0.10), (True, 1 / 19)):
        group = held[held["telehealth"] == video]
        rate = (group["status"] == NO_SHOW).mean()
        assert abs(rate - expected) < 4 * math.sqrt(expected * (1 - expected) / len(group)), (
            video, rate, len(group))


def test_a_video_visit_skips_the_desk_rooming_and_checkout(run: Run) -> None:
    """A video patient leaves when the provider is done (no checkout) and waits for no one
    but the provider; the video visits are the appointments booked by video."""
    visits = run.visits
    video = visits[visits["telehealth"]]
    assert len(video) > 1000
    assert (video["departure_minutes"] == video["provider_end_minutes"]).all()
    assert np.allclose(video["total_wait_minutes"], video["wait_for_provider_minutes"])
    office = visits[~visits["telehealth"] & ~visits["walk_in"]]
    assert (office["departure_minutes"] > office["provider_end_minutes"]).all()
    booked = run.appointments.set_index("appointment")["telehealth"]
    assert (visits["telehealth"] == visits["appointment"].map(booked).fillna(False)).all()


def test_video_claims_bill_no_in_room_add_ons(run: Run) -> None:
    claims = run.claims
    lines = run.lines.merge(claims[["claim", "telehealth"]], on="claim")
    assert not lines.loc[lines["telehealth"], "code"].astype(str).isin(IN_ROOM).any()
    assert lines.loc[~lines["telehealth"], "code"].astype(str).isin(IN_ROOM).any()
    visit_flag = run.visits.set_index("visit").loc[claims["visit"], "telehealth"].to_numpy()
    assert (claims["telehealth"].to_numpy() == visit_flag).all()


def test_a_video_visit_is_priced_at_its_payers_telehealth_pct():
    """Hand check: commercial_a allows 130% of Medicare's $90.87 for 99213, $118.13 in the
    office; by video at 80%, round(9087 x 1.30 x 0.8) = $94.50; at parity the office price."""
    scenario = build({"payers[commercial_a].telehealth_pct": 0.8})
    payer = next(p for p in scenario.payers if p.name == "commercial_a")
    line = line_of(scenario, "99213", 1)
    office = allowed(payer, False, (line,), line.charge_cents, line.medicare_cents)
    video = allowed(payer, False, (line,), line.charge_cents, line.medicare_cents, video=True)
    assert (office.allowed, video.allowed) == (11813, 9450)
    parity = next(p for p in build().payers if p.name == "commercial_a")
    assert allowed(parity, False, (line,), line.charge_cents, line.medicare_cents,
                   video=True).allowed == 11813


def test_each_video_claims_expected_revenue_is_its_video_price(run: Run) -> None:
    """Every video claim's expected revenue is its payer's allowed amount for its lines by
    video (plus non-covered charges), and commercial_a's video claims expect 80% of the office
    price of the same lines."""
    scenario = run.scenario
    payers = {p.name: p for p in scenario.payers}
    claims = run.claims[run.claims["telehealth"] & (run.claims["expected_cents"] >= 0)]
    lines = {claim: tuple(Line(str(c), u, ch, m, bool(pv)) for c, u, ch, m, pv in zip(
        group["code"], group["units"], group["charge_cents"], group["medicare_cents"],
        group["preventive"], strict=True)) for claim, group in run.lines.groupby("claim")}
    checked = 0
    for claim, payer, expected in zip(claims["claim"], claims["payer"].astype(str),
                                      claims["expected_cents"], strict=True):
        terms = payers[payer]
        if terms.kind == "self_pay":
            continue
        billed = lines[claim]
        charge = sum(item.charge_cents for item in billed)
        medicare = sum(item.medicare_cents for item in billed)
        contract = allowed(terms, False, billed, charge, medicare, video=True)
        assert expected == contract.allowed + contract.non_covered, claim
        if payer == "commercial_a":
            office = allowed(terms, False, billed, charge, medicare)
            assert contract.allowed == sum(
                min(i.charge_cents, round(i.medicare_cents * 1.30 * 0.8)) for i in billed)
            assert contract.allowed < office.allowed
        checked += 1
    assert checked > 1000


def test_the_payer_pays_a_video_claim_its_video_price(run: Run) -> None:
    """commercial_a's video claims paid on first pass, with no line denied: the CO-45 it posts
    is the charge less its allowed amount at 80% of the office rate, to the cent."""
    payer = next(p for p in run.scenario.payers if p.name == "commercial_a")
    claims = run.claims[run.claims["telehealth"] & (run.claims["payer"] == "commercial_a")
                        & (run.claims["billed_payer"] == "commercial_a")
                        & (run.claims["denials"] == 0) & (run.claims["denied_line"] < 0)
                        & (run.claims["payer_paid_cents"] > 0)]
    ledger = run.ledger
    co45 = ledger[(ledger["carc_group"].astype(str) == "CO")
                  & (ledger["carc_reason"].astype(str) == "45")].groupby("claim")[
        "amount_cents"].sum()
    lines = run.lines.groupby("claim")
    checked = 0
    for claim, charge in zip(claims["claim"], claims["charge_cents"], strict=True):
        group = lines.get_group(claim)
        billed = tuple(Line(str(c), u, ch, m, bool(pv)) for c, u, ch, m, pv in zip(
            group["code"], group["units"], group["charge_cents"], group["medicare_cents"],
            group["preventive"], strict=True))
        video = allowed(payer, False, billed, charge, sum(i.medicare_cents for i in billed),
                        video=True)
        assert co45.get(claim, 0) == charge - video.allowed - video.non_covered, claim
        checked += 1
    assert checked > 200


def test_the_835_puts_a_video_claim_at_place_of_service_10(run: Run, tmp_path) -> None:
    """CLP08 of every claim payment written: 10 for a video claim, 11 for an office one."""
    paths = era_export.write_835(run, tmp_path)
    video = set(run.claims.loc[run.claims["telehealth"], "claim"])
    places: dict[bool, set[str]] = {True: set(), False: set()}
    for path in paths:
        for segment in path.read_text().split("~"):
            elements = segment.strip().split("*")
            if elements[0] == "CLP":
                places[int(elements[1].removeprefix("SIM")) in video].add(elements[8])
    assert places == {True: {"10"}, False: {"11"}}


def test_a_warm_start_keeps_each_claims_and_appointments_modality(run: Run) -> None:
    """The end state writes telehealth for open claims and booked appointments; a run started
    from it books those appointments and opens those claims with the same flags."""
    state = state_from_run(run)
    assert state.claims["telehealth"].any() and state.appointments["telehealth"].any()
    nxt = simulate(run.scenario.with_changes({"calendar.start": state.as_of,
                                              "calendar.warmup_days": 0,
                                              "calendar.horizon_days": 20}),
                   seed=6, state=state)
    opened = nxt.claims[nxt.claims["claim"] < 0].sort_values("claim", ascending=False)
    assert (opened["telehealth"].to_numpy() == state.claims["telehealth"].to_numpy()).all()
    booked = nxt.appointments[nxt.appointments["request_day"] < 0]
    assert (booked["telehealth"].to_numpy()
            == state.appointments["telehealth"].astype(bool).to_numpy()).all()


def test_payers_that_stop_paying_for_video_have_their_patients_seen_in_the_office():
    """Every payer stops covering video on 2027-01-31: from then its patients are booked in
    person, and the video appointments booked before are held in the office (no video visit
    after the change, though many were booked by video for days after it)."""
    names = [p.name for p in build().payers]
    scenario = build({VIDEO: {"share": 1.0}, "calendar.warmup_days": 10,
                      "changes": [{"date": "2027-01-31", "set": {
                          f"payers[{name}].telehealth_covered": False for name in names}}]})
    stopped = simulate(scenario, seed=8)
    change = stopped.calendar.day(date(2027, 1, 31))
    visits = stopped.visits
    assert visits.loc[visits["day"] < change, "telehealth"].sum() > 100
    assert not visits.loc[visits["day"] >= change, "telehealth"].any()
    booked = stopped.appointments
    held = booked[(booked["request_day"] < change) & (booked["day"] >= change)
                  & booked["telehealth"] & (booked["status"] == "completed")]
    assert len(held) > 30
    seen = visits.set_index("appointment").loc[held["appointment"]]
    assert not seen["telehealth"].any()
    assert (seen["departure_minutes"] > seen["provider_end_minutes"]).all()  # checked out


def test_a_video_add_on_must_be_in_the_fee_schedule():
    with pytest.raises(ScenarioError, match="code 99999 is not in fee_schedule"):
        build({VIDEO: {"share": 0.2, "add_ons": {"99999": 0.5}}})
