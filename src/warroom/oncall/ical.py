"""iCalendar feeds of on-call shifts (one VEVENT per shift), rendered with the `icalendar` library."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from icalendar import Calendar, Event


def render(name: str, shifts: Iterable[dict[str, Any]], *, names: dict[int, str], stamp: datetime,
           domain: str = "warroom") -> bytes:
    """A VCALENDAR named `name`; each shift dict has schedule_id, schedule, user_id, start, end, layer."""
    cal = Calendar()
    cal.add("prodid", "-//warroom//on-call//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    for s in shifts:
        ev = Event()
        who = names.get(s["user_id"], f"user {s['user_id']}")
        ev.add("uid", f"shift-{s['schedule_id']}-{s['user_id']}-{int(s['start'].timestamp())}@{domain}")
        ev.add("summary", f"On call: {s['schedule']} ({who})")
        ev.add("dtstart", s["start"])
        ev.add("dtend", s["end"])
        ev.add("dtstamp", stamp)
        ev.add("description", f"layer: {s['layer']}")
        cal.add_component(ev)
    return cal.to_ical()
