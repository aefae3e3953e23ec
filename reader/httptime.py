"""Times in HTTP answers: dates (Expires, Date, Retry-After) and Retry-After's delay. Pure.

Every value comes from a server and may be anything: what does not parse, or parses to no
real time, is None (or 0), never an exception."""

from __future__ import annotations

import email.utils
import math

MAX_RETRY_AFTER_S = 24 * 3600
"""A Retry-After further away than this is taken as this (a server cannot mute a feed)."""


def http_date(value: str) -> float | None:
    """An HTTP date ("Sun, 06 Nov 1994 08:49:37 GMT", with a time zone) as epoch seconds;
    None when it is no such date."""
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
        stamp = when.timestamp() if when is not None and when.tzinfo is not None else None
    except (TypeError, ValueError, IndexError, OverflowError, OSError):
        return None
    return stamp if stamp is not None and math.isfinite(stamp) else None


def parse_retry_after(value: str, now: float) -> float:
    """Retry-After (seconds or an HTTP date) as epoch seconds, capped; 0 when absent/bad."""
    value = value.strip()
    if not value:
        return 0.0
    if value.isascii() and value.isdigit():  # "²" is a digit to isdigit, not to float
        delay = float(value[:12])
    else:
        when = http_date(value)
        if when is None:
            return 0.0
        delay = when - now
    if delay <= 0:
        return 0.0
    return now + min(delay, MAX_RETRY_AFTER_S)
