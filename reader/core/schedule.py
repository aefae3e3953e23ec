"""When a feed is next due for a refresh: the user's interval against what the server asks.

Pure: no I/O. The server asks through HTTP (Cache-Control max-age, else Expires) and through
the feed itself (RSS `<ttl>`, the syndication module's `sy:updatePeriod` and
`sy:updateFrequency`); the largest of these asks is taken. The rule:

- a feed is due the user's interval after its last check (the feed's own `interval`, else
  `[refresh] interval`; none: due at once, as before schedules);
- never before the pause the server asked for: when the two conflict the server wins, as a
  polite client does, but its ask is capped at `[refresh] max_server_wait` (24 h by default)
  so that no feed can silence itself for ever (0 there ignores such asks);
- never before a Retry-After (429/503), which the refresh already honours.

`r` in the app, `reader refresh --all` and `reader refresh URL` fetch whatever is due.
Every value here may come from a hostile server: bad, huge, negative or non-finite values
mean "no ask", and a computed time is always now or later and at most the cap away."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterable, Mapping

from reader.config import Settings
from reader.httptime import http_date
from reader.models import Feed
from reader.textutil import when_text

PERIODS = {"hourly": 3600.0, "daily": 86400.0, "weekly": 7 * 86400.0,
           "monthly": 30 * 86400.0, "yearly": 365 * 86400.0}
"""sy:updatePeriod values (the syndication module's five) -> seconds."""
LONGEST_ASK = 366 * 86400.0
"""Asks beyond a year are taken as a year before the cap is applied (keeps numbers sane)."""
_MAX_AGE_RE = re.compile(r'^\s*max-age\s*=\s*"?(\d{1,12})"?\s*$', re.IGNORECASE)
_NUMBER_RE = re.compile(r"^\s*\+?(\d{1,12})\s*$")


def _count(text: str | None) -> int | None:
    """A plain non-negative whole number of at most 12 digits, else None."""
    match = _NUMBER_RE.match(text or "")
    return int(match.group(1)) if match else None


def feed_asks(hints: Mapping[str, str]) -> float:
    """Seconds between fetches the feed asks for (ParsedFeed.refresh_hints): `<ttl>` is in
    minutes; `sy:updatePeriod` / `sy:updateFrequency` (updates per period, 1 by default) say
    how often it changes. The larger of the two; 0 when it asks nothing usable."""
    asks = [0.0]
    ttl = _count(hints.get("ttl"))
    if ttl:
        asks.append(ttl * 60.0)
    period = PERIODS.get((hints.get("update_period") or "").strip().lower())
    frequency = _count(hints.get("update_frequency"))
    if period is None and frequency:  # the module's default period is daily
        period = PERIODS["daily"]
    if period is not None:
        asks.append(period / (frequency or 1))
    return min(max(asks), LONGEST_ASK)


def http_asks(headers: Mapping[str, str], now: float) -> float:
    """Seconds the HTTP answer says it stays fresh (FetchResult.freshness: lower-case names):
    Cache-Control max-age, else Expires less Date (the server's clock; ours without a Date).
    no-cache / no-store, garbage, or a time already past: 0."""
    control = headers.get("cache-control", "")
    directives = [d for d in control.split(",") if d.strip()]
    if any(d.strip().lower() in ("no-cache", "no-store") for d in directives):
        return 0.0
    for directive in directives:
        match = _MAX_AGE_RE.match(directive)
        if match:
            return min(float(match.group(1)), LONGEST_ASK)
    expires = http_date(headers.get("expires", ""))
    if expires is None:
        return 0.0
    server_now = http_date(headers.get("date", ""))
    delay = expires - (server_now if server_now is not None else now)
    return min(delay, LONGEST_ASK) if math.isfinite(delay) and delay > 0 else 0.0


def fresh_until(asked: float, now: float, cap: float) -> float:
    """When a server's ask of `asked` seconds ends, capped at `cap` seconds from now; 0 when
    there is no ask (under a second: sy:updateFrequency 10^12 asks for nothing) or the cap
    is 0 (asks ignored)."""
    if not (math.isfinite(asked) and asked >= 1 and math.isfinite(cap) and cap > 0):
        return 0.0
    return now + min(asked, cap)


def heed_server(feed: Feed, freshness: Mapping[str, str], hints: Mapping[str, str] | None,
                settings: Settings, now: float | None = None) -> None:
    """After a successful fetch: remember what the server asked (`hints` is None when the
    body was not parsed again, a 304 or the same bytes: the last parse's ask holds). A local
    file asks nothing: reading it costs no server anything."""
    from reader.fetch import is_local

    now = time.time() if now is None else now
    if is_local(feed.url):
        feed.fresh_until = feed.feed_interval = 0.0
        return
    if hints is not None:
        feed.feed_interval = feed_asks(hints)
    asked = max(http_asks(freshness, now), feed.feed_interval)
    feed.fresh_until = fresh_until(asked, now, settings.max_server_wait)


def user_interval(feed: Feed, settings: Settings) -> float:
    """Seconds between refreshes the user asks for this feed (its own `interval`, else the
    global one); 0: none (the app does not refresh it by itself)."""
    for url in dict.fromkeys((feed.url, feed.origin_url)):
        own = settings.feed_option(url, "interval")
        if own is not None:
            return float(own)
    return float(settings.refresh_interval_minutes) * 60


def _stamp(value: float, now: float) -> float:
    """A stored time, made sane: not finite or negative -> 0; in the future -> now."""
    if not math.isfinite(value) or value <= 0:
        return 0.0
    return min(value, now)


def next_due(feed: Feed, settings: Settings, now: float | None = None, *,
             retry: bool = True) -> float:
    """When the feed is next due (epoch seconds; 0 or a past time: due now); `retry`: not
    before the server's Retry-After either."""
    now = time.time() if now is None else now
    checked = _stamp(feed.last_checked, now)
    if not checked:
        return 0.0
    due = checked + user_interval(feed, settings)
    cap = settings.max_server_wait
    if cap > 0 and math.isfinite(feed.fresh_until):
        due = max(due, min(feed.fresh_until, checked + cap))
    if retry and math.isfinite(feed.retry_after):
        due = max(due, min(feed.retry_after, now + 86400))
    return due


def due_feeds(feeds: Iterable[Feed], settings: Settings, now: float | None = None, *,
              scheduled_only: bool = False) -> list[Feed]:
    """The feeds due now. `scheduled_only` (the app's own refresh): only those with an
    interval, and none whose Retry-After runs; otherwise (`reader refresh`) a feed waiting
    on its Retry-After is passed on, for the refresh to report it as waiting, as before."""
    now = time.time() if now is None else now
    return [f for f in feeds if next_due(f, settings, now, retry=scheduled_only) <= now
            and (not scheduled_only or user_interval(f, settings) > 0)]


def tick_seconds(feeds: Iterable[Feed], settings: Settings) -> float:
    """How often the app looks for due feeds: a minute, or the shortest interval when that is
    shorter (at least a second); 0 when no feed has an interval (no automatic refresh)."""
    intervals = [i for i in (user_interval(f, settings) for f in feeds) if i > 0]
    if settings.refresh_interval_minutes > 0:
        intervals.append(settings.refresh_interval_minutes * 60)
    return max(1.0, min(60.0, *intervals)) if intervals else 0.0


def describe(feed: Feed, settings: Settings, now: float | None = None) -> str:
    """The feed's schedule in words, for the status line and `reader feeds`: "" when it has
    none (no interval, no ask: refreshed when the user asks)."""
    now = time.time() if now is None else now
    interval = user_interval(feed, settings)
    due = next_due(feed, settings, now)
    parts = []
    if interval:
        parts.append(f"every {duration_text(interval)}")
    asked = feed.fresh_until - _stamp(feed.last_checked, now) if feed.fresh_until else 0
    if asked > interval and settings.max_server_wait > 0:
        parts.append(f"the server asks for {duration_text(asked)}")
    if not parts:
        return ""
    when = "now" if due <= now else when_text(due)
    return f"next refresh {when} ({'; '.join(parts)})"


def duration_text(seconds: float) -> str:
    """3600 -> "1h", 5400 -> "1h30m", 45 -> "45s"."""
    seconds = int(round(seconds))
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            out += f"{seconds // size}{unit}"
            seconds %= size
    return out or "0s"
