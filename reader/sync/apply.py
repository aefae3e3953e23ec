"""Storing what a sync brought, on the writer thread, in one go: the server's feeds beside the
local ones, its items as articles of those feeds, and its read and starred state as our read
marks and bookmarks, except where a change in the journal is still waiting to be sent (the
user's change wins over the server's older state).

Everything here runs after every answer of the sync arrived and was checked: a sync that
fails on the network or on a broken answer never gets here, and nothing stored changes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from reader.core.articles import OverArticles, make_article
from reader.core.merge import apply_limits, doc_date
from reader.core.refresh import record_status
from reader.core.subscriptions import clean_tags
from reader.models import Feed, FeedResult
from reader.storage.documents import ArticleDoc, FeedMeta, KeptCopy

from .accounts import Account, SyncState
from .items import ServerFeed, ServerItem, feed_key_for, server_feed, server_item
from .journal import Journal


@dataclass
class Fetched:
    """Everything one sync read from the server, checked, before anything is stored."""

    subscriptions: list[dict[str, Any]]
    """subscription/list's entries."""
    unread: set[str]
    """The server's unread items (long ids), with the journal's changes sent applied."""
    starred: set[str]
    """The server's starred items, likewise."""
    items: list[dict[str, Any]]
    """stream/items/contents' items of the articles not here yet."""
    started: float
    """When the sync began (becomes the last sync time)."""
    wanted: list[str] = field(default_factory=list)
    """The items whose contents were asked for."""
    vanished: set[str] = field(default_factory=set)
    """Items starred at the last sync that the server no longer has at all (purged): their
    bookmarks stay (a star taken away elsewhere leaves the item on the server)."""


@dataclass
class Applied:
    """What storing a sync changed."""

    new_ids: list[str] = field(default_factory=list)
    """The articles this sync added (for fetching their full text)."""
    feeds_added: list[str] = field(default_factory=list)
    """Titles of the server feeds that appeared here."""
    feeds_removed: list[str] = field(default_factory=list)
    """Titles of the feeds the server no longer lists."""
    read_changed: int = 0
    """Read marks the server's state changed."""
    stars_changed: int = 0
    """Bookmarks the server's stars added or removed."""
    unusable: set[str] = field(default_factory=set)
    """Items asked for that came without a usable feed, or did not come."""


class Applier(OverArticles):
    """Stores a sync's answers through the articles, marks and subscriptions services."""

    def apply(self, account: Account, state: SyncState, journal: Journal, fetched: Fetched
              ) -> Applied:
        """Store the server's state (writer thread). The journal's waiting changes win."""
        self._session.need_lock()
        result = Applied()
        name = account.name
        feeds = self._apply_feeds(name, state, journal, fetched.subscriptions, result)
        key_of = {f.remote_id: f.key for f in feeds}
        now = time.time()
        by_feed: dict[str, list[ServerItem]] = {}
        stored: set[str] = set()
        for raw in fetched.items:
            item = server_item(raw, key_of, now)
            if item is not None:
                by_feed.setdefault(key_of[item.stream_id], []).append(item)
                stored.add(item.item_id)
        result.unusable = set(fetched.wanted) - stored
        live = fetched.unread | fetched.starred
        for feed in feeds:
            result.new_ids += self._store_items(feed, by_feed.get(feed.key, []), live, now)
        result.read_changed = self._apply_read(feeds, fetched.unread, journal)
        result.stars_changed = self._apply_stars(feeds, fetched.starred | fetched.vanished,
                                                 journal)
        self.record_feeds(feeds, "")
        return result

    def record_feeds(self, feeds: list[Feed], error: str) -> None:
        """A sync's outcome on its feeds' status, as a refresh records it (`reader feeds`,
        the app's feed list): checked now, and failing with `error` when it is not ""."""
        now = time.time()
        for feed in feeds:
            record_status(feed, FeedResult(feed.key, feed.url, "error" if error else
                                           "unchanged", error=error), now)
        self._subscriptions.save_status()

    # -- feeds -----------------------------------------------------------------------------
    def _apply_feeds(self, name: str, state: SyncState, journal: Journal,
                     subs: list[dict[str, Any]], result: Applied) -> list[Feed]:
        """The account's feeds as the server lists them; returns them. A feed the server
        dropped leaves (its bookmarked and annotated articles stay, as for `reader remove`);
        a feed with a folder change waiting keeps the user's folder."""
        server: dict[str, ServerFeed] = {}
        for doc in subs:
            found = server_feed(doc)
            if found is not None:
                server.setdefault(found.stream_id, found)
        waiting = journal.pending("feed")
        everything = self._subscriptions.feeds()
        mine = {f.remote_id: f for f in everything if f.account == name}
        kept: list[Feed] = []
        changed = False
        removed: list[Feed] = []
        for feed in everything:
            if feed.account != name:
                kept.append(feed)
                continue
            theirs = server.get(feed.remote_id)
            if theirs is None:
                removed.append(feed)
                changed = True
                continue
            folder_waiting = waiting.get(feed.remote_id)
            # the first tag is the server's folder; the others are the user's own, kept
            tags = feed.tags if folder_waiting and folder_waiting.op == "folder" \
                else clean_tags(theirs.folders[:1] + feed.tags[1:])
            new = (theirs.title, theirs.url, theirs.site_url, tags)
            if new != (feed.feed_title, feed.url, feed.site_url, feed.tags):
                feed.feed_title, feed.url, feed.site_url, feed.tags = new
                feed.subscribed_url = theirs.url
                changed = True
            kept.append(feed)
        for stream_id, theirs in server.items():
            gone = waiting.get(stream_id)
            if stream_id in mine or (gone is not None and gone.op == "unsubscribe"):
                continue
            key = feed_key_for(name, stream_id)
            if self._subscriptions.feed_of(key) is not None:
                continue
            kept.append(Feed(key=key, url=theirs.url, subscribed_url=theirs.url,
                             feed_title=theirs.title, site_url=theirs.site_url,
                             tags=clean_tags(theirs.folders[:1]), added_at=time.time(),
                             account=name, remote_id=stream_id))
            state.feeds[key] = stream_id
            result.feeds_added.append(theirs.title or theirs.url)
            changed = True
        if changed:
            self._subscriptions.save(kept)
        for feed in removed:
            self._articles.forget_feed(feed.key)
            result.feeds_removed.append(feed.title)
        if removed:
            self._subscriptions.save_status()
        return [f for f in kept if f.account == name]

    # -- articles --------------------------------------------------------------------------
    def _store_items(self, feed: Feed, items: list[ServerItem], live: set[str], now: float
                     ) -> list[str]:
        """Merge a feed's new items into its cache; items the server still holds unread or
        starred are never dropped by the cache limits. Returns the new articles' ids. A feed
        whose cache would not change is not written."""
        store = self._session.store
        meta, docs = store.load_feed_cache(feed.key)
        known: dict[str, ArticleDoc] = {d["id"]: d for d in docs}
        bodies = {}
        new: list[str] = []
        fetched = set()
        for item in items:
            aid = item.doc["id"]
            old = known.get(aid)
            doc = dict(item.doc)
            if old is not None:
                doc["fetched_at"] = old.get("fetched_at", now)
            else:
                new.append(aid)
            fetched.add(aid)
            if old is None or old.get("body_hash") != doc["body_hash"] or old != doc:
                known[aid] = doc
                bodies[aid] = item.body
        flags_changed = False
        for aid, doc in known.items():
            in_feed = aid in fetched or doc["guid"] in live
            if doc.get("in_feed") != in_feed:
                known[aid] = dict(doc, in_feed=in_feed)
                flags_changed = True
        limited = apply_limits(known, self._marks.kept_ids(), self._session.limits(feed), now)
        dropped = set(known) - set(limited)
        if not (bodies or dropped or flags_changed or not meta):
            return []
        if bodies or dropped or not store.has_bodies(feed.key):
            self._articles.rewrite_bodies(feed.key, dropped, bodies)
        ordered = sorted(limited.values(), key=doc_date, reverse=True)
        self._articles.save_docs(feed.key, FeedMeta(title=feed.feed_title,
                                                    site_url=feed.site_url, kind="greader"),
                                 ordered, dropped)
        return new

    # -- read and starred --------------------------------------------------------------------
    def _apply_read(self, feeds: list[Feed], unread: set[str], journal: Journal) -> int:
        """Our read marks from the server's unread list, except items with a change waiting."""
        waiting = journal.pending("read")
        store = self._session.store
        changed = 0
        for feed in feeds:
            docs = self._articles.docs_once(feed.key)
            have = store.read_ids(feed.key)
            want = set()
            for doc in docs:
                change = waiting.get(doc["guid"])
                is_read = change.op == "read" if change else doc["guid"] not in unread
                if is_read:
                    want.add(doc["id"])
            ids = {d["id"] for d in docs}
            to_read, to_unread = want - have, (have & ids) - want
            if to_read:
                store.set_read(feed.key, to_read, True)
            if to_unread:
                store.set_read(feed.key, to_unread, False)
            changed += len(to_read) + len(to_unread)
        return changed

    def _apply_stars(self, feeds: list[Feed], starred: set[str], journal: Journal) -> int:
        """Our bookmarks of the account's articles from the server's starred list (kept
        copies of articles the cache no longer holds included), except items with a change
        waiting; one write of marks.json."""
        waiting = journal.pending("starred")
        bookmarks = self._marks.bookmarks()
        annotated = self._marks.annotated()
        changes: dict[str, KeptCopy | None] = {}
        seen: set[str] = set()

        def wanted(item: str) -> bool:
            change = waiting.get(item)
            return change.op == "star" if change else item in starred

        for feed in feeds:
            read = self._session.store.read_ids(feed.key)
            for doc in self._articles.docs_once(feed.key):
                seen.add(doc["id"])
                want = wanted(doc["guid"])
                if want != (doc["id"] in bookmarks):
                    if want:
                        article = make_article(
                            doc, aid=doc["id"], feed_key=feed.key, feed_title=feed.title,
                            has_content=doc.get("has_content", False),
                            read=doc["id"] in read, bookmarked=True,
                            notes=annotated.get(doc["id"], 0))
                        changes[doc["id"]] = self._articles.make_copy(article)
                    else:
                        changes[doc["id"]] = None
        current = {f.key for f in feeds}
        for aid, copy in bookmarks.items():  # starred articles the cache let go of; those of a
            meta = copy.get("article", {})   # feed the server dropped stay, as kept copies
            if aid not in seen and meta.get("feed_key") in current:
                if not wanted(str(meta.get("guid", ""))):
                    changes[aid] = None
        self._marks.set_bookmarks(changes)
        return len(changes)
