"""Marks and notes: read state, bookmarks, notes, and the kept copies that carry bookmarked
and annotated articles past cache clean-up and their feed's removal (marks.json)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from reader.core.session import Session
from reader.errors import LibraryError
from reader.models import Article, Note
from reader.storage.documents import KeptCopy, NoteDoc
from reader.textutil import strip_control

MakeCopy = Callable[[Article], KeptCopy]
"""Builds an article's kept copy (the articles service knows its bodies)."""
ChangeHook = Callable[[str, str, list[str]], None]
"""Told of a user's change before it is made: (op, feed key, article ids); op is "read",
"unread", "star" or "unstar". The sync journals the changes to server feeds with it."""


def note_text(text: str) -> str:
    """The user's text as stored: exactly as given, less control characters (tab and newline
    stay; a carriage return becomes a newline)."""
    return strip_control(text or "")


def _new_note_id(existing: dict[str, Any]) -> str:
    while True:
        nid = secrets.token_hex(6)
        if nid not in existing:
            return nid


_BY_RULES = "read/by-rules.json"
"""Read marks filter rules gave (feed key -> ids), apart from the user's own."""


class Marks:
    """Read state, bookmarks, notes and kept copies; each change is one write."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._bookmarks: dict[str, KeptCopy] | None = None
        self._notes: dict[str, NoteDoc] | None = None
        self._kept: dict[str, KeptCopy] | None = None
        self._by_rules: dict[str, set[str]] | None = None
        self.on_change: ChangeHook | None = None
        """Told of every read/unread/star/unstar the user makes (see ChangeHook)."""
        session.on_change.append(self._changed)

    def _changed(self, changed: set[Path]) -> None:
        """Another reader changed marks.json (or the rules' read marks): read it again when
        next needed."""
        if self._session.store.data_dir / "marks.json" in changed:
            self._bookmarks = self._notes = self._kept = None
        if self._session.store.data_dir / _BY_RULES in changed:
            self._by_rules = None

    # -- read state ---------------------------------------------------------------------------
    def read_ids(self, feed_key: str) -> set[str]:
        """Ids of the feed's articles the user has read, or a filter rule marked read."""
        ids = self._session.store.read_ids(feed_key)
        by_rules = self._rule_read().get(feed_key)
        return ids | by_rules if by_rules else ids

    def set_read(self, feed_key: str, ids: Iterable[str], read: bool = True) -> bool:
        """Mark ids of one feed read or unread; True when it wrote. Unread wins over a
        filter rule's read mark."""
        self._session.need_lock()
        ids = set(ids)
        if self.on_change is not None:
            self.on_change("read" if read else "unread", feed_key, sorted(ids))
        wrote = self._session.store.set_read(feed_key, ids, read)
        by_rules = self._rule_read().get(feed_key)
        if not read and by_rules and by_rules & ids:
            by_rules -= ids
            self._save_rule_read()
            wrote = True
        return wrote

    def _rule_read(self) -> dict[str, set[str]]:
        if self._by_rules is None:
            data = self._session.store.load_small(
                _BY_RULES, lambda d: all(isinstance(v, list) for v in d.values()))
            self._by_rules = {k: {i for i in v if isinstance(i, str)} for k, v in data.items()}
        return self._by_rules

    def _save_rule_read(self) -> None:
        self._session.store.save_small(
            _BY_RULES, {k: sorted(v) for k, v in sorted(self._rule_read().items()) if v})

    def add_rule_read(self, marked: dict[str, set[str]], subscribed: set[str],
                      cached: dict[str, set[str]]) -> None:
        """Record the read marks filter rules gave at a refresh: one durable write for
        every feed (a write per feed costs a disk flush each, behind the refresh's cache
        writes). Older marks of the `marked` feeds are pruned to the ids their caches hold
        now (`cached`); those of feeds no longer `subscribed` are dropped."""
        self._session.need_lock()
        kept = {k: (v & cached[k] if k in cached else v) for k, v in self._rule_read().items()
                if k in subscribed}
        for key, ids in marked.items():
            kept[key] = kept.get(key, set()) | ids
        self._by_rules = {k: v for k, v in kept.items() if v}
        self._save_rule_read()

    # -- bookmarks and kept copies -----------------------------------------------------------
    def bookmarks(self) -> dict[str, KeptCopy]:
        """article id -> kept copy {id, at, article, body}."""
        if self._bookmarks is None:
            self._bookmarks = self._session.store.load_bookmarks()
        return self._bookmarks

    def _kept_docs(self) -> dict[str, KeptCopy]:
        if self._kept is None:
            self._kept = self._session.store.load_kept()
        return self._kept

    def kept_ids(self) -> set[str]:
        """Articles cache clean-up must never remove: bookmarked and annotated ones."""
        return set(self.bookmarks()) | set(self.annotated())

    def copies(self) -> dict[str, KeptCopy]:
        """Every kept copy, article id -> copy: the annotated ones, then the bookmarked ones."""
        return self._kept_docs() | self.bookmarks()

    def kept_copy(self, aid: str) -> KeptCopy | None:
        """The kept copy {id, at, article, body} of a bookmarked or annotated article."""
        return self.bookmarks().get(aid) or self._kept_docs().get(aid)

    def copy_body(self, aid: str) -> dict[str, Any] | None:
        """The body of an article's kept copy (a fresh dict), None when it has none."""
        copy = self.kept_copy(aid)
        return dict(copy["body"]) if copy else None

    def set_bookmark(self, article: Article, on: bool, make_copy: MakeCopy) -> bool:
        """Bookmark (keeping a full copy, safe from cache clean-up) or unbookmark."""
        self._session.need_lock()
        marks = dict(self.bookmarks())
        if on == (article.id in marks):
            return False
        if self.on_change is not None:
            self.on_change("star" if on else "unstar", article.feed_key, [article.id])
        if on:
            marks[article.id] = make_copy(article)
        else:
            del marks[article.id]
        self._session.store.save_bookmarks(marks)
        self._bookmarks = marks
        return True

    def set_bookmarks(self, changes: dict[str, KeptCopy | None]) -> None:
        """Bookmark (with the given copy) or unbookmark (None) many articles in one write of
        marks.json, telling no one (a sync bringing the server's stars)."""
        if not changes:
            return
        marks = dict(self.bookmarks())
        for aid, copy in changes.items():
            if copy is None:
                marks.pop(aid, None)
            else:
                marks[aid] = copy
        self._session.store.save_bookmarks(marks)
        self._bookmarks = marks

    def patch_copies(self, aids: Iterable[str], patch: Callable[[str, KeptCopy], KeptCopy]
                     ) -> None:
        """Replace the bookmark and note copies of `aids` by `patch(aid, copy)`, in one write
        of marks.json (none when no copy is touched)."""
        aids = set(aids)
        tables: dict[str, dict[str, KeptCopy]] = {}
        for name, copies in (("bookmarks", self.bookmarks()), ("kept", self._kept_docs())):
            touched = aids & set(copies)
            if touched:
                tables[name] = dict(copies) | {aid: patch(aid, copies[aid]) for aid in touched}
        if tables:
            self._session.store.save_marks(**tables)
            self._bookmarks = tables.get("bookmarks", self._bookmarks)
            self._kept = tables.get("kept", self._kept)

    # -- notes --------------------------------------------------------------------------------
    def note_docs(self) -> dict[str, NoteDoc]:
        """Every stored note, by id."""
        if self._notes is None:
            self._notes = self._session.store.load_notes()
        return self._notes

    def annotated(self) -> dict[str, int]:
        """article id -> how many notes it carries."""
        counts: dict[str, int] = {}
        for doc in self.note_docs().values():
            counts[doc["article_id"]] = counts.get(doc["article_id"], 0) + 1
        return counts

    def to_note(self, doc: NoteDoc, titles: dict[str, str]) -> Note:
        """A stored note with its article's title, link and feed (from the kept copy);
        `titles`: feed key -> title of the subscribed feeds."""
        copy = self.kept_copy(doc["article_id"])
        meta = copy["article"] if copy else {}
        return Note(
            id=doc["id"], article_id=doc["article_id"], text=doc.get("text", ""),
            quote=doc.get("quote", ""), created=doc.get("created", 0.0),
            edited=doc.get("edited", 0.0), article_title=meta.get("title", ""),
            article_link=meta.get("link", ""),
            feed_title=titles.get(meta.get("feed_key", ""), meta.get("feed_title", "")),
        )

    def notes(self, titles: dict[str, str], article_id: str | None = None) -> list[Note]:
        """One article's notes, oldest first; with no id, every note, newest edited first."""
        docs = self.note_docs().values()
        if article_id is not None:
            return sorted((self.to_note(d, titles) for d in docs
                           if d["article_id"] == article_id), key=lambda n: n.created)
        return sorted((self.to_note(d, titles) for d in docs), key=lambda n: n.edited,
                      reverse=True)

    def note_doc(self, ref: str) -> NoteDoc:
        """A note by id or unique id prefix (at least 4 characters); LibraryError otherwise."""
        ref = ref.strip().lower()
        docs = self.note_docs()
        if ref in docs:
            return docs[ref]
        matches = [d for i, d in docs.items() if len(ref) >= 4 and i.startswith(ref)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise LibraryError(f"{ref}: several notes start with this id; give more of it")
        raise LibraryError(f"{ref}: no such note (see `reader notes`)")

    def add_note(self, article: Article, text: str, quote: str, make_copy: MakeCopy) -> NoteDoc:
        """Write a note on an article. Keeps a full copy of the article (not a bookmark), so the
        note and the article outlive cache clean-up and the feed's removal."""
        self._session.need_lock()
        text, quote = note_text(text), note_text(quote)
        if not text.strip() and not quote.strip():
            raise LibraryError("a note needs some text or a quote")
        now = time.time()
        doc = {"id": _new_note_id(self.note_docs()), "article_id": article.id, "text": text,
               "quote": quote, "created": now, "edited": now}
        notes = dict(self.note_docs())
        notes[doc["id"]] = doc
        kept = self._kept_docs()
        if article.id not in kept:
            kept = dict(kept)
            kept[article.id] = make_copy(article)
        self._session.store.save_marks(notes=notes, kept=kept)  # note and copy land together
        self._notes, self._kept = notes, kept
        return doc

    def edit_note(self, note_id: str, text: str, quote: str | None = None) -> NoteDoc:
        """Change a note's text (and its quote, unless None); sets its edited time."""
        self._session.need_lock()
        old = self.note_doc(note_id)
        text = note_text(text)
        quote = old.get("quote", "") if quote is None else note_text(quote)
        if not text.strip() and not quote.strip():
            raise LibraryError("a note needs some text or a quote (delete it instead)")
        doc = dict(old, text=text, quote=quote, edited=max(time.time(), old.get("edited", 0.0)))
        notes = dict(self.note_docs())
        notes[doc["id"]] = doc
        self._session.store.save_marks(notes=notes)
        self._notes = notes
        return doc

    def delete_note(self, note_id: str) -> None:
        """Delete a note; the article's copy goes with its last note (a bookmark keeps its own)."""
        self._session.need_lock()
        doc = self.note_doc(note_id)
        notes = {i: d for i, d in self.note_docs().items() if i != doc["id"]}
        kept = self._kept_docs()
        if not any(d["article_id"] == doc["article_id"] for d in notes.values()):
            kept = {i: c for i, c in kept.items() if i != doc["article_id"]}
        self._session.store.save_marks(notes=notes, kept=kept)
        self._notes, self._kept = notes, kept
