"""The article index (cache/index.json): `--limit` and start-up read it instead of every
feed's cache, and it is never trusted once a feed's file changed, in this process or in
another one, nor when it is missing, corrupt or about other feeds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reader.config import Settings
from reader.core.articles import Articles
from reader.core.index import HEAD_SIZE
from reader.library import Library
from reader.locations import Paths
from reader.models import ParsedEntry, View
from tests.fakeparser import FakeParser

BASE = 1_700_000_000.0


def entries(prefix: str, count: int, newest: float) -> list[ParsedEntry]:
    return [ParsedEntry(guid=f"{prefix}-{i}", title=f"{prefix} {i}", link=f"https://x.test/{i}",
                        published=newest - i * 60, content_html=f"<p>{prefix} {i}</p>")
            for i in range(count)]


@pytest.fixture
def fake() -> FakeParser:
    return FakeParser()


def library(paths: Paths, fake: FakeParser, *, lock: bool = True) -> Library:
    lib = Library(paths, Settings(max_articles_per_feed=0), parser=fake)
    if lock:
        lib.acquire()
    return lib


def three_feeds(paths: Paths, fake: FakeParser, tmp_path: Path) -> Library:
    lib = library(paths, fake)
    for n, name in enumerate(("a", "b", "c")):
        lib.add_feed(fake.feed(tmp_path, name, name.upper(), entries(name, 30, BASE - n * 7)))
    lib.refresh_blocking()
    return lib


def no_feed_files_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every feed cache file read through the articles service."""
    read: list[str] = []
    original = Articles.docs

    def docs(self: Articles, feed_key: str):  # noqa: ANN202
        if not self.loaded(feed_key):
            read.append(feed_key)
        return original(self, feed_key)

    monkeypatch.setattr(Articles, "docs", docs)
    return read


def test_limit_reads_the_index_and_lists_what_the_full_listing_lists(
        paths: Paths, fake: FakeParser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lib = three_feeds(paths, fake, tmp_path)
    everything = lib.articles()
    lib.mark_read(everything[1])
    lib.set_bookmark(everything[2])
    lib.release()
    assert (paths.cache_dir / "index.json").exists()
    read = no_feed_files_read(monkeypatch)
    again = library(paths, fake, lock=False)
    newest = again.articles(limit=7)
    assert read == []  # one small file, not the feeds' caches
    assert [a.id for a in newest] == [a.id for a in everything[:7]]
    assert newest[1].read and not newest[0].read and newest[2].bookmarked  # user state applied
    assert [a.feed_title for a in newest] == [a.feed_title for a in everything[:7]]
    assert again.view_articles(View("all"), 5) == newest[:5]


def test_a_refresh_by_another_process_makes_the_index_stale(
        paths: Paths, fake: FakeParser, tmp_path: Path) -> None:
    lib = three_feeds(paths, fake, tmp_path)
    lib.articles()  # writes the index
    lib.release()
    reading = library(paths, fake, lock=False)  # the app, say
    assert reading.articles(limit=3)[0].title == "a 0"
    writer = library(paths, fake)  # cron's `reader refresh`, in another process
    url = writer.feeds()[1].url
    fake.feed(tmp_path, "b", "B", entries("fresh", 1, BASE + 3600) + entries("b", 30, BASE))
    [result] = writer.refresh_blocking([url])
    assert result.new == 1
    writer.release()
    assert reading.articles(limit=3)[0].title == "fresh 0"  # never the stale index
    assert Library(paths, Settings()).articles(limit=1)[0].title == "fresh 0"


def test_a_corrupt_or_foreign_index_is_ignored_and_rebuilt(
        paths: Paths, fake: FakeParser, tmp_path: Path) -> None:
    lib = three_feeds(paths, fake, tmp_path)
    expected = [a.id for a in lib.articles()][:5]
    index = paths.cache_dir / "index.json"
    for bad in (b"{not json", b"[]", json.dumps({"version": 1, "feeds": {}, "rows": []}).encode(),
                b'{"version": 1, "feeds": ' + json.dumps(
                    json.loads(index.read_bytes())["feeds"]).encode() + b', "rows": [[1]]}'):
        index.write_bytes(bad)
        fresh = Library(paths, Settings())
        assert [a.id for a in fresh.articles(limit=5)] == expected
        fresh.articles()  # a full listing writes it again
        assert json.loads(index.read_bytes())["rows"][0][0] == expected[0]
    assert not list(paths.cache_dir.glob("index.json.corrupt-*"))  # a cache: nothing set aside
    lib.release()


def test_unsubscribing_or_removing_a_feed_file_is_seen(
        paths: Paths, fake: FakeParser, tmp_path: Path) -> None:
    lib = three_feeds(paths, fake, tmp_path)
    lib.articles()
    lib.remove_feed(lib.feeds()[0].url)
    assert all(a.feed_title != "A" for a in lib.articles(limit=50))
    lib.articles()
    (paths.cache_dir / "feeds" / f"{lib.feeds()[0].key}.json").unlink()  # cache deleted
    assert all(a.feed_title == "C" for a in Library(paths, Settings()).articles(limit=50))
    lib.release()


def test_the_index_keeps_the_newest_only_and_a_larger_limit_reads_the_feeds(
        paths: Paths, fake: FakeParser, tmp_path: Path) -> None:
    lib = library(paths, fake)
    lib.add_feed(fake.feed(tmp_path, "big", "Big", entries("n", HEAD_SIZE + 50, BASE)))
    lib.refresh_blocking()
    everything = lib.articles()
    rows = json.loads((paths.cache_dir / "index.json").read_bytes())["rows"]
    assert len(rows) == HEAD_SIZE
    fresh = Library(paths, Settings())
    assert [a.id for a in fresh.articles(limit=HEAD_SIZE + 10)] == \
        [a.id for a in everything[:HEAD_SIZE + 10]]
    lib.release()


def test_kept_copies_of_articles_gone_from_the_cache_are_listed_from_the_index_too(
        paths: Paths, fake: FakeParser, tmp_path: Path) -> None:
    lib = three_feeds(paths, fake, tmp_path)
    newest = lib.articles()[0]
    lib.set_bookmark(newest)
    lib.remove_feed(lib.find_feed(newest.feed_key).url)  # its cache goes, the copy stays
    full = lib.articles()
    assert full[0].id == newest.id
    assert [a.id for a in Library(paths, Settings()).articles(limit=4)] == \
        [a.id for a in full[:4]]
    lib.release()
