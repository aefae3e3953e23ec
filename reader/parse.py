"""Feed bytes -> ParsedFeed. RSS 0.9x/1.0/2.0 and Atom via feedparser, JSON Feed by hand. Pure."""

from __future__ import annotations

import calendar
import hashlib
import html
import io
import json
import re
import urllib.parse
from datetime import datetime
from typing import Any

from reader.errors import ParseError
from reader.fastparse import atom_entry_bases, fast_parse
from reader.models import Enclosure, ParsedEntry, ParsedFeed
from reader.textutil import one_line, strip_control

_TAG_RE = re.compile(r"<[^>]*>")
_MAX_TITLE_FROM_TEXT = 80
_CHARREF_RE = re.compile(rb"&#([xX][0-9a-fA-F]+|[0-9]+)")


_HINTS = (("ttl", "ttl"), ("update_period", "sy_updateperiod"),
          ("update_frequency", "sy_updatefrequency"))
"""ParsedFeed.refresh_hints name -> feedparser's key for it."""


def _no_bad_charrefs(data: bytes) -> bytes:
    """Numeric character references to no character (a surrogate, past U+10FFFF) made
    U+FFFD: feedparser's loose parser calls chr() on them and raises (found by fuzzing)."""
    def fix(match: re.Match[bytes]) -> bytes:
        digits = match.group(1)
        hexa = digits[:1] in (b"x", b"X")
        digits = (digits[1:] if hexa else digits).lstrip(b"0") or b"0"
        if len(digits) > 8:  # past U+10FFFF (and int() of 5,000 digits raises too)
            return b"&#xFFFD"
        value = int(digits, 16 if hexa else 10)
        return b"&#xFFFD" if 0xD800 <= value <= 0xDFFF or value > 0x10FFFF else match.group()

    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 with a byte order mark
        text = data.decode("utf-16", "surrogatepass")
        if "&#" in text:
            fixed = _CHARREF_RE.sub(fix, text.encode("utf-8", "surrogatepass"))
            return fixed.decode("utf-8", "surrogatepass").encode("utf-16", "surrogatepass")
        return data
    return _CHARREF_RE.sub(fix, data) if b"&#" in data else data


_MRSS_PREFIX_RE = re.compile(rb"""xmlns:([A-Za-z_][\w.-]*)\s*=\s*["']http://search\.yahoo\.com/mrss/?["']""")
_EMPTY_HREF_RE = re.compile(rb"""(<(?:[\w.-]+:)?link\b[^<>]*?)\shref\s*=\s*(?:""|'')""")
CAPTION = "captiontext"
"""What media:description is renamed to before feedparser sees it (see _before_feedparser)."""


def _before_feedparser(data: bytes) -> bytes:
    """Two of feedparser's mistakes, undone in the bytes it reads (ASCII-compatible ones):
    media:description (an image caption) is read as the entry's description, replacing the
    article (HuffPost's feed); it is renamed, and used only when the entry has no text at all.
    An empty link href resolves to the base, so the entry links to the feed; it is dropped."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4]:
        return data
    if b"mrss" in data:
        for prefix in set(_MRSS_PREFIX_RE.findall(data[:65536])):
            name = re.escape(prefix) + rb":description\b"
            data = re.sub(rb"<" + name + rb"[^<>]*?(/?)>", b"<" + prefix + b":" +
                          CAPTION.encode() + rb"\1>", data)
            data = re.sub(rb"</" + name + rb"\s*>", b"</" + prefix + b":" + CAPTION.encode() +
                          b">", data)
    if b"href" in data:
        data = _EMPTY_HREF_RE.sub(rb"\1", data)
    return data


def _join(base: str, url: str) -> str:
    """urljoin, keeping `url` as it is when either one is not a valid URL (`http://[::1`)."""
    try:
        return urllib.parse.urljoin(base, url)
    except ValueError:
        return url


def parse_feed(data: bytes, url: str = "", content_type: str = "") -> ParsedFeed:
    """Parse feed bytes. Raises ParseError only when nothing usable was recovered."""
    if not data.strip():
        raise ParseError("the feed is empty")
    if _looks_like_json(data, content_type):
        return parse_json_feed(data)
    return _parse_xml(data, url, content_type)


def _looks_like_json(data: bytes, content_type: str) -> bool:
    if "json" in content_type.lower():
        return True
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{")


def _parse_xml(data: bytes, url: str, content_type: str) -> ParsedFeed:
    fast = parse_fast(data, url, content_type)
    return fast if fast is not None else parse_with_feedparser(data, url, content_type)


def parse_fast(data: bytes, url: str = "", content_type: str = "") -> ParsedFeed | None:
    """The fast path's result, or None when it hands the document to feedparser."""
    fast = fast_parse(data, content_type)
    return None if fast is None else _from_fast(fast, url)


def run_feedparser(data: bytes, content_type: str = "") -> Any:
    """feedparser's own result for the bytes, with the options reader uses."""
    import feedparser  # imported here: 80 ms that commands without a refresh never pay

    # No content-location: feedparser would resolve even guids against it, so ids would change
    # when a feed moves. Relative links are resolved against the feed URL below instead.
    headers = {}
    if content_type:
        headers["content-type"] = content_type
    # Bytes in a BytesIO: feedparser treats a str (and even bytes) as a path or URL to open.
    # Its HTML sanitizer is ~80% of parse time; the converter does our own clean-up, and
    # nothing from a feed is ever rendered as HTML.
    return feedparser.parse(
        io.BytesIO(_before_feedparser(_no_bad_charrefs(data))),
        response_headers=headers,
        sanitize_html=False,
        resolve_relative_uris=False,
    )


def parse_with_feedparser(data: bytes, url: str = "", content_type: str = "") -> ParsedFeed:
    """The feedparser path: any RSS or Atom, well-formed or not."""
    try:
        parsed = run_feedparser(data, content_type)
    except Exception as exc:  # a third-party parser on hostile bytes
        # feedparser's loose parser has crashes of its own on broken documents, e.g. an
        # AttributeError ('end_width') or a TypeError (int(None)) from a damaged <image>.
        raise ParseError(one_line(f"not a feed ({type(exc).__name__}: {exc})")) from None
    warning = ""
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        warning = one_line(f"{type(exc).__name__}: {exc}" if exc else "malformed feed")
    if not parsed.get("version") and not parsed.entries:
        if warning:
            raise ParseError(f"not a feed ({warning})")
        raise ParseError("not a feed (no RSS, Atom or JSON Feed found)")
    feed = parsed.get("feed", {})
    result = ParsedFeed(
        title=one_line(feed.get("title", "")),
        site_url=one_line(feed.get("link", "")),
        warning=warning,
        kind=parsed.get("version", "") or "unknown",
        refresh_hints={name: text for name, key in _HINTS
                       if (text := str(feed.get(key) or "").strip()[:40])},
    )
    seen: set[str] = set()
    feed_url = url if url.startswith(("http://", "https://")) else ""
    if feed_url and result.site_url:
        result.site_url = _join(feed_url, result.site_url)
    entries = list(parsed.entries)
    if result.kind.startswith("atom") and b"xml:base" in data:
        own = atom_entry_bases(data)
        if own is not None and len(own) == len(entries):
            for entry, ours in zip(entries, own, strict=True):
                _own_bases(entry, ours)
    for entry in entries:
        item = _from_feedparser(entry, feed_url)
        if item.guid in seen:
            continue
        seen.add(item.guid)
        result.entries.append(item)
    return result


def _from_fast(doc: dict[str, Any], url: str) -> ParsedFeed:
    """ParsedFeed from the fast path's fields, with the same fallbacks as feedparser's."""
    feed_url = url if url.startswith(("http://", "https://")) else ""
    site = one_line(doc["site_url"])
    result = ParsedFeed(
        title=one_line(doc["title"]),
        site_url=_join(feed_url, site) if feed_url and site else site,
        kind=doc["kind"],
        refresh_hints=doc.get("refresh_hints", {}),
    )
    seen: set[str] = set()
    for e in doc["entries"]:
        content = e["content_html"] or _text_to_html(e.get("content_text", ""), "text/plain")
        summary = e["summary_html"] or _text_to_html(e.get("summary_text", ""), "text/plain")
        if summary.strip() == content.strip():
            summary = ""
        base = e["base"]
        link = one_line(e["link"])
        if feed_url:
            base = _join(feed_url, base) if base else ""
            link = _join(base or feed_url, link) if link else ""
        title = e["title"]
        if e["title_html"]:
            title = html.unescape(_TAG_RE.sub("", title))
        item = _finish_entry(
            entry_id=e["id"], title=title, link=link, author=e["author"],
            published=e["published"], updated=e["updated"], content_html=content,
            summary_html=summary, base_url=base or link, tags=e["tags"],
            enclosures=_enclosures(e["enclosures"], base or feed_url, e["duration"]),
        )
        if item.guid in seen:
            continue
        seen.add(item.guid)
        result.entries.append(item)
    return result


def _own_bases(entry: Any, ours: dict[str, Any]) -> None:
    """Put an entry's id, link, enclosures and content base as its own xml:base gives them
    (see fastparse.atom_entry_bases) into feedparser's entry."""
    if entry.get("id") and ours["id"]:
        entry["id"] = ours["id"]
    if ours["link"] or ours["id"]:  # no alternate link: feedparser links to the id
        entry["link"] = ours["link"] or ours["id"]
    for part in entry.get("content") or []:
        part["base"] = ours["base"]
    if entry.get("summary_detail") is not None:
        entry["summary_detail"]["base"] = ours["base"]
    files = [link for link in entry.get("links") or [] if link.get("rel") == "enclosure"]
    if len(files) == len(ours["enclosures"]):
        for link, url in zip(files, ours["enclosures"], strict=True):
            link["href"] = url


def _struct_to_epoch(value: Any) -> float | None:
    if not value:
        return None
    try:
        return float(calendar.timegm(value))
    except (TypeError, ValueError, OverflowError):
        return None


def _from_feedparser(entry: Any, feed_url: str) -> ParsedEntry:
    content_html = ""
    base = ""
    contents = entry.get("content") or []
    for part in contents:  # prefer HTML over plain text when both are given
        if "html" in (part.get("type") or ""):
            content_html, base = part.get("value", ""), part.get("base", "")
            break
    if not content_html and contents:
        part = contents[0]
        content_html = _text_to_html(part.get("value", ""), part.get("type", ""))
        base = part.get("base", "")
    summary_html = entry.get("summary", "") or ""
    caption = entry.get("media_" + CAPTION)
    if not summary_html and not contents and isinstance(caption, str):
        summary_html = html.escape(caption)  # an image caption is all the entry has
    detail = entry.get("summary_detail") or {}
    if summary_html and "html" not in (detail.get("type") or "text/html"):
        summary_html = _text_to_html(summary_html, detail.get("type", ""))
    if summary_html.strip() == content_html.strip():
        summary_html = ""
    base = base or detail.get("base", "") or ""
    link = one_line(entry.get("link", ""))
    if feed_url:
        base = _join(feed_url, base) if base else ""
        link = _join(base or feed_url, link) if link else ""
    title = entry.get("title", "") or ""
    if "html" in ((entry.get("title_detail") or {}).get("type") or ""):
        title = html.unescape(_TAG_RE.sub("", title))
    return _finish_entry(
        entry_id=entry.get("id", ""),
        title=title,
        link=link,
        author=entry.get("author", ""),
        # dict.get: FeedParserDict.get maps a missing updated_parsed to published_parsed.
        published=_struct_to_epoch(dict.get(entry, "published_parsed")),
        updated=_struct_to_epoch(dict.get(entry, "updated_parsed")),
        content_html=content_html,
        summary_html=summary_html,
        base_url=base or link,
        tags=[t.get("term", "") for t in entry.get("tags", []) or [] if t.get("term")],
        enclosures=_enclosures(
            [{"url": e.get("href", ""), "type": e.get("type", ""), "length": e.get("length", "")}
             for e in entry.get("enclosures", []) or []],
            base or feed_url, entry.get("itunes_duration", "") or ""),
    )


def _enclosures(found: list[dict[str, Any]], base: str, duration: str) -> list[Enclosure]:
    """Enclosures with http(s) URLs (relative ones resolved against `base`), each URL once;
    the iTunes duration goes with the first."""
    out: list[Enclosure] = []
    for item in found:
        url = one_line(_str(item.get("url")))
        url = _join(base, url) if base and url else url
        if not url.lower().startswith(("http://", "https://")) or any(e.url == url for e in out):
            continue
        length = one_line(_str(item.get("length")))
        out.append(Enclosure(url=url, type=one_line(_str(item.get("type"))),
                             length=int(length) if length.isdigit() and len(length) < 16 else 0))
    if out and duration:
        out[0].duration = one_line(duration)
    return out


def _text_to_html(text: str, mime: str) -> str:
    if "html" in (mime or ""):
        return text
    return "".join(f"<p>{html.escape(p)}</p>" for p in re.split(r"\n\s*\n", text) if p.strip())


def _finish_entry(
    *,
    entry_id: str,
    title: str,
    link: str,
    author: str,
    published: float | None,
    updated: float | None,
    content_html: str,
    summary_html: str,
    base_url: str,
    tags: list[str],
    enclosures: list[Enclosure] | None = None,
) -> ParsedEntry:
    """Clean the fields and apply the fallbacks every format shares."""
    title = one_line(title)
    if not title:
        title = _title_from_text(summary_html or content_html)
    entry_id = one_line(entry_id)
    guid = entry_id or link
    if not guid:
        stamp = published or updated or ""
        guid = "sha1:" + hashlib.sha1(f"{title}\x00{stamp}".encode()).hexdigest()
    return ParsedEntry(
        guid=guid,
        title=title,
        link=link,
        author=one_line(author),
        published=published,
        updated=updated,
        content_html=strip_control(content_html),
        summary_html=strip_control(summary_html),
        base_url=one_line(base_url),
        tags=[one_line(t) for t in tags if one_line(t)],
        enclosures=enclosures or [],
    )


_SCRIPT_RE = re.compile(r"<(script|style)\b.*?(</\1\s*>|\Z)", re.IGNORECASE | re.DOTALL)


def _title_from_text(fragment: str) -> str:
    text = _SCRIPT_RE.sub(" ", fragment[:4000])
    text = one_line(html.unescape(_TAG_RE.sub(" ", text)))
    if not text:
        return "(untitled)"
    if len(text) <= _MAX_TITLE_FROM_TEXT:
        return text
    cut = text[:_MAX_TITLE_FROM_TEXT].rsplit(" ", 1)[0]
    return cut + "…"


# -- JSON Feed 1.0 / 1.1 ------------------------------------------------------------------------

def _iso_to_epoch(value: Any) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if stamp.tzinfo is None:
        return calendar.timegm(stamp.timetuple()) + stamp.microsecond / 1e6
    return stamp.timestamp()


_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _str(value: Any) -> str:
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a "\ud800" escape (found by fuzzing)
        text = _SURROGATE_RE.sub("\ufffd", text)
    return text


def _authors(obj: dict[str, Any]) -> str:
    names = []
    authors = obj.get("authors")
    if isinstance(authors, list):
        names = [_str(a.get("name")) for a in authors if isinstance(a, dict) and a.get("name")]
    elif isinstance(obj.get("author"), dict) and obj["author"].get("name"):
        names = [_str(obj["author"]["name"])]
    return ", ".join(names)


def _json_attachments(found: Any, base: str) -> list[Enclosure]:
    """JSON Feed attachments (url, mime_type, size_in_bytes, duration_in_seconds)."""
    if not isinstance(found, list):
        return []
    out: list[Enclosure] = []
    for item in found:
        if not isinstance(item, dict):
            continue
        files = _enclosures([{"url": item.get("url"), "type": item.get("mime_type"),
                              "length": item.get("size_in_bytes")}], base, "")
        seconds = item.get("duration_in_seconds")
        if files and isinstance(seconds, (int, float)) and 0 < seconds < 10**7:
            files[0].duration = str(int(seconds))
        out += [f for f in files if all(e.url != f.url for e in out)]
    return out


def parse_json_feed(data: bytes) -> ParsedFeed:
    """Parse a JSON Feed (https://jsonfeed.org/version/1 and /1.1)."""
    try:
        doc = json.loads(data.decode("utf-8-sig", errors="replace"))
    except ValueError as exc:
        raise ParseError(f"not a feed (invalid JSON: {exc})") from None
    if not isinstance(doc, dict):
        raise ParseError("not a feed (JSON, but not an object)")
    version = _str(doc.get("version"))
    warning = ""
    if not version.startswith("https://jsonfeed.org/version/"):
        if not isinstance(doc.get("items"), list):
            raise ParseError("not a feed (JSON without a jsonfeed.org version or items)")
        warning = "JSON Feed without a jsonfeed.org version"
    items = doc.get("items")
    if not isinstance(items, list):
        items = []
        warning = warning or "JSON Feed without an items list"
    result = ParsedFeed(
        title=one_line(html.unescape(_str(doc.get("title")))),
        site_url=one_line(_str(doc.get("home_page_url"))),
        warning=warning,
        kind="json1.1" if version.endswith("/1.1") else "json1",
    )
    feed_author = _authors(doc)
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, dict):
            continue
        content_html = _str(item.get("content_html"))
        if not content_html and item.get("content_text"):
            content_html = _text_to_html(_str(item.get("content_text")), "text/plain")
        summary = _str(item.get("summary"))
        summary_html = _text_to_html(summary, "text/plain") if summary else ""
        link = one_line(_str(item.get("url")) or _str(item.get("external_url")))
        tags = item.get("tags") if isinstance(item.get("tags"), list) else []
        entry = _finish_entry(
            entry_id=_str(item.get("id")),
            # WordPress writes HTML entities into JSON Feed titles ("I&#039;m")
            title=html.unescape(_str(item.get("title"))),
            link=link,
            author=_authors(item) or feed_author,
            published=_iso_to_epoch(item.get("date_published")),
            updated=_iso_to_epoch(item.get("date_modified")),
            content_html=content_html,
            summary_html=summary_html,
            base_url=link or _str(doc.get("home_page_url")),
            tags=[_str(t) for t in tags],
            enclosures=_json_attachments(item.get("attachments"), link),
        )
        if entry.guid in seen:
            continue
        seen.add(entry.guid)
        result.entries.append(entry)
    return result
