"""When a slide is on the air: the rules the player applies on the screen, in Python.

The player decides on the screen's own clock (see `assets/player.js`); the build uses the
same rules to warn about screens that would show nothing but the idle slide.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$")
#: how finely `airs_between` samples a span besides the moments a window opens
STEP = dt.timedelta(minutes=15)


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def on_air(schedule: dict[str, Any], now: dt.datetime) -> bool:
    """Is a slide with this schedule (from/until as datetimes) on the air at `now`?"""
    start, until = schedule.get("from"), schedule.get("until")
    if (start and now < start) or (until and now >= until):
        return False
    local = now.astimezone(ZoneInfo(schedule["timezone"]))
    minutes = local.hour * 60 + local.minute
    day = DAYS[local.weekday()]
    hours, days = schedule.get("hours"), schedule.get("days") or []
    if not hours:
        return not days or day in days
    opens, closes = (_minutes(t) for t in str(hours).split("-"))
    inside = opens <= minutes < closes if opens <= closes else minutes >= opens or minutes < closes
    if not inside:
        return False
    if opens > closes and minutes < closes:  # a window past midnight belongs to its first day
        day = DAYS[(local.weekday() - 1) % 7]
    return not days or day in days


def airs_between(schedule: dict[str, Any], start: dt.datetime, end: dt.datetime) -> bool:
    """Is the slide on the air at some moment in [start, end)?

    Checked at `start`, at every moment a daily window opens or a day begins (local time),
    and every quarter of an hour between, so short windows are not missed."""
    zone = ZoneInfo(schedule["timezone"])
    low = max(start, schedule.get("from") or start)
    high = min(end, schedule.get("until") or end)
    if low >= high:
        return False
    hours = schedule.get("hours")
    opens = dt.time(*divmod(_minutes(str(hours).split("-")[0]), 60)) if hours else dt.time()
    moments = {low}
    day = low.astimezone(zone).date() - dt.timedelta(days=1)
    while day <= high.astimezone(zone).date():
        for wall in (dt.time(), opens):
            moments.add(dt.datetime.combine(day, wall, zone))
        day += dt.timedelta(days=1)
    moment = low
    while moment < high:
        moments.add(moment)
        moment += STEP
    return any(on_air(schedule, m) for m in sorted(moments) if low <= m < high)
