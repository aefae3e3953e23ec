"""WordPress shortcodes in feed HTML: embeds kept as embeds, captions as captions, the
rest (ads, layout) dropped; text that only looks like a shortcode stays."""

from __future__ import annotations

import html as htmllib
import re

from reader.content.clean import EMBED_ATTR
from reader.content.decode import ascii_lower

_SHORTCODE = re.compile(r"\[(/?)([a-z][a-z0-9_-]{0,40})((?:\s|=)[^\[\]]{0,2000}?)?(/?)\]")
_SHORTCODE_ATTR = re.compile(r"(?:^|\s)[\w-]+\s*=|://")
_SHORTCODE_LIKE_AD = re.compile(r"[a-z]{2,}\d+")
_EMBED_SHORTCODES = frozenset({"embed", "youtube", "vimeo", "video", "audio", "tweet",
                               "soundcloud", "wpvideo", "dailymotion", "instagram", "ted",
                               "slideshare", "spotify"})
_KEEP_CONTENT_SHORTCODES = frozenset({"caption", "wp_caption"})
_CLOSING_LINK = re.compile(r"\s*</a\s*>", re.IGNORECASE)
_URL_IN_TEXT = re.compile(r"""(?:https?:)?//[^\s"'<>\[\]]+""")


def _protected_ranges(text: str) -> list[tuple[int, int]]:
    """Spans of <pre> and <code> elements, where shortcodes are left alone."""
    low = ascii_lower(text)
    a, b = low.find("<pre"), low.find("<code")
    ranges = []
    while a >= 0 or b >= 0:
        start, closer = (a, "</pre") if b < 0 or 0 <= a < b else (b, "</code")
        end = low.find(closer, start)
        end = len(low) if end < 0 else end
        ranges.append((start, end))
        if 0 <= a <= end:  # each search goes forward only: linear however they interleave
            a = low.find("<pre", end)
        if 0 <= b <= end:
            b = low.find("<code", end)
    return ranges


def _embed_html(url: str) -> str:
    url = htmllib.unescape(url.strip())
    return f'<a href="{htmllib.escape(url)}" {EMBED_ATTR}="1"></a>'


_ANY_TAG = re.compile(r"<[^>]*>")
_CAPTION_ATTR = re.compile(r"""\bcaption\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _caption_html(inner: str, attrs: str = "") -> str:
    """[caption]<img ...> Text[/caption] as a figure with its caption; the old form keeps the
    caption in an attribute: [caption ... caption="Text"]<img ...>[/caption]."""
    old_style = _CAPTION_ATTR.search(attrs)
    if old_style and not _ANY_TAG.sub("", inner).strip():
        text = htmllib.escape(htmllib.unescape(old_style.group(1) or old_style.group(2) or ""))
        inner = f"{inner}{text}" if text.strip() else inner
    low = ascii_lower(inner)
    start = low.find("<img")
    end = low.find(">", start) if start >= 0 else -1
    if end < 0:
        return inner
    end += 1
    closing_link = _CLOSING_LINK.match(inner, end)
    if closing_link:
        end = closing_link.end()
    caption = inner[end:].strip()
    if not caption:
        return inner
    return f"<figure>{inner[:end]}<figcaption>{caption}</figcaption></figure>"


def resolve_shortcodes(text: str, known: frozenset[str]) -> str:
    """Remove or resolve WordPress shortcodes left in the text; keep [sic], [1], [Reuters].

    [embed]url[/embed], [youtube url] and the like become links; [caption]...[/caption] keeps
    its image and caption text; other shortcodes go, keeping what they enclose.
    """
    if "[" not in text:
        return text
    matches = list(_SHORTCODE.finditer(text))
    if not matches:
        return text
    closers = {m.group(2) for m in matches if m.group(1)}
    ranges = _protected_ranges(text)
    r = 0
    out: list[str] = []
    pos = 0
    capture, capture_from = "", -1  # inside [embed]...[/embed] or [caption]...[/caption]
    capture_attrs = ""
    for m in matches:
        while r < len(ranges) and ranges[r][1] <= m.start():
            r += 1
        if r < len(ranges) and ranges[r][0] <= m.start():
            continue
        closing, name, attrs, selfclose = m.group(1), m.group(2), m.group(3) or "", m.group(4)
        if not (name in known or closing or selfclose or name in closers
                or name in _KEEP_CONTENT_SHORTCODES or name in _EMBED_SHORTCODES
                or (attrs and _SHORTCODE_ATTR.search(attrs))
                or "_" in name or _SHORTCODE_LIKE_AD.fullmatch(name)):
            continue
        if capture:
            if closing and name == capture:
                inner = text[capture_from:m.start()]
                if capture == "embed":
                    url = _URL_IN_TEXT.search(inner)
                    out.append(_embed_html(url.group()) if url else inner)
                else:
                    out.append(_caption_html(inner, capture_attrs))
                capture, pos = "", m.end()
            continue
        out.append(text[pos:m.start()])
        pos = m.end()
        if closing or selfclose:
            continue
        if name in _EMBED_SHORTCODES:
            url = _URL_IN_TEXT.search(attrs)
            if url:
                out.append(_embed_html(url.group()))
            elif name == "embed":
                capture, capture_from = name, pos
        elif name in _KEEP_CONTENT_SHORTCODES:
            capture, capture_from, capture_attrs = name, pos, attrs
    if capture:
        pos = min(pos, capture_from)
    out.append(text[pos:])
    return "".join(out)
