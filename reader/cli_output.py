"""What the commands print: text made safe for the terminal, and JSON."""

from __future__ import annotations

import json
import re
import sys
from typing import Any

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def visible(text: str) -> str:
    """`text` for an error line: control characters, line breaks, bidi controls and bytes
    that were not UTF-8 shown as escapes (\\x1b, \\n, \\u202e, \\udcff), never sent raw: an
    argument cannot colour, retitle or rewrite the user's terminal, nor forge a line."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1] if m.group() != "\t" else " ", text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def print_json(data: Any, *, compact: bool = False) -> None:
    """`data` as JSON on stdout in one write. `compact`: on one line, by the C encoder
    (indent=2 forces the pure-Python one: 3 s for 100k articles); the same JSON values."""
    text = json.dumps(data, ensure_ascii=False, indent=None if compact else 2)
    try:
        payload = text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (a byte that was not UTF-8, kept as typed) cannot be written as
        # UTF-8; as a JSON escape it reads back as the very same string.
        payload = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text).encode("utf-8")
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a text-only stream (tests, a redirected stdout)
        sys.stdout.write(payload.decode("utf-8") + "\n")
        return
    sys.stdout.flush()
    buffer.write(payload)
    buffer.write(b"\n")
    buffer.flush()
