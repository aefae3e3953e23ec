"""Notes on articles: CRUD, the kept copy (cache clean-up, feed removal), search, lock."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from reader.config import Settings
from reader.library import Library, LibraryError
from reader.locations import Paths
from reader.models import Article
from tests.conftest import FeedServer, Route, rss

ROOT = Path(__file__).resolve().parents[2]


def open_library(paths: Paths, **settings: object) -> Library:
    library = Library(paths, Settings(**settings))
    library.acquire()
    return library


def by_title(lib: Library, title: str) -> Article:
    return next(a for a in lib.articles() if a.title == title)


@pytest.fixture
def lib(paths: Paths, server: FeedServer) -> Library:
    server.routes["/a"] = Route(rss("Feed A", [("1", "one"), ("2", "two")]))
    library = open_library(paths)
    library.add_feed(server.url("/a"), tags=["news"])
    library.refresh_blocking()
    return library


def test_add_edit_delete_and_reload(lib: Library, paths: Paths) -> None:
    one = by_title(lib, "one")
    first = lib.add_note(one, "first thought", quote="Body of one")
    second = lib.add_note(one, "second thought")
    assert len({first.id, second.id}) == 2 and len(first.id) == 12
    assert (first.article_id, first.article_title, first.feed_title) == (one.id, "one", "Feed A")
    assert first.article_link == "https://example.com/1"
    assert first.created == first.edited > 0
    assert [n.text for n in lib.notes(one.id)] == ["first thought", "second thought"]
    assert lib.annotated() == {one.id: 2}
    assert lib.article(one.id).notes == 2 and by_title(lib, "two").notes == 0

    edited = lib.edit_note(first.id, "first, revised")
    assert edited.quote == "Body of one"  # quote=None keeps it
    assert edited.edited >= first.edited and edited.created == first.created
    assert lib.edit_note(first.id[:6], "again", quote="").quote == ""  # unique prefix works
    assert [n.id for n in lib.notes()] == [first.id, second.id]  # newest edited first

    lib.release()
    again = Library(paths, Settings())  # a fresh process reads the same notes
    assert [(n.id, n.text, n.quote) for n in again.notes(one.id)] == [
        (first.id, "again", ""), (second.id, "second thought", "")]
    again.acquire()
    again.delete_note(first.id)
    assert [n.id for n in again.notes()] == [second.id]
    with pytest.raises(LibraryError, match="no such note"):
        again.delete_note(first.id)
    with pytest.raises(LibraryError, match="no such note"):
        again.edit_note("nope", "x")
    again.delete_note(second.id)
    assert again.notes() == [] and again.annotated() == {}
    assert again.store.load_kept() == {}  # the copy went with the last note


def test_text_is_stored_exactly_except_control_characters(lib: Library, paths: Paths) -> None:
    one = by_title(lib, "one")
    text = "  Ünïcödé 🦜 漢字\n\n\tindented\nsecond line  " + "x" * 20000
    note = lib.add_note(one, text + "\x00\x07\x1b[31m", quote="q\r\nq2\x9b")
    assert note.text == text + "[31m"
    assert note.quote == "q\nq2"
    lib.release()
    assert Library(paths, Settings()).notes()[0].text == text + "[31m"


def test_a_note_needs_text_or_a_quote(lib: Library) -> None:
    one = by_title(lib, "one")
    with pytest.raises(LibraryError, match="needs some text"):
        lib.add_note(one, "  \n", quote="")
    assert lib.add_note(one, "", quote="a highlight").quote == "a highlight"
    note = lib.add_note(one, "text")
    with pytest.raises(LibraryError, match="needs some text"):
        lib.edit_note(note.id, "\x00")
    assert lib.notes(note.article_id)[-1].text == "text"


def test_notes_need_the_lock(paths: Paths, lib: Library) -> None:
    one = by_title(lib, "one")
    note = lib.add_note(one, "kept")
    lib.release()
    reader = Library(paths, Settings())
    for call in (lambda: reader.add_note(one, "x"), lambda: reader.edit_note(note.id, "y"),
                 lambda: reader.delete_note(note.id)):
        with pytest.raises(LibraryError, match="lock"):
            call()
    assert [n.text for n in reader.notes()] == ["kept"]


def test_annotating_does_not_bookmark(lib: Library) -> None:
    one = by_title(lib, "one")
    lib.add_note(one, "just a note")
    assert lib.bookmarks() == {}
    assert not lib.article(one.id).bookmarked
    assert lib.articles(bookmarked=True) == []
    assert [a.id for a in lib.articles(annotated=True)] == [one.id]


def test_bookmark_and_note_copies_are_independent(lib: Library, paths: Paths) -> None:
    one = by_title(lib, "one")
    note = lib.add_note(one, "n")
    lib.set_bookmark(one)
    lib.set_bookmark(one, False)  # dropping the bookmark keeps the notes' copy
    lib.remove_feed(one.feed_key)
    assert "Body of one" in lib.body(lib.article(one.id))["summary_html"]
    lib.set_bookmark(lib.article(one.id))
    lib.delete_note(note.id)  # dropping the last note keeps the bookmark's copy
    [kept] = lib.articles()
    assert kept.bookmarked and kept.notes == 0
    assert "Body of one" in lib.body(kept)["summary_html"]
    marks = json.loads((paths.data_dir / "marks.json").read_bytes())
    assert set(marks) >= {"bookmarks", "notes", "kept"}


def test_notes_survive_cache_clean_up(paths: Paths, server: FeedServer) -> None:
    server.routes["/a"] = Route(rss("A", [(str(i), f"t{i}") for i in range(5)]))
    lib = open_library(paths, max_articles_per_feed=2)
    lib.add_feed(server.url("/a"))
    lib.refresh_blocking()
    t0 = by_title(lib, "t0")
    lib.add_note(t0, "remember t0", quote="Body of t0")
    server.routes["/a"] = Route(rss("A", [("8", "t8"), ("9", "t9")]))
    lib.refresh_blocking()
    titles = {a.title for a in lib.articles()}
    assert titles == {"t0", "t8", "t9"}  # t1..t4 cleaned away, the annotated t0 kept
    article = lib.article(t0.id)
    assert article.notes == 1
    assert "Body of t0" in lib.converted(article).markdown
    lib.release()
    again = Library(paths, Settings())
    assert [n.text for n in again.notes(t0.id)] == ["remember t0"]
    assert "Body of t0" in again.body(again.article(t0.id))["summary_html"]


def test_notes_survive_feed_removal(lib: Library, paths: Paths) -> None:
    one = by_title(lib, "one")
    lib.add_note(one, "keep this")
    lib.remove_feed(one.feed_key)
    assert lib.feeds() == []
    [kept] = lib.articles(annotated=True)
    assert (kept.id, kept.title, kept.notes, kept.bookmarked) == (one.id, "one", 1, False)
    assert [a.id for a in lib.articles()] == [one.id]
    assert "Body of one" in lib.converted(kept).markdown
    assert lib.notes()[0].feed_title == "Feed A"  # from the copy, the feed being gone
    lib.release()
    again = Library(paths, Settings())
    assert "Body of one" in again.body(again.article(one.id[:6]))["summary_html"]


def test_refresh_updates_the_notes_copy(lib: Library, server: FeedServer) -> None:
    one = by_title(lib, "one")
    lib.add_note(one, "n")
    server.routes["/a"] = Route(rss("Feed A", [("1", "one, corrected"), ("2", "two")]))
    lib.refresh_blocking()
    assert lib.notes()[0].article_title == "one, corrected"
    assert "one, corrected" in lib.store.load_kept()[one.id]["body"]["summary_html"]


def test_search_finds_note_text_and_quotes(lib: Library) -> None:
    one = by_title(lib, "one")
    lib.add_note(one, "Zebra crossing", quote="Quokka smile")
    assert [a.id for a in lib.articles(search="zebra")] == [one.id]
    assert [a.id for a in lib.articles(search="QUOKKA")] == [one.id]
    assert lib.articles(search="giraffe") == []
    lib.remove_feed(one.feed_key)  # still found from the kept copy
    assert [a.id for a in lib.articles(search="zebra")] == [one.id]


def test_annotated_filter_with_other_filters(lib: Library) -> None:
    one, two = by_title(lib, "one"), by_title(lib, "two")
    lib.add_note(one, "n")
    lib.mark_read(one)
    assert lib.articles(annotated=True, unread=True) == []
    assert [a.id for a in lib.articles(annotated=True, feed=one.feed_key)] == [one.id]
    lib.set_bookmark(two)
    assert lib.articles(annotated=True, bookmarked=True) == []


KILL_SCRIPT = textwrap.dedent("""
    import os, sys
    from reader.config import Settings
    from reader.library import Library
    from reader.locations import Paths
    lib = Library(Paths.from_env(), Settings())
    lib.acquire()
    articles = lib.articles()
    log = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    start = int(sys.argv[2])
    print("ready", flush=True)
    ids = [n.id for n in lib.notes()]
    i = start
    while True:
        text = f"v{i} 🦜 ünïcode\\nline two"
        if i % 3 == 2 and ids:
            note = lib.edit_note(ids[i % len(ids)], text)
            os.write(log, f"edit {note.id} {i}\\n".encode())
        else:
            note = lib.add_note(articles[i % len(articles)], text, quote=f"quote {i}")
            ids.append(note.id)
            os.write(log, f"add {note.id} {i}\\n".encode())
        i += 1
""")


def test_sigkill_during_note_writes_loses_no_saved_note(paths: Paths, server: FeedServer,
                                                        tmp_path: Path) -> None:
    server.routes["/a"] = Route(rss("A", [(str(i), f"t{i}") for i in range(20)]))
    lib = open_library(paths)
    lib.add_feed(server.url("/a"))
    lib.refresh_blocking()
    lib.release()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    log = tmp_path / "log"
    start = 0
    for trial in range(5):
        proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(log), str(start)],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdout.readline().strip() == b"ready", proc.stderr.read()
        time.sleep(0.1 + 0.08 * trial)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        json.loads((paths.data_dir / "marks.json").read_bytes())  # readable, whole
        # note id -> (last saved version, its quote's number; None for a note whose adding
        # was cut short by a kill after the write, before the log line, then edited)
        saved: dict[str, tuple[int, int | None]] = {}
        for line in log.read_text().splitlines():
            action, nid, n = line.split()
            saved[nid] = (int(n), saved.get(nid, (0, None))[1] if action == "edit" else int(n))
        last = max(v for v, _ in saved.values())
        again = Library(paths, Settings())
        assert again.problems == []
        notes = {n.id: n for n in again.notes()}
        assert len(saved) <= len(notes) <= len(saved) + trial + 1  # + ones cut short by kills
        for nid, (version, quoted) in saved.items():
            note = notes[nid]  # every note reported saved is there ...
            stored = int(note.text.split()[0][1:])
            assert version <= stored <= last + 1  # ... with its last saved text (or newer)
            assert note.text.endswith(" 🦜 ünïcode\nline two")
            assert note.quote == f"quote {quoted}" or quoted is None
            assert again.kept_copy(note.article_id) is not None  # and its article's copy
        assert set(again.annotated()) <= {a.id for a in again.articles(annotated=True)}
        start = last + 2
    assert len(saved) > 10  # the loop really ran


def test_kept_articles_outlive_a_deleted_cache(lib: Library, paths: Paths,
                                               server: FeedServer) -> None:
    one, two = by_title(lib, "one"), by_title(lib, "two")
    lib.add_note(one, "noted")
    lib.set_bookmark(two)
    lib.release()
    shutil.rmtree(paths.cache_dir)
    server.routes["/a"] = Route(rss("Feed A", [("3", "three")]))  # both left the feed
    again = open_library(paths)
    again.refresh_blocking()
    listed = {a.title: a for a in again.articles()}
    assert sorted(listed) == ["one", "three", "two"]
    assert (listed["one"].notes, listed["one"].bookmarked) == (1, False)
    assert (listed["two"].notes, listed["two"].bookmarked) == (0, True)
    assert [a.id for a in again.articles(annotated=True)] == [one.id]
    assert {a.title for a in again.articles(one.feed_key)} == {"one", "two", "three"}
    assert "Body of one" in again.converted(again.article(one.id)).markdown
    server.routes["/a"] = Route(rss("Feed A", [("1", "one"), ("3", "three")]))
    again.refresh_blocking()  # back in the feed: listed once, from the cache
    assert sorted(a.title for a in again.articles()) == ["one", "three", "two"]
    assert again.article(one.id).notes == 1
