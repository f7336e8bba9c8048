"""The player's schedule rules, fuzzed in Chromium against a Python oracle (zoneinfo):
random windows, zones, days and instants, DST transitions and windows past midnight."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO

PLAYER = (REPO / "channels/omnipub_channels/signage/assets/player.js").read_text()
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
ZONES = ["Europe/Oslo", "Europe/London", "America/New_York", "Australia/Sydney", "UTC"]


def oracle(schedule: dict, now: dt.datetime) -> bool:
    if schedule.get("from") and now < dt.datetime.fromisoformat(schedule["from"]):
        return False
    if schedule.get("until") and now >= dt.datetime.fromisoformat(schedule["until"]):
        return False
    local = now.astimezone(ZoneInfo(schedule["timezone"]))
    minutes = local.hour * 60 + local.minute
    day = DAYS[local.weekday()]
    hours, days = schedule.get("hours"), schedule.get("days") or []
    if hours:
        start, end = (int(t[:2]) * 60 + int(t[3:]) for t in hours.split("-"))
        inside = start <= minutes < end if start <= end else minutes >= start or minutes < end
        if not inside:
            return False
        if days:
            started_yesterday = start > end and minutes < end
            if started_yesterday:
                day = DAYS[(local.weekday() - 1) % 7]
            return day in days
        return True
    return not days or day in days


@pytest.fixture(scope="module")
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_content("<!doctype html><body></body>")
    page.add_script_tag(content=PLAYER)
    yield page
    context.close()


times = st.datetimes(
    min_value=dt.datetime(2026, 3, 20),
    max_value=dt.datetime(2026, 11, 10),
    timezones=st.just(dt.UTC),
)
clock = st.integers(0, 23).map(lambda h: f"{h:02d}") | st.sampled_from(["02", "03", "00"])
window = st.tuples(clock, st.sampled_from(["00", "30"]), clock, st.sampled_from(["00", "30"]))


@pytest.mark.browser
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    now=times,
    zone=st.sampled_from(ZONES),
    hours=st.none() | window,
    days=st.lists(st.sampled_from(DAYS), max_size=3, unique=True),
    bounds=st.tuples(st.none() | times, st.none() | times),
)
def test_player_schedule_matches_the_oracle(page, now, zone, hours, days, bounds) -> None:
    schedule = {
        "timezone": zone,
        "hours": f"{hours[0]}:{hours[1]}-{hours[2]}:{hours[3]}" if hours else None,
        "days": days,
        "from": bounds[0].isoformat() if bounds[0] else None,
        "until": bounds[1].isoformat() if bounds[1] else None,
    }
    if schedule["hours"] and schedule["hours"][:5] == schedule["hours"][6:]:
        return  # an empty window is refused at build time
    shown = page.evaluate(
        "([slide, now]) => window.omnipubSchedule.onAir(slide, new Date(now))",
        [{"schedule": schedule}, now.isoformat()],
    )
    assert shown == oracle(schedule, now), schedule
