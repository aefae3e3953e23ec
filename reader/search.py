"""The search index: the words each cached article shows, in SQLite FTS5 (a cache file).

What is indexed is what the reader shows: the title, the author and the article's text as the
converter would show it (the fetched full text when there is one, else the feed's text), so
that clutter the converter removes (`[revad2]`, a Telegram promo) is not found, and words
that only the fetched page has are. Notes and kept copies of removed feeds are few and are
searched by the library directly.

The index is a cache (`cache/search.sqlite`): missing or unreadable, it is rebuilt; it is
brought up to date feed by feed before each search, from a signature of the feed's cache
files, so a refresh or a full-text fetch costs nothing here until someone searches. No Textual.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

_WORD = re.compile(r"\w+", re.UNICODE)
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class IndexDoc:
    """One article as the index sees it."""

    article_id: str
    title: str
    author: str
    text: str


def query_words(query: str) -> list[str]:
    """The words of a search, folded: each must match the start of a word in the article."""
    return [w.casefold() for w in _WORD.findall(query)]


def has_words(text: str, words: list[str]) -> bool:
    """True when each of `words` (folded) starts some word of `text`."""
    found = {w.casefold() for w in _WORD.findall(text)}
    return all(any(f.startswith(w) for f in found) for w in words)


def match_expression(query: str) -> str:
    """An FTS5 expression: every word, as a prefix, anywhere in the article."""
    return " AND ".join(f'"{w}"*' for w in query_words(query))


class SearchIndex:
    """One SQLite file with an FTS5 table; used from one thread at a time (the library's)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None

    # -- the file -----------------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        if self._db is not None:
            return self._db
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = self._connect()
        except sqlite3.DatabaseError:  # not a database, or a damaged one: it is a cache
            self.path.unlink(missing_ok=True)
            db = self._connect()
        self._db = db
        return db

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=OFF")  # a cache: a crash costs a rebuild
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version != SCHEMA_VERSION:
                db.executescript("""
                    DROP TABLE IF EXISTS words; DROP TABLE IF EXISTS docs;
                    DROP TABLE IF EXISTS feeds;
                    CREATE VIRTUAL TABLE words USING fts5(
                        title, author, text, content='', tokenize='unicode61 remove_diacritics 2');
                    CREATE TABLE docs(article_id TEXT PRIMARY KEY, row INTEGER NOT NULL,
                                      feed_key TEXT NOT NULL, sig TEXT NOT NULL);
                    CREATE INDEX docs_row ON docs(row);
                    CREATE INDEX docs_feed ON docs(feed_key);
                    CREATE TABLE feeds(feed_key TEXT PRIMARY KEY, sig TEXT NOT NULL);
                """)
                db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # -- keeping it current -------------------------------------------------------------------
    def feed_signatures(self) -> dict[str, str]:
        """feed key -> the signature its index entries were made from."""
        return dict(self._open().execute("SELECT feed_key, sig FROM feeds").fetchall())

    def update_feed(self, feed_key: str, signature: str,
                    items: Iterable[tuple[str, str, Callable[[], IndexDoc]]]) -> int:
        """Bring one feed up to date. `items` are (article id, signature of what its words
        come from, a function making its IndexDoc) for every article the feed holds now; only
        articles whose signature changed are read and indexed. Returns how many were."""
        db = self._open()
        known = dict(db.execute("SELECT article_id, sig FROM docs WHERE feed_key=?",
                                (feed_key,)).fetchall())
        written = 0
        with _transaction(db):
            present: set[str] = set()
            for article_id, sig, make in items:
                present.add(article_id)
                if known.get(article_id) == sig:
                    continue
                doc = make()
                # contentless FTS5: old words stay behind under their old row, and no longer
                # name an article once docs points elsewhere; compact() drops them.
                row = db.execute("INSERT INTO words(title, author, text) VALUES (?, ?, ?)",
                                 (doc.title, doc.author, doc.text)).lastrowid
                db.execute("INSERT OR REPLACE INTO docs(article_id, row, feed_key, sig) "
                           "VALUES (?, ?, ?, ?)", (article_id, row, feed_key, sig))
                written += 1
            db.executemany("DELETE FROM docs WHERE article_id=?",
                           [(i,) for i in known if i not in present])
            db.execute("INSERT OR REPLACE INTO feeds(feed_key, sig) VALUES (?, ?)",
                       (feed_key, signature))
        return written

    def forget_feeds(self, keep: set[str]) -> None:
        """Drop feeds no longer subscribed."""
        db = self._open()
        stale = [k for (k,) in db.execute("SELECT feed_key FROM feeds") if k not in keep]
        with _transaction(db):
            for key in stale:
                db.execute("DELETE FROM docs WHERE feed_key=?", (key,))
                db.execute("DELETE FROM feeds WHERE feed_key=?", (key,))

    def compact(self) -> bool:
        """Empty the index when most of its word rows name no article any more (stale words
        of updated articles); True when it did, and every feed must be indexed again."""
        db = self._open()
        rows = db.execute("SELECT max(rowid) FROM words").fetchone()[0] or 0
        live = db.execute("SELECT count(*) FROM docs").fetchone()[0]
        if rows <= 1000 or live >= rows // 2:
            return False
        with _transaction(db):
            db.execute("DELETE FROM feeds")
            db.execute("DELETE FROM docs")
            db.execute("INSERT INTO words(words) VALUES ('delete-all')")
        return True

    # -- asking -----------------------------------------------------------------------------
    def search(self, query: str) -> dict[str, str]:
        """article id -> feed key of every indexed article that has all the query's words."""
        expression = match_expression(query)
        if not expression:
            return {}
        rows = self._open().execute(
            "SELECT d.article_id, d.feed_key FROM words JOIN docs d ON d.row = words.rowid "
            "WHERE words MATCH ?", (expression,))
        return dict(rows.fetchall())


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def highlight_spans(text: str, query: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each word in `text` that a search word starts, for highlighting."""
    words = query_words(query)
    if not words:
        return
    for match in _WORD.finditer(text):
        folded = match.group().casefold()
        if any(folded.startswith(w) for w in words):
            yield match.start(), match.end()
