"""The article index: the newest articles of all feeds, metadata only, in one small cache file
(cache/index.json), so that start-up and `articles --limit N` read one file instead of every
feed's cache.

It is a cache and never the truth: it records, for every subscribed feed, the stamp (inode,
mtime, size) its cache file had when the articles were read, and is used only while every
feed's file still has that stamp and the subscriptions are the same feeds. Another process
(a cron `reader refresh`) that rewrites a feed's file changes its stamp, so the index is
then ignored and rebuilt from the files by the next full listing. A missing, corrupt or
unreadable index is rebuilt the same way. User state (read, bookmarks, notes) is never in it:
it is applied from the data folder each time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reader.core.session import Session
from reader.models import Article
from reader.storage.documents import ArticleDoc
from reader.storage.store import atomic_write_bytes, file_signature

INDEX_VERSION = 2
HEAD_SIZE = 1000
"""Newest articles kept: a few screens more than the first one, and any `--limit` up to it."""

_FIELDS = ("id", "feed_key", "guid", "title", "link", "author", "published", "updated",
           "fetched_at", "has_content", "categories", "tags")
"""A row of the index: these values, in this order (lists are half the size of objects)."""

_STR, _DATE = (str,), (int, float, type(None))
_TYPES = (_STR, _STR, _STR, _STR, _STR, _STR, _DATE, _DATE, (int, float), (bool,), (list,),
          (list,))


def _row(article: Article) -> list[Any]:
    return [getattr(article, name) for name in _FIELDS]


def _doc(row: Any) -> tuple[str, ArticleDoc] | None:
    """(feed key, document) from a row, None when it is not what the index writes."""
    if not isinstance(row, list) or len(row) != len(_FIELDS):
        return None
    for value, types in zip(row, _TYPES, strict=True):
        if not isinstance(value, types):
            return None
    doc = dict(zip(_FIELDS, row, strict=True))
    return doc.pop("feed_key"), doc  # type: ignore[return-value]


def _load(path: Path) -> dict[str, Any] | None:
    """The index as saved, or None when missing or unreadable in any way (a cache: it is
    rebuilt; nothing is set aside or reported)."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _save(path: Path, data: dict[str, Any]) -> None:
    """Replace the index (atomic, not fsynced: a torn one after a power cut does not parse
    and is rebuilt). A read-only or full cache folder only costs speed."""
    try:
        atomic_write_bytes(path, json.dumps(data, separators=(",", ":")).encode("utf-8"),
                           durable=False)
    except OSError:
        pass


class ArticleIndex:
    """Reads and writes cache/index.json; knows the stamps of the feed files it was read from."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._stamps: dict[str, str] = {}
        """feed key -> its cache file's stamp when the documents in memory were read/written."""
        self._known: dict[str, str] | None = None
        """The stamps the index file on disk holds, when this process read or wrote it."""

    @property
    def _path(self) -> Path:
        return self._session.store.cache_dir / "index.json"

    def _stamp(self, feed_key: str) -> str:
        """Changes whenever a feed's cache file is replaced, by this process or another
        (inode, mtime, size); "-" when there is none."""
        found = file_signature(self._session.store.cache_dir / "feeds" / f"{feed_key}.json")
        return ".".join(map(str, found)) if found else "-"

    def stamps(self, keys: list[str]) -> dict[str, str]:
        """The stamps the feeds' cache files have now (one stat each)."""
        return {k: self._stamp(k) for k in keys}

    def recorded(self, keys: list[str]) -> dict[str, str]:
        """The stamps the feeds' files had when this process last read or wrote them."""
        return {k: self._stamps.get(k, "") for k in keys}

    def loading(self, feed_key: str) -> None:
        """A feed's cache file is about to be read (stamped before: a change made while it
        is read leaves the older stamp, and the index is then rebuilt, never trusted)."""
        self._stamps[feed_key] = self._stamp(feed_key)

    def saved(self, feed_key: str) -> None:
        """This process has just replaced a feed's cache file (its documents are in memory)."""
        self._stamps[feed_key] = self._stamp(feed_key)

    def forget(self, feed_key: str) -> None:
        """A feed's documents left memory (unsubscribed)."""
        self._stamps.pop(feed_key, None)

    def newest(self, keys: list[str]) -> list[tuple[str, ArticleDoc]] | None:
        """The newest cached articles of the feeds `keys`, newest first, as (feed key, doc);
        None unless the index describes exactly these feeds with the files as they are now."""
        data = _load(self._path)
        if not data or data.get("version") != INDEX_VERSION:
            return None
        stamps = data.get("feeds")
        rows = data.get("rows")
        if not isinstance(stamps, dict) or not isinstance(rows, list) or \
                set(stamps) != set(keys):
            return None
        if any(stamps[k] != self._stamp(k) for k in keys):
            return None
        docs = [_doc(row) for row in rows]
        if any(d is None for d in docs):
            return None
        self._known = stamps
        return docs  # type: ignore[return-value]

    def remember(self, keys: list[str], newest: list[Article]) -> None:
        """Save the index from a full listing of the feeds `keys` (its newest cached articles,
        newest first), unless the one on disk already says the same, or a file changed since
        its documents were read (then the listing is of older files: nothing is saved)."""
        stamps = self.recorded(keys)
        if stamps == self._known:
            return
        if any(stamps[k] != self._stamp(k) for k in keys):
            return
        if self.newest(keys) is not None and self._known == stamps:
            return  # another listing (this process or another) saved the same already
        _save(self._path, {"version": INDEX_VERSION, "feeds": stamps,
                          "rows": [_row(a) for a in newest[:HEAD_SIZE]]})
        self._known = stamps
