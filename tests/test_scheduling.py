"""The appointment book: templates, earliest slot, multi-slot visits, release, eligibility."""

from __future__ import annotations

from practicesim.calendar import PracticeCalendar
from practicesim.clinic.scheduling import AppointmentBook, day_templates
from practicesim.seats import provider_seats
from tests.conftest import build


def make_book(updates: dict | None = None) -> tuple[AppointmentBook, PracticeCalendar]:
    scenario = build({"calendar.warmup_days": 0, **(updates or {})})
    calendar = PracticeCalendar(scenario)
    return AppointmentBook(provider_seats(scenario), calendar, 0, 30), calendar


def test_template_has_slots_through_each_session_with_a_gap_between():
    scenario = build()
    template = day_templates(scenario.providers[0], overbook=0)[0]
    assert template.times[:3] == [480, 500, 520]
    assert template.times.count(-1) == 1
    assert len(template.times) == 12 + 1 + 12
    assert day_templates(scenario.providers[0], overbook=0)[5] is None  # Saturday


def test_overbooking_adds_appointments_at_session_start():
    template = day_templates(build().providers[0], overbook=2)[0]
    assert template.times[:4] == [480, 480, 480, 500]


def test_overbooking_by_expected_no_shows_doubles_slots_spread_through_each_session():
    """12 slots a session (08:00-12:00 every 20 minutes) and 17% expected missed: round(2.04)
    = 2 extra appointments a session, doubling slots floor(0.5 x 12 / 2) = 3 and
    floor(1.5 x 12 / 2) = 9, i.e. 09:00 and 11:00 (14:00 and 16:00 in the afternoon)."""
    template = day_templates(build().providers[0], overbook=0, miss_rate=0.17)[0]
    morning = template.times[:template.times.index(-1)]
    assert len(morning) == 14
    assert sorted(t for t in set(morning) if morning.count(t) == 2) == [540, 660]
    afternoon = template.times[template.times.index(-1) + 1:]
    assert sorted(t for t in set(afternoon) if afternoon.count(t) == 2) == [840, 960]
    assert morning == sorted(morning)


def test_earliest_slot_is_first_day_then_earliest_time():
    book, calendar = make_book()
    everyone = {p: ((0, book.n_days),) for p in range(book.n_providers)}
    day, provider, position = book.earliest(everyone, 1, 60, 1)
    assert calendar.is_clinic_day[day]
    assert book.time_of(provider, day, position)[0] == 480
    book.take(provider, day, position, 1)
    day2, provider2, position2 = book.earliest(everyone, 1, 60, 1)
    assert (day2, book.time_of(provider2, day2, position2)[0]) == (day, 480)
    assert provider2 != provider


def test_multi_slot_visit_never_spans_the_gap_between_sessions():
    book, _ = make_book({"providers[physician].count": 1})
    everyone = {0: ((0, book.n_days),)}
    first_day = book.earliest(everyone, 1, 60, 1)[0]
    free = book.free[first_day][0]
    morning = free.index(2)
    for position in range(morning - 1):  # leave one morning slot free
        book.take(0, first_day, position, 1)
    _day, _, position = book.earliest(everyone, first_day, first_day, 2)
    assert position == morning + 1, "two-slot visit must start in the afternoon"


def test_released_slots_are_offered_again():
    book, _ = make_book({"providers[physician].count": 1})
    everyone = {0: ((0, book.n_days),)}
    day, _, position = book.earliest(everyone, 1, 60, 1)
    book.take(0, day, position, 1)
    book.release(0, day, position, 1)
    assert book.earliest(everyone, 1, 60, 1) == (day, 0, position)


def test_eligibility_window_limits_booking_days():
    book, _ = make_book()
    only_later = {0: ((20, book.n_days),), 1: ((20, book.n_days),)}
    assert book.earliest(only_later, 1, 60, 1)[0] >= 20
    assert book.earliest({0: ((0, 5),)}, 6, 60, 1) is None


def test_a_lapse_in_enrollment_leaves_a_gap_in_booking_days():
    book, _ = make_book({"providers[physician].count": 1})
    gap = {0: ((0, 5), (30, book.n_days))}
    assert book.earliest(gap, 6, 60, 1)[0] >= 30
    assert book.earliest(gap, 1, 60, 1)[0] < 5
