"""Several readers on one library at once: the app open, `reader refresh` from cron, a
`reader note add` in a shell. Each write takes the write lock for a moment and first reads
again what the others wrote; a refresh holds the refresh lock throughout (issue 11)."""

from __future__ import annotations

import asyncio
import json

import pytest

from reader.config import Settings
from reader.errors import LockedError
from reader.library import Library
from reader.locations import Paths
from reader.storage import store as files
from tests.conftest import FeedServer, Route, rss


def reader_process(paths: Paths) -> Library:
    """What one process opens: its own Library, store and locks, as the app or the CLI."""
    library = Library(paths, Settings())
    library.acquire()
    return library


@pytest.fixture
def two_feeds(paths: Paths, server: FeedServer) -> FeedServer:
    server.routes["/a"] = Route(rss("Feed A", [("a1", "first of A")]))
    server.routes["/b"] = Route(rss("Feed B", [("b1", "first of B")]))
    first = reader_process(paths)
    first.add_feed(server.url("/a"))
    first.add_feed(server.url("/b"))
    first.refresh_blocking()
    first.release()
    return server


def test_a_cron_refresh_reaches_the_open_app(paths: Paths, two_feeds: FeedServer) -> None:
    app = reader_process(paths)
    assert {a.title for a in app.articles()} == {"first of A", "first of B"}
    assert not app.changed_elsewhere()
    checked_before = app.find_feed("Feed A").last_checked
    two_feeds.routes["/a"] = Route(rss("Feed A", [("a2", "second of A"), ("a1", "first of A")]))
    cron = reader_process(paths)  # the app holds no lock for its lifetime: cron may refresh
    results = cron.refresh_blocking()
    cron.release()
    assert sum(r.new for r in results) == 1
    assert app.changed_elsewhere()
    assert asyncio.run(app.catch_up()) is True
    assert not app.changed_elsewhere()
    assert "second of A" in {a.title for a in app.articles()}
    feed_a = app.find_feed("Feed A")
    assert app.counts()[feed_a.key] == (2, 2)
    assert feed_a.last_checked > checked_before > 0  # cron's status, read here
    assert asyncio.run(app.catch_up()) is False  # nothing new since: no second reload


def test_writes_of_two_readers_never_undo_each_other(paths: Paths, two_feeds: FeedServer
                                                     ) -> None:
    """Both readers hold the marks, the read state and the list in memory; each write reads
    the files again first, so the later write keeps the earlier one's change."""
    one, two = reader_process(paths), reader_process(paths)
    a1 = next(a for a in one.articles() if a.title == "first of A")
    b1 = next(a for a in two.articles() if a.title == "first of B")
    assert one.notes() == two.notes() == [] and one.bookmarks() == two.bookmarks() == {}
    one.add_note(a1, "from the app")
    two.add_note(b1, "from a shell")  # two's notes in memory predate one's note
    one.set_bookmark(a1)
    two.set_bookmark(b1)
    one.mark_read(a1)
    two.mark_read(next(a for a in two.articles() if a.id == a1.id), False)  # undone there
    two.mark_read(b1)
    one.add_feed("https://c.example/rss")
    two.add_feed("https://d.example/rss")
    two.edit_feed("https://c.example/rss", tags=["later"])
    one.release()
    two.release()
    fresh = Library(paths, Settings())
    assert sorted(n.text for n in fresh.notes()) == ["from a shell", "from the app"]
    assert set(fresh.bookmarks()) == {a1.id, b1.id}
    read = {a.id for a in fresh.articles() if a.read}
    assert read == {b1.id}  # a1: read by one, then unread by two, in that order
    urls = [f.url for f in fresh.feeds()]
    assert urls[2:] == ["https://c.example/rss", "https://d.example/rss"]
    assert fresh.find_feed("https://c.example/rss").tags == ["later"]
    for path in paths.data_dir.rglob("*.json"):
        json.loads(path.read_bytes())


def test_two_refreshes_never_both_fetch(paths: Paths, two_feeds: FeedServer) -> None:
    hits = len(two_feeds.hits)
    other = files.FileLock(paths.data_dir / "refresh.lock", "refreshing")
    other.acquire()  # another reader refreshing right now
    try:
        lib = reader_process(paths)
        with pytest.raises(LockedError, match="is refreshing the feeds now"):
            lib.refresh_blocking()
        assert len(two_feeds.hits) == hits  # nothing fetched
        with pytest.raises(LockedError):
            lib.cleanup()
        lib.mark_read(lib.articles()[0])  # other writes go on meanwhile
    finally:
        other.release()
    assert len(lib.refresh_blocking()) == 2
    lib.release()


def test_a_write_waits_for_another_readers_write(paths: Paths, two_feeds: FeedServer,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The write lock is held for a moment by whoever saves; a writer waits for it and
    gives up with a clear LockedError only after WRITE_WAIT, having changed nothing."""
    import threading

    lib = reader_process(paths)
    article = lib.articles()[0]
    holder = files.FileLock(paths.data_dir / "lock")
    holder.acquire()
    threading.Timer(0.3, holder.release).start()
    lib.mark_read(article)  # waits the 0.3 s out
    assert lib.articles(unread=True)[0].id != article.id
    monkeypatch.setattr(files, "WRITE_WAIT", 0.2)
    holder.acquire()
    try:
        with pytest.raises(LockedError, match="has been saving"):
            lib.set_bookmark(article)
    finally:
        holder.release()
    assert lib.bookmarks() == {}
    assert Library(paths, Settings()).bookmarks() == {}


def test_a_feed_removed_elsewhere_leaves_the_open_reader(paths: Paths, two_feeds: FeedServer
                                                         ) -> None:
    app, shell = reader_process(paths), reader_process(paths)
    a1 = next(a for a in app.articles() if a.title == "first of A")
    app.set_bookmark(a1)
    shell.remove_feed("Feed A")
    assert asyncio.run(app.catch_up())
    assert [f.title for f in app.feeds()] == ["Feed B"]
    assert a1.id in {a.id for a in app.articles()}  # its bookmark kept a copy
    assert app.refresh_blocking()[0].feed_key == app.feeds()[0].key
    app.release()
    shell.release()
