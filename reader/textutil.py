"""Small text helpers shared by every layer: control-character stripping and literal-safe text."""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, and the C1 block. Carriage returns are normalised
# to newlines first, so "\r\n" does not lose its line break.
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_control(text: str) -> str:
    """Return `text` without C0 (except tab/newline), DEL and C1 control characters."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_RE.sub("", text)


def one_line(text: str | None) -> str:
    """Return `text` as a single clean line: control characters gone, whitespace collapsed."""
    if not text:
        return ""
    return " ".join(strip_control(text).split())
