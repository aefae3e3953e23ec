"""A fast path for well-formed RSS 2.0/0.9x and Atom 1.0 with the standard library's expat.

feedparser costs ~30 ms for a 50-item feed even with its sanitizer off; this reads the same
fields in ~2 ms. It gives up (returns None) on anything unusual — a DOCTYPE, a parse error,
another format, a date it cannot read — and the caller falls back to feedparser, so ids,
titles and links match what feedparser would have produced for the same document.
"""

from __future__ import annotations

import calendar
import email.utils
import urllib.parse
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
DC = "{http://purl.org/dc/elements/1.1/}"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"


class GiveUp(Exception):
    """Something the fast path does not handle exactly like feedparser."""


def fast_parse(data: bytes, content_type: str = "") -> dict[str, Any] | None:
    """{"kind", "title", "site_url", "entries": [dict]} or None to let feedparser do it.
    `content_type` is the HTTP Content-Type header, if any."""
    head = data[:4096]
    if b"<!DOCTYPE" in head or b"<!doctype" in head or b"<!ENTITY" in head:
        return None
    try:
        root = ET.fromstring(data)
    except (ET.ParseError, ValueError, LookupError):
        return None
    try:
        if root.tag == "rss":
            return _rss(root)
        if root.tag == ATOM + "feed":
            return _atom(root)
    except GiveUp:
        return None
    return None


def _text(node: ET.Element | None) -> str:
    if node is None:
        return ""
    if len(node):  # markup inside an RSS element: serialise it as feedparser would not
        raise GiveUp("child elements")
    return (node.text or "").strip()


def _rfc822(value: str) -> float | None:
    if not value:
        return None
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        iso = _iso(value, strict=False)
        if iso is None:
            raise GiveUp(f"date {value!r}")
        return iso
    try:
        return float(email.utils.mktime_tz(parsed))
    except (ValueError, OverflowError):  # "31 Feb 99999": feedparser drops such a date
        raise GiveUp(f"date {value!r}") from None


def _iso(value: str, strict: bool = True) -> float | None:
    if not value:
        return None
    text = value.strip()
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        if strict:
            raise GiveUp(f"date {value!r}") from None
        return None
    if stamp.tzinfo is None:
        return float(calendar.timegm(stamp.timetuple()))
    return stamp.timestamp()


def _rss(root: ET.Element) -> dict[str, Any]:
    version = root.get("version", "")
    kind = {"2.0": "rss20", "0.91": "rss091u", "0.92": "rss092", "0.93": "rss093",
            "0.94": "rss094"}.get(version)
    channel = root.find("channel")
    if kind is None or channel is None:
        raise GiveUp("rss version")
    entries = []
    for item in channel.iter("item"):
        guid_node = item.find("guid")
        guid = _text(guid_node)
        link = _text(item.find("link"))
        if not link and guid and (guid_node.get("isPermaLink", "true") == "true"):
            link = guid
        creator = _text(item.find(DC + "creator")) or _text(item.find("author"))
        pub = _text(item.find("pubDate"))
        dc_date = _text(item.find(DC + "date"))
        published = _rfc822(pub)
        updated = _iso(dc_date, strict=False) if dc_date else None
        if dc_date and updated is None:
            raise GiveUp("dc:date")
        entries.append({
            "id": guid,
            "title": _text(item.find("title")),
            "title_html": False,
            "link": link,
            "author": creator,
            "published": published,
            "updated": updated,
            "content_html": _text(item.find(CONTENT + "encoded")),
            "summary_html": _text(item.find("description")),
            "base": "",
            "tags": [t for t in (_text(c) for c in item.findall("category")) if t],
        })
    return {"kind": kind, "title": _text(channel.find("title")),
            "site_url": _text(channel.find("link")), "entries": entries}


def _inner_xml(node: ET.Element) -> str:
    parts = [node.text or ""]
    for child in node:
        parts.append(ET.tostring(child, encoding="unicode", short_empty_elements=True))
    return "".join(parts)


def _atom_text(node: ET.Element | None) -> tuple[str, str]:
    """(value, kind) of an Atom text construct; kind is "html" or "text"."""
    if node is None:
        return "", "text"
    kind = node.get("type", "text")
    if node.get("src"):
        raise GiveUp("out-of-line content")
    if kind == "xhtml":
        div = node.find("{http://www.w3.org/1999/xhtml}div")
        if div is None:
            raise GiveUp("xhtml without div")
        ET.register_namespace("", "http://www.w3.org/1999/xhtml")
        return _inner_xml(div).strip(), "html"
    if len(node):
        raise GiveUp("markup in text construct")
    value = (node.text or "").strip()
    if kind in ("html", "text/html"):
        return value, "html"
    if kind in ("text", "text/plain"):
        return value, "text"
    raise GiveUp(f"content type {kind}")


def _join(base: str, url: str) -> str:
    try:
        return urllib.parse.urljoin(base, url)
    except ValueError:  # "http://[::1": feedparser decides (found by fuzzing)
        raise GiveUp("a URL urljoin cannot read") from None


def _base(node: ET.Element, inherited: str) -> str:
    own = node.get(XML_BASE)
    return _join(inherited, own) if own else inherited


def _atom_link(node: ET.Element, base: str) -> str:
    for link in node.findall(ATOM + "link"):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return _join(_base(link, base), link.get("href", "").strip())
    return ""


def _atom(root: ET.Element) -> dict[str, Any]:
    feed_base = _base(root, "")
    entries = []
    for entry in root.findall(ATOM + "entry"):
        base = _base(entry, feed_base)
        title, title_kind = _atom_text(entry.find(ATOM + "title"))
        content_node = entry.find(ATOM + "content")
        summary_node = entry.find(ATOM + "summary")
        content, content_kind = _atom_text(content_node)
        if content_kind == "text" and content_node is not None:
            raise GiveUp("plain-text content")  # feedparser copies it oddly; let it
        summary, summary_kind = _atom_text(summary_node)
        author = entry.find(ATOM + "author")
        name = _text(author.find(ATOM + "name")) if author is not None else ""
        body_node = content_node if content_node is not None else summary_node
        content_base = _base(body_node, base) if body_node is not None else ""
        entry_id = _text(entry.find(ATOM + "id"))
        entries.append({
            "id": entry_id,
            "title": title,
            "title_html": title_kind == "html",
            # feedparser uses the id as the link when there is none (guidislink)
            "link": _atom_link(entry, base) or entry_id,
            "author": name,
            "published": _iso(_text(entry.find(ATOM + "published"))),
            "updated": _iso(_text(entry.find(ATOM + "updated"))),
            "content_html": content if content_kind == "html" else "",
            "content_text": content if content_kind == "text" else "",
            "summary_html": summary if summary_kind == "html" else "",
            "summary_text": summary if summary_kind == "text" else "",
            "base": content_base,
            "tags": [c.get("term", "") for c in entry.findall(ATOM + "category") if c.get("term")],
        })
    title, _ = _atom_text(root.find(ATOM + "title"))
    return {"kind": "atom10", "title": title, "site_url": _atom_link(root, feed_base),
            "entries": entries}
