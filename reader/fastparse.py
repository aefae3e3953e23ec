"""A fast path for plain, well-formed RSS 2.0/0.9x and Atom 1.0 with the standard library's expat.

feedparser costs ~30 ms for a 50-item feed even with its sanitizer off; this reads the same
fields in ~2 ms. It accepts only documents it reads exactly as the feedparser path does, and
gives up (returns None) on anything else, so the caller hands it to feedparser: a DOCTYPE, a
parse error, another format or encoding, a date it cannot read, and every element it does not
know. Elements are allowed by name (`_RSS_ITEM`, `_ATOM_ENTRY`, ...): feedparser maps dozens
of others (`dc:title`, `xhtml:body`, `itunes:author`, a bare `<summary>` or `<keywords>`) onto
the fields reader uses, and an unknown element is where the two would part.
tests/corpus/test_differential.py holds the fast path to this over 2,000 files.
"""

from __future__ import annotations

import calendar
import re
import urllib.parse
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
DC = "{http://purl.org/dc/elements/1.1/}"
ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
MEDIA = "{http://search.yahoo.com/mrss/}"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"

_WFW = "{http://wellformedweb.org/CommentAPI/}"
_SLASH = "{http://purl.org/rss/1.0/modules/slash/}"
_SY = "{http://purl.org/rss/1.0/modules/syndication/}"
_FEEDBURNER = "{http://rssnamespace.org/feedburner/ext/1.0}"
_THR = "{http://purl.org/syndication/thread/1.0}"
_GOOGLEPLAY = "{http://www.google.com/schemas/play-podcasts/1.0}"

_HINTS = (("ttl", "ttl"), ("update_period", _SY + "updatePeriod"),
          ("update_frequency", _SY + "updateFrequency"))
"""ParsedFeed.refresh_hints name -> the channel child it is read from."""

# Children feedparser reads into nothing reader uses (or that the fast path reads as it does).
_RSS_CHANNEL = {
    "title", "link", "description", "language", "copyright", "managingEditor", "webMaster",
    "pubDate", "lastBuildDate", "category", "generator", "docs", "cloud", "ttl", "image",
    "rating", "textInput", "skipHours", "skipDays", "item", ATOM + "link",
    _SY + "updatePeriod", _SY + "updateFrequency", _SY + "updateBase",
    ITUNES + "explicit", ITUNES + "image", ITUNES + "category", ITUNES + "owner",
    ITUNES + "type", ITUNES + "block", ITUNES + "complete", ITUNES + "new-feed-url",
    ITUNES + "summary", ITUNES + "subtitle", ITUNES + "author", ITUNES + "keywords",
    _FEEDBURNER + "info", "{com-wordpress:feed-additions:1}site", "author",
    _GOOGLEPLAY + "author", _GOOGLEPLAY + "explicit", _GOOGLEPLAY + "owner",
    _GOOGLEPLAY + "image", _GOOGLEPLAY + "category", _GOOGLEPLAY + "description",
}
_RSS_ITEM = {
    "title", "link", "description", "author", "category", "comments", "enclosure", "guid",
    "pubDate", CONTENT + "encoded", DC + "creator", DC + "date", _WFW + "commentRss",
    _SLASH + "comments", _FEEDBURNER + "origLink", ITUNES + "duration", ITUNES + "explicit",
    ITUNES + "episode", ITUNES + "season", ITUNES + "episodeType", ITUNES + "image",
    ITUNES + "block", ITUNES + "subtitle", ITUNES + "author", MEDIA + "thumbnail",
    MEDIA + "content", "{com-wordpress:feed-additions:1}post-id",
}
_ATOM_FEED = {
    ATOM + "title", ATOM + "link", ATOM + "id", ATOM + "updated", ATOM + "author",
    ATOM + "subtitle", ATOM + "rights", ATOM + "generator", ATOM + "icon", ATOM + "logo",
    ATOM + "category", ATOM + "entry",
}
_ATOM_ENTRY = {
    ATOM + "id", ATOM + "title", ATOM + "link", ATOM + "author", ATOM + "published",
    ATOM + "updated", ATOM + "content", ATOM + "summary", ATOM + "category", ATOM + "rights",
    _THR + "total", _FEEDBURNER + "origLink", MEDIA + "thumbnail",
}
_ATOM_PERSON = {ATOM + "name", ATOM + "email", ATOM + "uri"}
_ONCE = {"title", "link", "description", "author", "guid", "pubDate", CONTENT + "encoded",
         DC + "creator", DC + "date", ITUNES + "duration", ATOM + "id", ATOM + "title",
         ATOM + "published", ATOM + "updated", ATOM + "content", ATOM + "summary",
         ATOM + "author"}
_HTML_TYPES = {"text/html", "application/xhtml+xml", "html", "xhtml"}
_LOOKS_LIKE_HTML = re.compile(r"</\w+>|&#?\w+;")
_ENTITY_LIKE = re.compile(r"&(amp;|[A-Za-z0-9_]+;)")
_EXTRA_SLASHES = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:///")
_RSS_AUTHORS = ("author", DC + "creator", ITUNES + "author")
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_ZONES = {"GMT": 0, "UT": 0, "UTC": 0, "Z": 0, "EST": -300, "EDT": -240, "CST": -360,
          "CDT": -300, "MST": -420, "MDT": -360, "PST": -480, "PDT": -420}
_RFC822 = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}|\d\d) (\d\d):(\d\d)(?::(\d\d))? "
    r"([+-]\d{4}|GMT|UTC?|Z|[ECMP][SD]T)", re.IGNORECASE)
_W3DTF = re.compile(r"\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d{1,6})?)?([Zz]|[+-]\d\d:\d\d))?")
_C1_RE = re.compile("[\x80-\x9f]")
_ENCODINGS = {b"utf-8": "utf-8", b"utf8": "utf-8", b"iso-8859-1": "iso-8859-1"}
_ENCODING_RE = re.compile(rb"""^<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


class GiveUp(Exception):
    """Something the fast path does not handle exactly like feedparser."""


def fast_parse(data: bytes, content_type: str = "") -> dict[str, Any] | None:
    """{"kind", "title", "site_url", "entries": [dict]} or None to let feedparser do it.
    `content_type` is the HTTP Content-Type header, if any."""
    head = data[:4096]
    if b"<!DOCTYPE" in head or b"<!doctype" in head or b"<!ENTITY" in head:
        return None
    if not _plain_encoding(data, content_type):
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


def _plain_encoding(data: bytes, content_type: str) -> bool:
    """UTF-8 or ISO-8859-1 by every account: the document's, and the HTTP header's, which
    feedparser obeys (a charset wins over the document's own; text/* without one means
    US-ASCII). Anything else, and a byte order mark that disagrees, goes to feedparser."""
    bom = data.startswith(b"\xef\xbb\xbf")
    if bom:
        data = data[3:]
    if data[:256].lstrip()[:1] != b"<" or b"\x00" in data[:4]:  # UTF-16/32 go to feedparser
        return False
    declared = _ENCODING_RE.match(data)
    encoding = _ENCODINGS.get(declared.group(1).lower() if declared else b"utf-8")
    if encoding is None or (bom and encoding != "utf-8"):
        return False
    if not content_type:
        return True
    mime, _, params = content_type.partition(";")
    mime = mime.strip().lower()
    charset = ""
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip("\"'").lower()
    if charset:
        return _ENCODINGS.get(charset.encode("ascii", "replace")) == encoding
    return mime.startswith("application/") and mime.endswith("xml")


def _allowed(node: ET.Element, names: set[str]) -> None:
    seen: set[str] = set()
    for child in node:
        tag = child.tag
        if not isinstance(tag, str) or tag not in names:
            raise GiveUp(f"element {tag!r}")
        if tag in _ONCE:
            if tag in seen:
                raise GiveUp(f"two {tag}")
            seen.add(tag)


def _as_feedparser(value: str) -> str:
    """`value` when feedparser keeps it as it is; feedparser maps C1 controls to Windows-1252
    and decodes Latin-1-only text that is valid UTF-8 ("Ã©" -> "é"): such text goes to it."""
    if value.isascii():
        return value
    if _C1_RE.search(value):
        raise GiveUp("C1 control characters")
    try:
        value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value
    raise GiveUp("text feedparser would decode again")


def _text(node: ET.Element | None) -> str:
    if node is None:
        return ""
    if len(node):  # markup inside an RSS element: serialise it as feedparser would not
        raise GiveUp("child elements")
    return _as_feedparser((node.text or "").strip())


def _plain(node: ET.Element | None) -> str:
    """Text feedparser keeps as it is. In RSS it guesses markup in text with a closing tag or
    an entity reference (and then reads it as HTML): such text is left to it."""
    value = _text(node)
    if ("<" in value or "&" in value) and _LOOKS_LIKE_HTML.search(value):
        raise GiveUp("text that may look like HTML")
    return value


def _link(node: ET.Element | None) -> str:
    """An RSS <link>'s text; feedparser rewrites "&name;" in it and squeezes "scheme:///"."""
    value = _text(node)
    if ("&" in value and _ENTITY_LIKE.search(value)) or _EXTRA_SLASHES.match(value):
        raise GiveUp("a link feedparser rewrites")
    return value


def _rfc822(value: str) -> float | None:
    """An RSS date in the plain RFC 822 form (with a zone; a two-digit year is 1990-2089, as
    feedparser reads it); anything else goes to feedparser, which reads many forms its own way
    (no zone, swapped day and month, "PM" ...). W3DTF dates are read too."""
    if not value:
        return None
    match = _RFC822.fullmatch(value.strip())
    if match is None:
        iso = _iso(value, strict=False)
        if iso is None:
            raise GiveUp(f"date {value!r}")
        return iso
    day, month, year, hour, minute, second, zone = match.groups()
    offset = _ZONES.get(zone.upper())
    if offset is None:
        offset = (int(zone[1:3]) * 60 + int(zone[3:])) * (-1 if zone[0] == "-" else 1)
    full_year = int(year) + (0 if len(year) == 4 else 1900 if int(year) >= 90 else 2000)
    try:
        stamp = datetime(full_year, _MONTHS[month.lower()], int(day), int(hour), int(minute),
                         int(second or 0))
    except ValueError:  # "31 Feb": feedparser drops such a date
        raise GiveUp(f"date {value!r}") from None
    return float(calendar.timegm(stamp.timetuple())) - offset * 60


def _iso(value: str, strict: bool = True) -> float | None:
    if not value:
        return None
    text = value.strip()
    if not _W3DTF.fullmatch(text):  # the form feedparser reads as the standard says
        if strict:
            raise GiveUp(f"date {value!r}")
        return None
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        if strict:
            raise GiveUp(f"date {value!r}") from None
        return None
    # whole seconds: feedparser keeps a struct_time
    return float(calendar.timegm(stamp.utctimetuple() if stamp.tzinfo else stamp.timetuple()))


def _tags(nodes: list[ET.Element]) -> list[str]:
    """Category terms as feedparser collects them (RSS and Atom alike): each category adds
    (term, scheme, label) from its attributes unless that triple is there already; its text
    then fills in the last tag's missing term, or adds a tag of its own."""
    tags: list[tuple[str | None, str | None, str | None]] = []

    def add(tag: tuple[str | None, str | None, str | None]) -> None:
        if any(tag) and tag not in tags:
            tags.append(tag)

    for node in nodes:
        if any(not key.islower() for key in node.attrib):
            raise GiveUp("a category attribute feedparser renames")
        attrs = node.attrib
        add((attrs.get("term"), attrs.get("scheme", attrs.get("domain")), attrs.get("label")))
        value = _text(node)
        if value and tags and not tags[-1][0]:
            tags[-1] = (value, tags[-1][1], tags[-1][2])
        elif value:
            add((value, None, None))
    return [term for term, _, _ in tags if term]


def _enclosure(node: ET.Element, href: str) -> dict[str, str]:
    return {"url": node.get(href, "").strip(), "type": node.get("type", "").strip(),
            "length": node.get("length", "").strip()}


def _rss(root: ET.Element) -> dict[str, Any]:
    version = root.get("version", "")
    kind = {"2.0": "rss20", "0.91": "rss091u", "0.92": "rss092", "0.93": "rss093",
            "0.94": "rss094"}.get(version)
    channel = root.find("channel")
    if kind is None or channel is None or len(root) != 1:
        raise GiveUp("rss version")
    if any(XML_BASE in node.attrib for node in root.iter()):
        raise GiveUp("xml:base in RSS")  # feedparser resolves links and ids against it
    _allowed(channel, _RSS_CHANNEL)
    for link in channel.findall(ATOM + "link"):
        if link.get("rel", "alternate") == "alternate":
            raise GiveUp("atom:link alternate in a channel")
    entries = []
    for item in channel.findall("item"):
        _allowed(item, _RSS_ITEM)
        for media in item.findall(MEDIA + "content"):
            _allowed(media, {MEDIA + "thumbnail"})  # not its title or description
        guid_node = item.find("guid")
        guid = _text(guid_node)
        link = _link(item.find("link"))
        permalink = guid_node.get("isPermaLink", "true") if guid_node is not None else "true"
        if permalink not in ("true", "false") or len(item.attrib):
            raise GiveUp("guid attribute")
        if not link and guid and permalink == "true":
            link = guid
        authors = [child for child in item if child.tag in _RSS_AUTHORS]
        if len(authors) > 1:
            raise GiveUp("two authors")  # feedparser keeps the last, even an empty one
        creator = _text(authors[0]) if authors else ""
        pub = _text(item.find("pubDate"))
        dc_date = _text(item.find(DC + "date"))
        published = _rfc822(pub)
        updated = _iso(dc_date, strict=False) if dc_date else None
        if dc_date and updated is None:
            raise GiveUp("dc:date")
        enclosures = [_enclosure(e, "url") for e in item.findall("enclosure")]
        entries.append({
            "id": guid,
            "title": _plain(item.find("title")),
            "title_html": False,
            "link": link,
            "author": creator,
            "published": published,
            "updated": updated,
            "content_html": _text(item.find(CONTENT + "encoded")),
            "summary_html": _text(item.find("description")),
            "base": "",
            "tags": _tags(item.findall("category")),
            "enclosures": enclosures,
            "duration": _text(item.find(ITUNES + "duration")) if enclosures else "",
        })
    if len(root.findall(".//item")) != len(entries):
        raise GiveUp("items outside the channel")
    return {"kind": kind, "title": _plain(channel.find("title")),
            "site_url": _link(channel.find("link")), "entries": entries,
            "refresh_hints": {name: text for name, tag in _HINTS
                              if (text := _text(channel.find(tag)).strip()[:40])}}


def _atom_text(node: ET.Element | None) -> tuple[str, str]:
    """(value, kind) of an Atom text construct; kind is "html" or "text"."""
    if node is None:
        return "", "text"
    kind = node.get("type", "text")
    if node.get("src"):
        raise GiveUp("out-of-line content")
    if kind == "xhtml":
        raise GiveUp("xhtml")  # feedparser serialises it its own way
    if len(node):
        raise GiveUp("markup in text construct")
    value = _as_feedparser((node.text or "").strip())
    if kind in ("html", "text/html"):
        return value, "html"
    if kind in ("text", "text/plain"):  # feedparser guesses markup only outside Atom
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


def _atom_links(node: ET.Element, base: str) -> tuple[str, list[dict[str, str]]]:
    """The alternate link and the enclosures, as feedparser picks them."""
    alternates, enclosures = [], []
    for link in node.findall(ATOM + "link"):
        rel, kind = link.get("rel", "alternate"), link.get("type", "text/html")
        href = link.get("href", "").strip()
        if not href or len(link) or (link.text or "").strip():
            raise GiveUp("a link without href")
        if _EXTRA_SLASHES.match(href):
            raise GiveUp("a link feedparser rewrites")
        url = _join(_base(link, base), href)
        if rel == "alternate" and kind in _HTML_TYPES:
            alternates.append(url)
        elif rel == "enclosure":  # feedparser gives a link without a type "text/html"
            enclosures.append({**_enclosure(link, "href"), "url": url, "type": kind.strip()})
    if len(alternates) > 1:
        raise GiveUp("two alternate links")
    return (alternates[0] if alternates else ""), enclosures


def _atom_id(node: ET.Element, base: str) -> str:
    """The <id>, resolved against the xml:base in effect as feedparser resolves it."""
    id_node = node.find(ATOM + "id")
    value = _text(id_node)
    if _EXTRA_SLASHES.match(value):
        raise GiveUp("an id feedparser rewrites")
    return _join(_base(id_node, base), value) if value and id_node is not None else value


def _author(node: ET.Element) -> str:
    authors = node.findall(ATOM + "author")
    if not authors:
        return ""
    _allowed(authors[0], _ATOM_PERSON)
    name, email_ = _text(authors[0].find(ATOM + "name")), _text(authors[0].find(ATOM + "email"))
    if name and email_:
        return f"{name} ({email_})"
    return name or email_


def _atom(root: ET.Element) -> dict[str, Any]:
    _allowed(root, _ATOM_FEED)
    feed_base = _base(root, "")
    entries = []
    for entry in root.findall(ATOM + "entry"):
        _allowed(entry, _ATOM_ENTRY)
        base = _base(entry, feed_base)
        title, title_kind = _atom_text(entry.find(ATOM + "title"))
        content_node = entry.find(ATOM + "content")
        summary_node = entry.find(ATOM + "summary")
        content, content_kind = _atom_text(content_node)
        if content_kind == "text" and content_node is not None:
            raise GiveUp("plain-text content")  # feedparser copies it oddly; let it
        summary, summary_kind = _atom_text(summary_node)
        body_node = content_node if content_node is not None else summary_node
        content_base = _base(body_node, base) if body_node is not None else ""
        entry_id = _atom_id(entry, base)
        link, enclosures = _atom_links(entry, base)
        entries.append({
            "id": entry_id,
            "title": title,
            "title_html": title_kind == "html",
            # feedparser uses the id as the link when there is none (guidislink)
            "link": link or entry_id,
            "author": _author(entry),
            "published": _iso(_text(entry.find(ATOM + "published"))),
            "updated": _iso(_text(entry.find(ATOM + "updated"))),
            "content_html": content if content_kind == "html" else "",
            "content_text": content if content_kind == "text" else "",
            "summary_html": summary if summary_kind == "html" else "",
            "summary_text": summary if summary_kind == "text" else "",
            "base": content_base,
            "tags": _tags(entry.findall(ATOM + "category")),
            "enclosures": enclosures,
            "duration": "",
        })
    title, _ = _atom_text(root.find(ATOM + "title"))
    site_url, _ = _atom_links(root, feed_base)
    site_url = site_url or _atom_id(root, feed_base)  # as for entries
    return {"kind": "atom10", "title": title, "site_url": site_url, "entries": entries}


def atom_entry_bases(data: bytes) -> list[dict[str, Any]] | None:
    """{"id", "link", "base", "enclosures"} of each Atom entry, resolved against its own
    xml:base, in document order; None when the bytes are not well-formed Atom or hold what
    the fast path would leave to feedparser. feedparser lets an xml:base inside one entry (on
    its content, say) leak into the ids, links, enclosures and content bases of the entries
    after it; this puts them right, as the fast path reads them."""
    head = data[:4096]
    if b"<!DOCTYPE" in head or b"<!doctype" in head or b"<!ENTITY" in head:
        return None
    try:
        root = ET.fromstring(data)
    except (ET.ParseError, ValueError, LookupError):
        return None
    if root.tag != ATOM + "feed":
        return None
    try:
        feed_base = _base(root, "")
        found = []
        for entry in root.findall(ATOM + "entry"):
            base = _base(entry, feed_base)
            link, enclosures = _atom_links(entry, base)
            body = entry.find(ATOM + "content")
            body = body if body is not None else entry.find(ATOM + "summary")
            found.append({"id": _atom_id(entry, base), "link": link,
                          "base": _base(body, base) if body is not None else "",
                          "enclosures": [e["url"] for e in enclosures]})
    except GiveUp:
        return None
    return found
