"""The iCalendar feed (RFC 5545) of the watched certificates' effective expiry dates, with one alarm
per tier (and one at the date), built with the icalendar package from ``watch.watched``."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from icalendar import Alarm, Calendar, Event

from notifications.expiry import alarm_offsets
from notifications.impact import absolute
from notifications.watch import tiers, watched

PRODID = "-//Co-browse Admin//certificate expiry//EN"


def feed(now: datetime) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "Certificate expiry (Co-browse Admin)")
    for w in sorted(watched(now).values(), key=lambda w: (w.expiry, w.facts.name)):
        event = Event()
        # Stable per certificate and date: a calendar updates the event instead of adding another.
        event.add("uid", f"{w.fingerprint}-{w.expiry:%Y%m%dT%H%M%SZ}@cobrowse-admin")
        event.add("dtstamp", now)
        event.add("dtstart", w.expiry)
        event.add("dtend", w.expiry)
        event.add("summary", f"Certificate expires: {w.facts.name}")
        lines = [f"SHA-256 {w.fingerprint}"]
        if w.effective.follows_issuer:
            lines.append(f"Its own end is {w.facts.not_after:%Y-%m-%d}; its issuer {w.effective.limited_by.name} "
                         f"ends first.")
        if w.library_id:
            url = absolute(reverse("security:certificate_detail", args=[w.library_id]))
            event.add("url", url)
            lines.append(url)
        event.add("description", "\n".join(lines))
        event.add("categories", ["certificate expiry"])
        for offset in alarm_offsets(tiers()):
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            days = -offset.days
            alarm.add("description", f"{w.facts.name} expires in {days} day{'s' if days != 1 else ''}" if days
                      else f"{w.facts.name} expires now")
            alarm.add("trigger", offset)
            event.add_component(alarm)
        calendar.add_component(event)
    return calendar.to_ical()


def feed_url(token: str) -> str:
    return absolute(reverse("notifications:calendar_feed", args=[token]))



