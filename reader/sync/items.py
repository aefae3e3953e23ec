"""Server answers as the reader's own documents: a subscription as a feed, an item as an
article's metadata and bodies. Pure: no I/O. Every string comes from a server that got it
from the internet: titles become one clean line, links are http(s) only, numbers are checked.
"""

from __future__ import annotations

import hashlib
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from reader.core.merge import article_id, body_hash
from reader.models import Enclosure
from reader.storage.documents import ArticleDoc, BodyDoc
from reader.textutil import one_line

from .greader import ITEM_PREFIX, LABEL, long_item_id


def feed_key_for(account: str, stream_id: str) -> str:
    """Our key of a server feed: the same every sync, on every computer, so the ids of its
    articles (`article_id(key, item id)`) and the notes on them never change."""
    return "g" + hashlib.sha1(f"{account}\n{stream_id}".encode()).hexdigest()[:15]


def web_url(value: Any) -> str:
    """An http(s) URL from a server field, else ""."""
    if not isinstance(value, str):
        return ""
    url = one_line(value)
    try:
        scheme = urllib.parse.urlsplit(url).scheme.lower()
    except ValueError:
        return ""
    return url if scheme in ("http", "https") else ""


@dataclass
class ServerFeed:
    """A subscription on the server."""

    stream_id: str
    """`feed/123` (FreshRSS, Miniflux) or `feed/URL` (others)."""
    title: str
    url: str
    site_url: str
    folders: list[str] = field(default_factory=list)


def server_feed(doc: dict[str, Any]) -> ServerFeed | None:
    """A subscription/list entry (FreshRSS subscriptionList, Miniflux
    subscriptionListHandler) as a ServerFeed; None when it carries no usable id."""
    stream_id = one_line(doc.get("id") if isinstance(doc.get("id"), str) else "")
    if not stream_id.startswith("feed/"):
        return None
    folders = []
    for cat in doc.get("categories") or []:
        if isinstance(cat, dict):
            label = cat.get("label") if isinstance(cat.get("label"), str) else ""
            cid = cat.get("id") if isinstance(cat.get("id"), str) else ""
            name = one_line(label or (cid.split("/label/", 1)[1] if "/label/" in cid else ""))
            if name:
                folders.append(name)
    url = web_url(doc.get("url")) or web_url(stream_id.removeprefix("feed/"))
    return ServerFeed(stream_id=stream_id, title=one_line(str(doc.get("title") or "")),
                      url=url or stream_id, site_url=web_url(doc.get("htmlUrl")),
                      folders=folders)


def _text(block: Any) -> str:
    if isinstance(block, dict) and isinstance(block.get("content"), str):
        return block["content"]
    return ""


def _first_href(links: Any) -> str:
    for link in links if isinstance(links, list) else []:
        if isinstance(link, dict):
            href = web_url(link.get("href"))
            if href:
                return href
    return ""


def _stamp(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 1e11 else None


@dataclass
class ServerItem:
    """One item of stream/items/contents, as our documents."""

    item_id: str
    stream_id: str
    doc: ArticleDoc
    body: BodyDoc
    read: bool
    starred: bool


def server_item(raw: dict[str, Any], feed_key_of: dict[str, str], now: float
                ) -> ServerItem | None:
    """An item (FreshRSS Entry toGReader via entriesToGReaderItems; Miniflux
    streamItemContentsHandler's contentItem) as an article of the feed it belongs to; None
    when its id or its feed is unusable (`feed_key_of`: stream id -> our feed key)."""
    try:
        item_id = long_item_id(raw.get("id", ""))
    except (ValueError, TypeError):
        return None
    origin = raw.get("origin") if isinstance(raw.get("origin"), dict) else {}
    stream_id = origin.get("streamId") if isinstance(origin.get("streamId"), str) else ""
    key = feed_key_of.get(stream_id)
    if key is None:
        return None
    content, summary = _text(raw.get("content")), _text(raw.get("summary"))
    if not content:
        content, summary = summary, ""
    elif summary == content:
        summary = ""
    link = _first_href(raw.get("canonical")) or _first_href(raw.get("alternate"))
    files = []
    for enc in raw.get("enclosure") or []:
        if isinstance(enc, dict):
            url = web_url(enc.get("href") or enc.get("url"))
            if url:
                kind = enc.get("type") if isinstance(enc.get("type"), str) else ""
                files.append(Enclosure(url=url, type=one_line(kind)).to_dict())
    categories = [c for c in raw.get("categories") or [] if isinstance(c, str)]
    aid = article_id(key, item_id)
    published = _stamp(raw.get("published"))
    doc: ArticleDoc = {
        "id": aid, "guid": item_id, "title": one_line(str(raw.get("title") or "")),
        "link": link, "author": one_line(str(raw.get("author") or "")),
        "published": published, "updated": _stamp(raw.get("updated")) or published,
        "fetched_at": now, "has_content": bool(content.strip()),
        "body_hash": body_hash(content, summary), "in_feed": True,
    }
    labels = [one_line(c.split("/label/", 1)[1]) for c in categories if "/label/" in c]
    if labels:
        doc["categories"] = [x for x in labels if x]
    body: BodyDoc = {"id": aid, "content_html": content, "summary_html": summary,
                     "base_url": link}
    if files:
        body["enclosures"] = files
    return ServerItem(item_id=item_id, stream_id=stream_id, doc=doc, body=body,
                      read=any(c.endswith("/state/com.google/read") for c in categories),
                      starred=any(c.endswith("/state/com.google/starred") for c in categories))


def folder_label(name: str) -> str:
    """A folder name as the label stream id the servers take."""
    return LABEL + name if name else ""


__all__ = ["ITEM_PREFIX", "ServerFeed", "ServerItem", "feed_key_for", "folder_label",
           "server_feed", "server_item", "web_url"]
