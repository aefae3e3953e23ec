"""Small text helpers shared by every layer: control-character stripping and literal-safe text."""

from __future__ import annotations

import re
import urllib.parse

# C0 controls except tab and newline, DEL, the C1 block, and the bidi embedding, override and
# isolate controls (U+202A-U+202E, U+2066-U+2069): in a terminal that reorders text they can
# reverse the rest of a row ("Trojan Source"). The marks U+200E/U+200F and right-to-left text
# are kept. Carriage returns are normalised to newlines first, so "\r\n" keeps its line break.
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def strip_control(text: str) -> str:
    """Return `text` without C0 (except tab/newline), DEL, C1 and bidi override controls."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_RE.sub("", text)


def one_line(text: str | None) -> str:
    """Return `text` as a single clean line: control characters gone, whitespace collapsed."""
    if not text:
        return ""
    return " ".join(strip_control(text).split())


def shorten(text: str, width: int) -> str:
    """`text` as one line of at most `width` characters, cut with an ellipsis."""
    line = one_line(text)
    return line if len(line) <= width else line[: width - 1] + "…"


def plural(count: int, noun: str, nouns: str = "") -> str:
    """`count` and the noun, singular for one: "1 feed", "2 feeds", "1 entry" / "2 entries"."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


def safe_link(url: str) -> str | None:
    """The URL if it may be opened: http(s) only, no leading dash, no whitespace tricks."""
    url = (url or "").strip()
    if not url or url.startswith("-") or any(c.isspace() or ord(c) < 32 for c in url):
        return None
    try:
        scheme = urllib.parse.urlsplit(url).scheme.lower()
    except ValueError:  # "http://[::1" (found by tests/hostile/test_fuzz.py)
        return None
    return url if scheme in ("http", "https") else None


def when_text(stamp: float) -> str:
    """A time for a message: HH:MM:SS today, else the date too (local time)."""
    import time

    same_day = time.strftime("%Y-%m-%d", time.localtime(stamp)) == time.strftime("%Y-%m-%d")
    return time.strftime("%H:%M:%S" if same_day else "%Y-%m-%d %H:%M", time.localtime(stamp))
