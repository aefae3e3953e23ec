"""Plain data shared by every layer: feeds, articles, refresh results. No I/O here."""

from __future__ import annotations

import functools
import re
import time
from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any

FEED_KEY_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""What a feed key may be: it names files (cache/feeds/KEY.json), so never a path."""

FAILING_REFRESHES = 10
"""A feed whose refresh failed this many times in a row is flagged as long failing..."""
FAILING_DAYS = 7
"""...and so is one that failed on every refresh for this many days."""


@dataclass
class Feed:
    """One subscription and what the last refresh learned about it."""

    key: str
    """Stable internal id; never changes, even when a permanent redirect changes `url`."""
    url: str
    """Where the feed is fetched from: http(s) URL, file:// URL or local path."""
    subscribed_url: str = ""
    """The URL as the user added or imported it ("" in files from before: then `url`). Whether
    the feed may reach this computer or the local network is decided from it, never from where
    the feed later moved (a feed from the internet cannot make itself local)."""
    custom_title: str = ""
    """Title the user chose; wins over the feed's own title."""
    feed_title: str = ""
    """Title the feed gives itself."""
    site_url: str = ""
    """The website the feed belongs to."""
    tags: list[str] = field(default_factory=list)
    """User tags; the UI shows them as folders."""
    added_at: float = 0.0
    """When the user subscribed (epoch seconds)."""
    last_checked: float = 0.0
    """When the last refresh attempt finished (epoch seconds)."""
    last_success: float = 0.0
    """When the feed last fetched (and parsed) successfully."""
    last_error: str = ""
    """Why the last refresh failed; empty when it succeeded."""
    last_warning: str = ""
    """A parser warning (feedparser bozo) from the last successful parse."""
    retry_after: float = 0.0
    """Not fetched again before this time (epoch seconds): the server's Retry-After (429, 503)."""
    failures: int = 0
    """Refreshes in a row that failed (0 after a success)."""
    failing_since: float = 0.0
    """When the current run of failures began (epoch seconds; 0 when the feed works)."""
    gone: bool = False
    """The last answer was HTTP 410 Gone: the server says the feed will not come back."""
    fresh_until: float = 0.0
    """Not due before this time (epoch seconds): what the server asked at the last successful
    fetch (Cache-Control max-age, Expires, the feed's `<ttl>` or `sy:updatePeriod`), capped."""
    feed_interval: float = 0.0
    """Seconds between fetches the feed itself asks for (`<ttl>`, `sy:updatePeriod`), as of
    its last parse; 0 when it asks nothing. Kept for answers without a body (304)."""
    account: str = ""
    """The server account the feed comes from ("" for a feed this computer fetches itself);
    such a feed is never fetched by a refresh: a sync brings its articles."""
    remote_id: str = ""
    """The feed's stream id on its account's server (`feed/123`)."""

    @property
    def long_failing(self) -> bool:
        """Failed on FAILING_REFRESHES refreshes in a row, or on every refresh (two or more)
        for FAILING_DAYS days."""
        if self.failures >= FAILING_REFRESHES:
            return True
        return self.failures >= 2 and bool(self.failing_since) and \
            time.time() - self.failing_since >= FAILING_DAYS * 86400

    @property
    def flag(self) -> str:
        """What the user should know beyond the last error: gone for good, or long failing."""
        if self.gone:
            return (f"the server says this feed is gone for good; remove it with "
                    f"reader remove {self.url}")
        if self.long_failing:
            days = (time.time() - self.failing_since) / 86400
            since = f" for {days:.0f} days" if days >= 1 else ""
            return (f"failing{since}: {self.failures} refreshes in a row failed; check the URL "
                    f"or remove it with reader remove {self.url}")
        return ""

    @property
    def origin_url(self) -> str:
        """The URL the user subscribed to (`subscribed_url`, else `url`)."""
        return self.subscribed_url or self.url

    @property
    def title(self) -> str:
        """The title to show: the user's, else the feed's, else the URL."""
        return self.custom_title or self.feed_title or self.url

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Feed:
        """Load from storage, ignoring unknown keys (from newer versions). ValueError when a
        field has the wrong type, or the key could name a path (`../x` once made the reader
        write outside its data folder)."""
        if not isinstance(data, dict):
            raise ValueError("not an object")
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        if not isinstance(values.get("key"), str) or not FEED_KEY_RE.fullmatch(values["key"]):
            raise ValueError(f"key {values.get('key')!r} is not a feed key")
        if not isinstance(values.get("url"), str) or not values["url"]:
            raise ValueError(f"feed {values['key']}: url is not a string")
        for name, value in values.items():
            if not fits_field(cls, name, value):
                raise ValueError(f"feed {values['key']}: {name} has the wrong type "
                                 f"({type(value).__name__})")
        return cls(**values)


def in_folder(tags: list[str], folder: str) -> bool:
    """One of `tags` is the tag folder `folder` or a folder inside it: tags are paths, and
    `news/middle-east` is inside `news` (regardless of case, as tags are)."""
    folder = folder.casefold()
    return any(t.casefold() == folder or t.casefold().startswith(folder + "/") for t in tags)


@dataclass(frozen=True)
class View:
    """What an article listing shows: a virtual feed, a feed, a tag folder, or search results."""

    kind: str
    """"all", "unread", "bookmarked", "notes", "podcasts", "feed", "tag" or "search"."""
    value: str = ""
    """Feed key, tag name or search text."""
    scope: str = ""
    """For searches: the feed key searched ("" = everything)."""


AUDIO_SUFFIXES = (".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".flac", ".wav")
"""Names of audio files (an enclosure without a MIME type)."""


@dataclass
class Enclosure:
    """A file the feed attaches to an entry: podcast audio, a video, an image."""

    url: str
    type: str = ""
    """MIME type as the feed gives it (may be empty)."""
    length: int = 0
    """Size in bytes as the feed gives it; 0 when unknown."""
    duration: str = ""
    """iTunes duration as the feed gives it ("1:02:03", "3723"); empty when none."""

    @property
    def is_audio(self) -> bool:
        """An audio file (a podcast episode), by its MIME type, else by its name."""
        kind = self.type.lower()
        if kind:
            return kind.startswith("audio/")
        return self.url.lower().split("?")[0].endswith(AUDIO_SUFFIXES)

    @property
    def summary(self) -> str:
        """`audio/mpeg, 12.3 MB, 1:02:03` (the parts the feed gives; "" when none)."""
        parts = [self.type]
        if self.length:
            parts.append(f"{self.length / 1e6:.1f} MB" if self.length >= 100_000
                         else f"{self.length / 1e3:.0f} kB")
        parts.append(self.duration)
        return ", ".join(p for p in parts if p)

    @property
    def is_playable(self) -> bool:
        """Audio or video (what a media player plays)."""
        return self.is_audio or self.type.lower().startswith("video/")

    def to_dict(self) -> dict[str, Any]:
        """Serialise for storage."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Enclosure:
        """Load from storage, ignoring unknown keys and values of the wrong type."""
        length = data.get("length")
        return cls(url=str(data.get("url") or ""),
                   type=data["type"] if isinstance(data.get("type"), str) else "",
                   length=length if isinstance(length, int) and not isinstance(length, bool)
                   and length > 0 else 0,
                   duration=data["duration"] if isinstance(data.get("duration"), str) else "")


@dataclass
class ParsedEntry:
    """One entry as the parser found it, before it is merged into the cache."""

    guid: str
    """Identity within the feed: entry id, else link, else a hash of title and date."""
    title: str = ""
    link: str = ""
    author: str = ""
    published: float | None = None
    """Epoch seconds; None when the feed gives no usable date."""
    updated: float | None = None
    content_html: str = ""
    """The full content (content:encoded, Atom content, JSON content_html)."""
    summary_html: str = ""
    """The summary / description."""
    base_url: str = ""
    """Base for resolving relative links in the content (xml:base, else the entry link)."""
    tags: list[str] = field(default_factory=list)
    """Categories the feed gives the entry."""
    enclosures: list[Enclosure] = field(default_factory=list)
    """Attached files (http(s) only), in feed order."""
    rule_hits: list[int] | None = None
    """Which of the feed's filter rules match the entry, when they were tested where it
    was parsed (reader.core.filters.FeedScreen); None when they were not."""


@dataclass
class ParsedFeed:
    """A whole parsed feed."""

    title: str = ""
    site_url: str = ""
    entries: list[ParsedEntry] = field(default_factory=list)
    warning: str = ""
    """Set when the parser had to recover from a problem (feedparser bozo)."""
    kind: str = ""
    """Format name as detected: rss20, atom10, json1 ..."""
    refresh_hints: dict[str, str] = field(default_factory=dict)
    """What the feed says about how often to fetch it, as written: "ttl" (minutes),
    "update_period" and "update_frequency" (the syndication module); read by core.schedule."""


@dataclass(slots=True)
class Article:
    """An article as the reader knows it: metadata plus user state. Bodies load separately."""

    id: str
    """Stable short id (hash of feed key and guid); used by the CLI and UI."""
    feed_key: str
    guid: str
    title: str = ""
    link: str = ""
    author: str = ""
    published: float | None = None
    updated: float | None = None
    fetched_at: float = 0.0
    """When the reader first stored it; the date fallback and the cache-age clock."""
    has_content: bool = False
    """True when the feed carries full content; False for summary-only entries."""
    feed_title: str = ""
    read: bool = False
    bookmarked: bool = False
    notes: int = 0
    """How many notes the user wrote on it."""
    categories: list[str] = field(default_factory=list)
    """The feed's categories of the entry."""
    tags: list[str] = field(default_factory=list)
    """Tags the user's filter rules gave it when it arrived ([[filters]] action "tag")."""
    hidden: bool = False
    """A filter rule hid it when it arrived: listed only by `reader articles --hidden` and
    the Hidden view, never deleted."""
    # reader.core.articles.make_article passes the fields above by position (100k per
    # listing): a new field goes below this line, with a default.

    @property
    def date(self) -> float:
        """The best date to sort by."""
        return self.published or self.updated or self.fetched_at

    def to_json(self) -> dict[str, Any]:
        """The documented `--json` shape of an article."""
        return {
            "id": self.id,
            "feed_key": self.feed_key,
            "feed_title": self.feed_title,
            "guid": self.guid,
            "title": self.title,
            "link": self.link,
            "author": self.author,
            "published": self.published,
            "updated": self.updated,
            "read": self.read,
            "bookmarked": self.bookmarked,
            "summary_only": not self.has_content,
            "categories": list(self.categories),
            "tags": list(self.tags),
            "hidden": self.hidden,
        }


@dataclass
class Note:
    """A note the user wrote on an article, with the passage it is about (the quote)."""

    id: str
    """Random short id (secrets.token_hex(6)); used by the CLI and UI."""
    article_id: str
    text: str
    """The user's own words, stored as given (only control characters other than tab and
    newline are dropped)."""
    quote: str = ""
    """The passage of the article the note is about; may be empty."""
    created: float = 0.0
    """Epoch seconds."""
    edited: float = 0.0
    """Epoch seconds of the last change (equals `created` until edited)."""
    article_title: str = ""
    article_link: str = ""
    feed_title: str = ""

    def to_json(self) -> dict[str, Any]:
        """The documented `--json` shape of a note."""
        return {
            "id": self.id,
            "article_id": self.article_id,
            "article_title": self.article_title,
            "article_link": self.article_link,
            "feed_title": self.feed_title,
            "text": self.text,
            "quote": self.quote,
            "created": self.created,
            "edited": self.edited,
        }


@dataclass
class FeedResult:
    """What refreshing one feed did."""

    feed_key: str
    url: str
    status: str
    """One of: "new" (articles stored), "unchanged" (304 / same body), "error", "offline"
    (not fetched: the reader is offline, or no network answered; nothing is recorded),
    "waiting" (not fetched: the server's Retry-After has not passed; `error` says until when)."""
    new: int = 0
    updated: int = 0
    error: str = ""
    warning: str = ""
    new_url: str = ""
    """Set when a permanent redirect moved the feed."""
    new_ids: list[str] = field(default_factory=list)
    """Ids of the articles this refresh added (for fetching their full text)."""
    network_down: bool = False
    """The error said nothing answered (refused, DNS, timeout), not that a server failed."""
    retry_after: float = 0.0
    """The server asked not to be asked again before this time (epoch seconds)."""
    gone: bool = False
    """The server answered 410 Gone."""


@dataclass
class FullTextResult:
    """What fetching one article's web page did."""

    article_id: str
    status: str
    """"ok" (full text stored), "error" (reason in `error`; the feed text stays),
    "skipped" (already fetched) or "offline"."""
    error: str = ""
    title: str = ""
    """The article's title, for progress lines."""


@dataclass
class ArticleText:
    """The text of an article to show: the fetched full text or the feed's own text."""

    markdown: str
    links: list[Any]
    """reader.content.convert.Link objects, in number order."""
    source: str
    """"full" (fetched from the article's page), "feed" (the feed's full content) or
    "summary" (the feed carries only a summary)."""
    full_available: bool = False
    """A fetched full text exists (so a toggle can switch to it)."""
    full_error: str = ""
    """Why the last full-text fetch failed, if it did."""
    full_fetched_at: float = 0.0
    full_url: str = ""
    """The page the full text came from."""

    def describe(self) -> str:
        """One line saying which text is shown, and what else there is."""
        if self.source == "full":
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.full_fetched_at))
            line = f"full article, fetched {when} from {self.full_url}"
        elif self.source == "summary":
            line = "the feed's summary"
        else:
            line = "the feed's text"
        if self.source != "full" and self.full_available:
            line += " (a fetched full text exists)"
        if self.full_error:
            line += f"; full text failed: {self.full_error}"
        return line


def fits_field(cls: type, name: str, value: Any) -> bool:
    """True when `value` has the type of dataclass `cls`'s field `name` (judged by its
    default: str, number, bool, list of str; anything where the default is None)."""
    kind = _field_kinds(cls).get(name)
    if kind is None:
        return False
    if kind == "any":
        return True
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "str":
        return isinstance(value, str)
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


@functools.cache
def _field_kinds(cls: type) -> dict[str, str]:
    kinds: dict[str, str] = {}
    for spec in fields(cls):
        default = spec.default
        if default is MISSING and spec.default_factory is not MISSING:
            default = spec.default_factory()
        if isinstance(default, bool):
            kinds[spec.name] = "bool"
        elif isinstance(default, (int, float)):
            kinds[spec.name] = "number"
        elif isinstance(default, str) or default is MISSING and spec.type in ("str", str):
            kinds[spec.name] = "str"
        elif isinstance(default, list):
            kinds[spec.name] = "list"
        else:
            kinds[spec.name] = "any"
    return kinds
