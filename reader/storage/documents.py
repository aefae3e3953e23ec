"""The documents the store keeps, as TypedDicts: each key name is written here once.

Plain dicts at run time (JSON in, JSON out); the names are for readers and type checkers.
Documents of older versions may lack keys added later, so readers use `.get` for those."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


class ArticleDoc(TypedDict):
    """An article's metadata in the feed cache (cache/feeds/<key>.json)."""

    id: str
    guid: str
    title: str
    link: str
    author: str
    published: float | None
    updated: float | None
    fetched_at: float
    has_content: bool
    body_hash: str
    in_feed: bool
    categories: NotRequired[list[str]]
    """The feed's categories of the entry (absent when it gives none)."""
    tags: NotRequired[list[str]]
    """Tags a filter rule gave it when it arrived (absent when none did)."""
    hidden: NotRequired[bool]
    """A filter rule hid it when it arrived (absent when none did)."""
    audio: NotRequired[bool]
    """The entry has an audio enclosure (a podcast episode; absent when not)."""


class BodyDoc(TypedDict, total=False):
    """An article's bodies (cache/bodies/<key>.json), with the Markdown converted from them."""

    id: str
    content_html: str
    summary_html: str
    base_url: str
    enclosures: list[dict[str, Any]]
    """Attached files: {url, type, length, duration} (only where the feed has some)."""
    md_key: str
    markdown: str
    links: list[dict[str, Any]]


class FeedMeta(TypedDict, total=False):
    """What the feed cache keeps of the feed itself: validators and what it says it is."""

    etag: str
    last_modified: str
    content_hash: str
    title: str
    site_url: str
    kind: str


class CacheSummary(TypedDict):
    """A feed cache file's summary in status.json (saves reading it on every refresh)."""

    mtime: int | None
    ids: list[str]
    hidden: NotRequired[list[str]]
    """Of `ids`, the articles a filter rule hid (they count nowhere)."""
    etag: str
    last_modified: str
    content_hash: str


class FullTextDoc(TypedDict, total=False):
    """A fetched web page's main text (cache/full/<key>/<id>.json), or why it failed."""

    url: str
    final_url: str
    fetched_at: float
    html: str
    title: str
    error: str
    error_at: float


class KeptCopy(TypedDict):
    """A bookmarked or annotated article kept in marks.json, safe from cache clean-up."""

    id: str
    at: float
    article: dict[str, Any]
    """Article.to_json() with fetched_at and feed_tags."""
    body: dict[str, Any]
    """content_html, summary_html, base_url; full_html, full_url, full_fetched_at."""


class NoteDoc(TypedDict):
    """A note in marks.json."""

    id: str
    article_id: str
    text: str
    quote: str
    created: float
    edited: float
