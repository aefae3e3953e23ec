"""Subscriptions: the feed list in the user's order, and each feed's refresh status.

A feed's status (last check, last error, failures...) lives on its `Feed` only; status.json
is written from the feeds, beside the cache summaries the session keeps."""

from __future__ import annotations

import re
import secrets
import time
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reader.core.session import Session
from reader.errors import LibraryError
from reader.models import Feed, fits_field
from reader.opml import ImportedList, Subscription, read_subscriptions, write_opml, write_urls
from reader.textutil import one_line

SEED_FILES = ("amn.xml", "atom.xml", "summary.xml", "jsonfeed.json")
SEED_TAG = "samples"
STATUS_FIELDS = ("last_checked", "last_success", "last_error", "last_warning", "retry_after",
                 "failures", "failing_since", "gone", "fresh_until", "feed_interval")
"""What status.json keeps of a feed (the subscription list keeps the rest)."""
SUBSCRIPTION_FIELDS = ("key", "url", "subscribed_url", "custom_title", "feed_title", "site_url",
                       "tags", "added_at", "account", "remote_id")
_FOUND_BY_REFRESH = ("url", "subscribed_url", "feed_title", "site_url")


@dataclass
class ImportReport:
    """What an import did."""

    kind: str
    added: list[Feed] = field(default_factory=list)
    updated: list[Feed] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    query_feeds: list[tuple[str, str]] = field(default_factory=list)
    """(title, query) of the list's query feeds (newsboat `query:` lines, translated)."""
    queries_added: list[str] = field(default_factory=list)
    """Titles of the query feeds saved (those whose title was new)."""


def normalise_feed_url(url: str) -> str:
    """Clean a feed location given by a user: URLs kept, local paths made absolute file paths."""
    url = one_line(url)
    if not url:
        raise LibraryError("empty feed URL")
    try:
        scheme = urllib.parse.urlsplit(url).scheme.lower()
    except ValueError as exc:  # "http://[::1" (an unclosed IPv6 address) and the like
        raise LibraryError(f"{url}: not a valid URL ({exc})") from None
    if scheme in ("http", "https"):
        return url
    if scheme == "file":  # file:///x and /x are one feed: stored as the path
        parts = urllib.parse.urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise LibraryError(f"{url}: a file URL on another host")
        url = urllib.request.url2pathname(parts.path)
    elif scheme == "feed":  # feed://example.com/rss -> https://example.com/rss
        rest = url.split(":", 1)[1].lstrip("/")
        return rest if rest.startswith(("http://", "https://")) else "https://" + rest
    elif scheme and len(scheme) > 1:
        raise LibraryError(f"{url}: unsupported URL scheme {scheme!r} (use http, https or a file)")
    try:
        return str(Path(url).expanduser().resolve())
    except (OSError, RuntimeError) as exc:  # a symlink loop: RuntimeError before Python 3.13
        raise LibraryError(f"{url}: cannot use this path ({exc})") from None


_HOST_PATH_RE = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:\d+)?(/|$)")


def new_feed_location(url: str) -> str:
    """A location the user typed to subscribe to, checked and normalised: an http(s) URL with
    a host, or an existing file (path or file: URL). `example.com/feed.xml` that is no file
    here is read as https://example.com/feed.xml. LibraryError, one line, for anything else."""
    typed = one_line(url)
    try:
        located = normalise_feed_url(typed)
        parts = urllib.parse.urlsplit(located)
    except ValueError as exc:  # "http://[::1"
        raise LibraryError(f"{typed}: not a valid URL ({exc})") from None
    if parts.scheme in ("http", "https"):
        if not parts.hostname:
            raise LibraryError(f"{typed}: not a valid URL (no host name)")
        return located
    try:
        exists = Path(located).exists()
        regular = Path(located).is_file()
    except OSError:  # a symlink loop, a name too long
        exists = regular = False
    if regular:
        return located
    if exists:
        raise LibraryError(f"{typed}: not a regular file (a pipe, device, socket or folder "
                           "is never read as a feed)")
    if not parts.scheme and _HOST_PATH_RE.match(typed):
        return "https://" + typed
    if typed.lower().startswith("file:") or "/" in typed or typed.startswith(("~", ".")):
        raise LibraryError(f"{typed}: no such file")
    raise LibraryError(f"{typed}: not a feed URL (http://, https://) nor an existing file")


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Tags as stored: one line each, no commas (OPML `category` separates with them), unique
    regardless of case (`Tech` and `tech` are one tag: the first spelling is kept). A tag is a
    path of folders, `news/middle-east`: empty parts and spaces around parts are dropped."""
    out: list[str] = []
    seen: set[str] = set()
    for tag in tags:
        tag = "/".join(p.strip() for p in one_line(tag.replace(",", " ")).split("/")
                       if p.strip())
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            out.append(tag)
    return out


def seed_dir() -> Path:
    """Folder holding the bundled sample feeds: the installed `reader.seeds`, or `seeds/`
    beside `reader/` when Python imports the package from a source checkout (`python3 -m
    reader` run from the checkout's root imports the `reader/` there, which has no `seeds`)."""
    try:
        import reader.seeds
    except ModuleNotFoundError:
        checkout = Path(__file__).resolve().parents[2] / "seeds"
        if not (checkout / SEED_FILES[0]).is_file():
            raise LibraryError("the sample feeds are missing from this installation of reader; "
                               "reinstall it (pip install .)") from None
        return checkout
    return Path(reader.seeds.__file__).parent


def _new_feed(url: str, title: str = "", tags: Iterable[str] = (), site_url: str = "") -> Feed:
    return Feed(key=secrets.token_hex(6), url=url, subscribed_url=url,
                custom_title=one_line(title), tags=clean_tags(tags), site_url=site_url,
                added_at=time.time())


class Subscriptions:
    """The feeds the user subscribed to; every change is written before it shows."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._feeds: list[Feed] = self._read_list()
        self._apply_status(self._feeds, session.store.load_status())
        self.dirty = False
        """A refresh changed a feed's title or URL; saved once at the end of the refresh."""
        session.on_change.append(self._changed)

    def _read_list(self) -> list[Feed]:
        store = self._session.store
        feeds: list[Feed] = []
        wrong: list[str] = []
        seen: set[str] = set()
        for doc in store.load_feeds():
            try:
                feed = Feed.from_dict(doc)
            except ValueError as exc:  # wrong types, a key that names a path
                wrong.append(str(exc))
                continue
            if feed.key in seen:  # a set: 70,000 imported feeds must not cost n² checks
                wrong.append(f"feed {feed.key}: listed twice")
                continue
            seen.add(feed.key)
            feeds.append(feed)
        if wrong:  # the good feeds are kept; the file as it was is kept beside, untouched
            copy = store.keep_copy_of_subscriptions()
            store.problems.append(f"subscriptions.json: {len(wrong)} entries could not be "
                                  f"read ({wrong[0]}); the file as it was is kept as {copy}")
        return feeds

    def _apply_status(self, feeds: list[Feed], status: dict[str, Any]) -> None:
        for feed in feeds:
            saved = status.get(feed.key, {})
            if not isinstance(saved, dict):
                continue
            for name in STATUS_FIELDS:  # a cache: a value of the wrong type is dropped
                if name in saved and fits_field(Feed, name, saved[name]):
                    setattr(feed, name, saved[name])
            if isinstance(saved.get("cache"), dict):
                self._session.summaries[feed.key] = saved["cache"]

    def _changed(self, changed: set[Path]) -> None:
        """Another reader changed the list or the status (a `reader add`, a cron refresh):
        take them in. The Feed objects of feeds still subscribed stay the same objects (a
        refresh under way holds them); what our own refresh found and has not saved yet
        (titles, moves) is kept over the file's."""
        store = self._session.store
        fresh = self._feeds
        if store.data_dir / "subscriptions.json" in changed:
            mine = {f.key: f for f in self._feeds}
            fresh = []
            for feed in self._read_list():
                old = mine.get(feed.key)
                if old is not None:
                    for name in SUBSCRIPTION_FIELDS:
                        if not (self.dirty and name in _FOUND_BY_REFRESH):
                            setattr(old, name, getattr(feed, name))
                    feed = old
                fresh.append(feed)
        if store.cache_dir / "status.json" in changed:
            self._apply_status(fresh, store.load_status())
        elif fresh is not self._feeds:
            known = {f.key for f in self._feeds}
            self._apply_status([f for f in fresh if f.key not in known], store.load_status())
        self._feeds = fresh

    def feeds(self) -> list[Feed]:
        """Subscriptions in the user's order."""
        return list(self._feeds)

    def keys(self) -> set[str]:
        """Keys of every subscribed feed."""
        return {f.key for f in self._feeds}

    def feed_of(self, feed_key: str) -> Feed | None:
        """The subscribed feed with this key, if there is one."""
        return next((f for f in self._feeds if f.key == feed_key), None)

    def find(self, ref: str) -> Feed:
        """A feed by URL, key, or (unique) title; LibraryError if none or ambiguous."""
        ref = ref.strip()
        for feed in self._feeds:
            if ref in (feed.url, feed.key):
                return feed
        try:
            norm = normalise_feed_url(ref)
        except LibraryError:
            norm = ref
        for feed in self._feeds:
            if feed.url == norm:
                return feed
        by_title = [f for f in self._feeds if f.title.casefold() == ref.casefold()]
        if len(by_title) == 1:
            return by_title[0]
        if len(by_title) > 1:
            raise LibraryError(f"{ref}: several feeds have this title; use the URL")
        raise LibraryError(f"{ref}: no such feed (see `reader feeds`)")

    def find_all(self, refs: Iterable[str]) -> list[Feed]:
        """`find` for many refs at once: keys and URLs looked up in one index (a refresh of
        the 30,000 due feeds of 70,000 must not scan the list 30,000 times)."""
        index = {f.url: f for f in self._feeds} | {f.key: f for f in self._feeds}
        return [index.get(ref.strip()) or self.find(ref) for ref in refs]

    def save(self, feeds: list[Feed] | None = None) -> None:
        """Write the subscription list (`feeds`, else the current one); the list in memory
        becomes `feeds` only once it is written (a failed write changes nothing)."""
        self._session.need_lock()
        feeds = self._feeds if feeds is None else feeds
        self._session.store.save_feeds([{k: getattr(f, k) for k in SUBSCRIPTION_FIELDS}
                                        for f in feeds])
        self._feeds = feeds
        self.dirty = False

    def save_status(self) -> None:
        """Write status.json: each feed's refresh status and its cache summary."""
        self._session.need_lock()
        summaries = self._session.summaries
        self._session.store.save_status({
            f.key: {k: getattr(f, k) for k in STATUS_FIELDS}
            | ({"cache": summaries[f.key]} if f.key in summaries else {})
            for f in self._feeds})

    def add(self, url: str, title: str = "", tags: Iterable[str] = ()) -> Feed:
        """Subscribe. LibraryError if already subscribed or the URL is unusable."""
        self._session.need_lock()
        url = new_feed_location(url)
        twin = next((f for f in self._feeds if f.url == url), None)
        if twin is not None:
            raise LibraryError(f"{url}: already subscribed" + (
                f" through the account {twin.account} (a sync brings it)" if twin.account
                else ""))
        feed = _new_feed(url, title, tags)
        self.save([*self._feeds, feed])
        return feed

    def edit(self, ref: str, *, title: str | None = None, tags: Iterable[str] | None = None
             ) -> Feed:
        """Change a feed's custom title and/or tags."""
        self._session.need_lock()
        feed = self.find(ref)
        if title is not None:
            feed.custom_title = one_line(title)
        if tags is not None:
            feed.tags = clean_tags(tags)
        self.save()
        return feed

    def remove(self, feed: Feed) -> None:
        """Drop a feed from the list (its files are the caller's to delete)."""
        self.save([f for f in self._feeds if f.key != feed.key])

    def export_opml(self) -> str:
        """All subscriptions as OPML 2.0 (tags as `category`)."""
        return write_opml(self._as_listed())

    def export_urls(self, query_feeds: list[tuple[str, str]]) -> str:
        """All subscriptions, and `query_feeds` (title, newsboat expression), as a newsboat
        urls file."""
        return write_urls(self._as_listed(), query_feeds)

    def _as_listed(self) -> list[Subscription]:
        return [Subscription(f.url, f.custom_title or f.feed_title, list(f.tags), f.site_url)
                for f in self._feeds]

    def import_list(self, data: bytes, name: str = "", *, allow_local_files: bool = False
                    ) -> ImportReport:
        """Import OPML or a newsboat urls file; existing feeds gain the imported tags/title.
        Local files in the list (a shared list may name ~/.ssh/id_rsa) are skipped with a
        warning each unless `allow_local_files`."""
        from reader.fetch import is_local

        self._session.need_lock()
        listing: ImportedList = read_subscriptions(data, name)  # raises SubscriptionListError
        report = ImportReport(listing.kind, warnings=list(listing.warnings),
                              query_feeds=list(listing.query_feeds))
        by_url = {f.url: f for f in self._feeds}
        spelled = {t.casefold(): t for f in self._feeds for t in f.tags}  # Tech = tech
        added: list[Feed] = []
        for sub in listing.subscriptions:
            try:
                url = normalise_feed_url(sub.url)
            except LibraryError as exc:
                report.warnings.append(str(exc))
                continue
            if is_local(url) and not allow_local_files:
                report.warnings.append(f"{url}: skipped, a local file (import with "
                                       "--allow-local-files to subscribe to local files)")
                continue
            sub.tags = [spelled.setdefault(t.casefold(), t) for t in clean_tags(sub.tags)]
            title = "" if sub.title == sub.url else sub.title
            existing = by_url.get(url)
            if existing is not None:
                merged = clean_tags(list(existing.tags) + list(sub.tags))
                if merged != existing.tags or (title and title != existing.custom_title):
                    existing.tags = merged
                    existing.custom_title = title or existing.custom_title
                    report.updated.append(existing)
                continue
            feed = _new_feed(url, title, sub.tags, sub.site_url)
            added.append(feed)
            by_url[url] = feed
            report.added.append(feed)
        if report.added or report.updated:
            self.save([*self._feeds, *added])
        return report

    def seed_if_new(self) -> bool:
        """First run (no subscription file yet): subscribe to the bundled sample feeds."""
        if self._session.store.exists or self._feeds:
            return False
        self._session.need_lock()
        folder = seed_dir()
        self.save([Feed(key=secrets.token_hex(6), url=str(folder / name), tags=[SEED_TAG],
                        added_at=time.time()) for name in SEED_FILES if (folder / name).exists()])
        return True
