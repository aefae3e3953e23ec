"""HTML input: bytes to text (the one decoder the converter and the extractor share) and
the bounds on what is converted."""

from __future__ import annotations

import codecs
import re

MAX_INPUT_BYTES = 16 * 1024 * 1024
"""Bytes input is cut here before decoding."""
MAX_INPUT_CHARS = 1024 * 1024
"""HTML longer than this (after dropping scripts, styles and inline data) is cut."""
MAX_TAGS = 50_000
"""HTML with more tags than this is cut (the work is linear in tags: ~40 us each here)."""

_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]{1,40})", re.I)
_DECLARED_CHARSET = re.compile(
    rb"""(?:<meta[^>]{0,200}?charset|<\?xml[^>]{0,200}?encoding)\s*=\s*["']?\s*"""
    rb"""([A-Za-z0-9_.:-]{1,40})""", re.I)
SURROGATES = re.compile("[\ud800-\udfff]")
LEGACY_LATIN = frozenset({"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "ascii",
                          "us-ascii", "iso_8859-1", "cp819", "ibm819"})
"""Names pages use for what browsers decode as windows-1252."""
_WIDE = frozenset({"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"})


def _codec(name: str) -> str | None:
    """The codec a declared charset names, as browsers read it; None when unusable."""
    name = name.lower()
    name = "cp1252" if name in LEGACY_LATIN else name
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    return info.name if getattr(info, "_is_text_encoding", True) else None


def decode_html(data: bytes, content_type: str = "") -> str:
    """Bytes of an HTML page or fragment to text, as browsers decode them: a byte order mark,
    else the HTTP header's charset, else a `<meta>` (or XML) declaration, else UTF-8; bad
    bytes become U+FFFD. A UTF-16/32 declaration on bytes without a BOM is ignored (such
    bytes are ASCII-compatible: read as UTF-16 they became CJK garbage), and a legacy
    declaration over bytes that are valid, non-ASCII UTF-8 is taken for the lie it is."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", "replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace")
    names = []
    header = _HEADER_CHARSET.search(content_type or "")
    if header:
        names.append(header.group(1))
    declared = _DECLARED_CHARSET.search(data[:4096])
    if declared:
        names.append(declared.group(1).decode("ascii"))
    for name in names:
        codec = _codec(name)
        if codec is None or codec in _WIDE:
            continue
        if codec != "utf-8" and not data.isascii():
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                pass
        try:
            return data.decode(codec, "replace")
        except (UnicodeError, LookupError, TypeError):
            continue
    return data.decode("utf-8", "replace")


_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


def ascii_lower(text: str) -> str:
    """Lower-case ASCII letters only, so indices match `text` (str.lower turns "İ" into 2)."""
    return text.lower() if text.isascii() else text.translate(_ASCII_LOWER)


def _without_heavy_parts(text: str) -> str:
    """Drop <script>/<style> blocks and inline data: URIs (used only on oversized input)."""
    low = ascii_lower(text)
    keep: list[str] = []
    pos = 0
    for tag in ("<script", "<style"):
        if tag not in low:
            continue
        closer = "</" + tag[1:]
        out, start, i = [], 0, 0
        while True:
            i = low.find(tag, i)
            if i < 0:
                break
            end = low.find(closer, i)
            if end < 0:
                end = len(low)
            else:
                gt = low.find(">", end)
                end = len(low) if gt < 0 else gt + 1
            out.append(text[start:i])
            start = i = end
        out.append(text[start:])
        text = "".join(out)
        low = ascii_lower(text)
    i = 0
    while True:
        i = low.find("data:", i)
        if i < 0:
            break
        quote = text[i - 1] if i > 0 else ""
        if quote not in ("'", '"'):
            i += 5
            continue
        end = low.find(quote, i)
        end = len(low) if end < 0 else end
        if end - i > 512:  # only big payloads; short data: URIs cost nothing
            keep.append(text[pos:i])
            pos = end
        i = end
    keep.append(text[pos:])
    return "".join(keep)


def bounded(text: str) -> tuple[str, bool]:
    """Cap the input: MAX_INPUT_CHARS characters and MAX_TAGS tags; returns (text, was_cut)."""
    many_tags = len(text) > 3 * MAX_TAGS and text.count("<") > MAX_TAGS
    if len(text) <= MAX_INPUT_CHARS and not many_tags:
        return text, False
    text = _without_heavy_parts(text)
    cut = False
    if len(text) > MAX_INPUT_CHARS:
        end = text.rfind("<", MAX_INPUT_CHARS - 4096, MAX_INPUT_CHARS)
        text, cut = text[:end if end > 0 else MAX_INPUT_CHARS], True
    if len(text) > 3 * MAX_TAGS and text.count("<") > MAX_TAGS:
        pos = -1
        for _ in range(MAX_TAGS):
            pos = text.find("<", pos + 1)
        text, cut = text[:pos], True
    return text, cut
