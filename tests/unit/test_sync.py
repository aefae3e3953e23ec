"""Syncing with a Google Reader API server: both personalities of the fake server
(tests/fakes/greader.py: FreshRSS greader.php, Miniflux internal/googlereader)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.config import Settings
from reader.library import Library
from reader.locations import Paths
from reader.sync.greader import long_item_id
from tests.fakes.greader import FakeGReader

PERSONALITIES = ("freshrss", "miniflux")


@pytest.fixture(params=PERSONALITIES)
def server(request: pytest.FixtureRequest) -> Iterator[FakeGReader]:
    with FakeGReader(request.param) as fake:
        yield fake


def open_library(paths: Paths) -> Library:
    library = Library(paths, Settings(read_timeout=5, connect_timeout=2))
    library.acquire()
    return library


@pytest.fixture
def library(paths: Paths) -> Iterator[Library]:
    lib = open_library(paths)
    yield lib
    lib.release()


def add(library: Library, server: FakeGReader) -> str:
    return library.add_account_blocking("greader", server.url, server.user,
                                        server.password).name


def item(eid: int) -> str:
    return long_item_id(eid)


def by_guid(library: Library) -> dict[str, object]:
    return {a.guid: a for a in library.articles()}


def files(root: Path) -> dict[str, bytes]:
    """Every file under the data and cache folders, except the lock and the sync state."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name not in ("lock", "state.json"):
            out[str(path.relative_to(root))] = path.read_bytes()
    return out


def test_first_sync_brings_feeds_articles_read_and_starred(library: Library,
                                                           server: FakeGReader) -> None:
    tech = server.add_feed("Tech", "Computing")
    ids = server.add_items(tech, 12)
    server.mark(ids[0], starred=True)
    server.mark(ids[1], read=True)
    name = add(library, server)
    [result] = library.sync_blocking()
    assert result.status == "ok", result.error
    [feed] = library.feeds()
    assert (feed.title, feed.tags, feed.account) == ("Tech", ["Computing"], name)
    articles = by_guid(library)
    assert set(articles) == {item(i) for i in ids}
    assert articles[item(ids[0])].bookmarked and not articles[item(ids[0])].read
    assert articles[item(ids[1])].read
    assert sum(not a.read for a in articles.values()) == 11
    text = library.text(articles[item(ids[2])])  # the converter reads it as any feed
    assert f"Text of item {ids[2]}" in text.markdown


def test_local_changes_are_sent_and_leave_the_journal(library: Library,
                                                      server: FakeGReader) -> None:
    fid = server.add_feed("Tech")
    ids = server.add_items(fid, 5)
    name = add(library, server)
    library.sync_blocking()
    articles = by_guid(library)
    library.mark_read(articles[item(ids[0])])
    library.set_bookmark(articles[item(ids[1])])
    library.mark_read(articles[item(ids[2])])
    library.mark_read(articles[item(ids[2])], False)  # read then unread: unread is sent
    [(_, _, waiting)] = library.account_status()
    assert waiting == 4
    [result] = library.sync_blocking()
    assert result.status == "ok" and result.sent == 4
    entries = server.state.entries
    assert entries[ids[0]].read and entries[ids[1]].starred and not entries[ids[2]].read
    assert library.account_status()[0][2] == 0
    assert not (library.paths.data_dir / "sync" / name / "journal.jsonl").read_text().strip()


def test_the_journal_survives_a_kill_and_wins_over_the_server(paths: Paths,
                                                              server: FakeGReader) -> None:
    fid = server.add_feed("Tech")
    ids = server.add_items(fid, 3)
    first = open_library(paths)
    add(first, server)
    first.sync_blocking()
    articles = by_guid(first)
    first.mark_read(articles[item(ids[0])])
    first.set_bookmark(articles[item(ids[1])])
    del first  # killed: no release(), nothing else written
    server.mark(ids[0], read=False)  # the other device's older state
    second = open_library(paths)
    try:
        [result] = second.sync_blocking()
        assert result.status == "ok" and result.sent == 2
        articles = by_guid(second)
        assert articles[item(ids[0])].read and articles[item(ids[1])].bookmarked
        assert server.state.entries[ids[0]].read and server.state.entries[ids[1]].starred
    finally:
        second.release()


def test_changes_from_another_device_arrive(library: Library, server: FakeGReader) -> None:
    fid = server.add_feed("Tech")
    ids = server.add_items(fid, 4)
    add(library, server)
    library.sync_blocking()
    server.mark(ids[0], read=True)
    server.mark(ids[1], starred=True)
    new = server.add_items(fid, 2)
    [result] = library.sync_blocking()
    assert result.status == "ok" and result.new == 2
    articles = by_guid(library)
    assert articles[item(ids[0])].read and articles[item(ids[1])].bookmarked
    assert item(new[1]) in articles and not articles[item(new[1])].read


def test_a_no_change_sync_costs_four_requests(library: Library, server: FakeGReader) -> None:
    fid = server.add_feed("Tech")
    server.add_items(fid, 50)
    add(library, server)
    library.sync_blocking()
    before = server.count()
    [result] = library.sync_blocking()
    assert result.status == "ok" and result.new == 0
    assert server.count() - before == 4 == result.requests
    assert server.count("contents") == 1  # the first sync's one batch only


def test_ten_thousand_unread_items(library: Library, server: FakeGReader) -> None:
    fid = server.add_feed("Big")
    server.add_items(fid, 10_000)
    name = add(library, server)
    heard: list[tuple[str, int, int]] = []
    [result] = library.sync_blocking(on_items=lambda *args: heard.append(args))
    assert result.status == "ok" and result.new == 10_000
    assert len(heard) == 40 and heard[0] == (name, 250, 10_000) and heard[-1][1] == 10_000
    assert library.counts()[library.feeds()[0].key] == (10_000, 10_000)
    assert server.count("contents") == 40  # batches of 250


def test_token_file_is_private_and_no_password_is_kept(library: Library,
                                                       server: FakeGReader) -> None:
    name = add(library, server)
    token = library.paths.data_dir / "sync" / name / "token"
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    for path in library.paths.data_dir.rglob("*"):
        if path.is_file():
            assert server.password.encode() not in path.read_bytes()


def test_a_wrong_password_is_one_clear_error(library: Library, server: FakeGReader) -> None:
    from reader.errors import SyncError

    with pytest.raises(SyncError, match="refused the user name or password"):
        library.add_account_blocking("greader", server.url, server.user, "wrong")
    assert library.accounts() == []


def test_401_logs_in_again_once_with_the_password(library: Library, server: FakeGReader,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    server.add_items(server.add_feed("Tech"), 3)
    add(library, server)
    server.fail("subscription/list", "401")
    monkeypatch.setenv("READER_PASSWORD", server.password)
    [result] = library.sync_blocking()
    assert result.status == "ok", result.error
    assert server.count("ClientLogin") == 2


def test_401_without_a_password_is_a_clear_error_and_changes_nothing(
        library: Library, server: FakeGReader, monkeypatch: pytest.MonkeyPatch) -> None:
    server.add_items(server.add_feed("Tech"), 3)
    name = add(library, server)
    monkeypatch.delenv("READER_PASSWORD", raising=False)
    server.fail("reader/api", "401", times=10)
    [result] = library.sync_blocking()
    assert result.status == "error" and "reader account login" in result.error
    assert "\n" not in result.error and library.feeds() == []
    assert library.account_status()[0][1].last_error == result.error
    assert name in result.error


def test_429_retry_after_is_honoured(library: Library, server: FakeGReader) -> None:
    server.add_items(server.add_feed("Tech"), 3)
    add(library, server)
    server.fail("stream/items/ids", "429")
    [result] = library.sync_blocking()
    assert result.status == "ok" and len(library.articles()) == 3


@pytest.mark.parametrize("fault", ["500", "truncated", "loop"])
def test_a_failed_sync_stores_nothing(library: Library, server: FakeGReader,
                                      fault: str) -> None:
    fid = server.add_feed("Tech")
    ids = server.add_items(fid, 30)
    add(library, server)
    library.sync_blocking()
    server.mark(ids[0], read=True)
    server.add_items(fid, 30)
    where = "stream/items/contents" if fault == "truncated" else "stream/items/ids"
    root = library.paths.data_dir.parent
    before = files(root)
    server.fail(where, fault, times=100 if fault == "loop" else 1)
    if fault == "loop":  # a page smaller than the listing, so that the token is followed
        import reader.sync.greader as greader

        old = greader.IDS_PER_PAGE
        greader.IDS_PER_PAGE = 10
        try:
            [result] = library.sync_blocking()
        finally:
            greader.IDS_PER_PAGE = old
    else:
        [result] = library.sync_blocking()
    assert result.status == "error"
    assert {"500": "HTTP 500", "truncated": "not valid JSON", "loop": "loop"}[fault] \
        in result.error
    assert files(root) == before


def test_a_feed_removed_on_the_server_keeps_bookmarks_and_notes(library: Library,
                                                                server: FakeGReader) -> None:
    keep, drop = server.add_feed("Keep"), server.add_feed("Drop")
    server.add_items(keep, 2)
    ids = server.add_items(drop, 3)
    server.mark(ids[0], starred=True)
    add(library, server)
    library.sync_blocking()
    articles = by_guid(library)
    note = library.add_note(articles[item(ids[1])], "my thought")
    server.remove_feed(drop)
    [result] = library.sync_blocking()
    assert result.status == "ok" and result.feeds_removed == 1
    assert [f.title for f in library.feeds()] == ["Keep"]
    assert item(ids[0]) in {c["article"]["guid"] for c in library.bookmarks().values()}
    assert library.find_note(note.id).article_title == f"Item {ids[1]}"
    assert library.find_note(note.id).article_id == articles[item(ids[1])].id


def test_article_ids_are_stable_across_computers(paths: Paths, tmp_path: Path,
                                                 server: FakeGReader,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    server.add_items(server.add_feed("Tech"), 3)
    one = open_library(paths)
    add(one, server)
    one.sync_blocking()
    first = {a.guid: a.id for a in one.articles()}
    one.release()
    for name in ("CONFIG", "DATA", "CACHE"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / "other" / name.lower()))
    two = open_library(Paths.from_env())
    add(two, server)
    two.sync_blocking()
    assert {a.guid: a.id for a in two.articles()} == first
    two.release()


def test_subscribe_unsubscribe_and_folders_go_to_the_server(library: Library,
                                                            server: FakeGReader) -> None:
    fid = server.add_feed("Tech", "News")
    server.add_items(fid, 2)
    name = add(library, server)
    library.sync_blocking()
    library.subscribe_on_server(name, "https://example.net/new.xml", "Later")
    [feed] = library.feeds()
    library.edit_feed(feed.key, tags=["Reading"])
    [result] = library.sync_blocking()
    assert result.status == "ok" and result.sent == 2
    titles = {f.url: f for f in server.state.feeds.values()}
    assert titles["https://example.net/new.xml"].category == "Later"
    assert server.state.feeds[fid].category == "Reading"
    assert {f.url for f in library.feeds()} >= {"https://example.net/new.xml"}
    library.remove_feed(feed.key)
    library.sync_blocking()
    assert fid not in server.state.feeds
    assert feed.key not in {f.key for f in library.feeds()}


def test_refresh_leaves_server_feeds_to_the_sync(library: Library, server: FakeGReader) -> None:
    server.add_items(server.add_feed("Tech"), 2)
    add(library, server)
    library.sync_blocking()
    assert library.refresh_blocking() == []


def test_remove_account_keeps_bookmarked_and_annotated(library: Library,
                                                       server: FakeGReader) -> None:
    fid = server.add_feed("Tech")
    ids = server.add_items(fid, 3)
    server.mark(ids[0], starred=True)
    name = add(library, server)
    library.sync_blocking()
    articles = by_guid(library)
    library.add_note(articles[item(ids[1])], "mine")
    feeds, waiting = library.remove_account(name)
    assert len(feeds) == 1 and waiting == 0
    assert library.feeds() == [] and library.accounts() == []
    assert {a.id for a in library.articles(bookmarked=True)} == {articles[item(ids[0])].id}
    assert len(library.notes()) == 1
    assert not (library.paths.data_dir / "sync" / name).exists()


def test_offline_is_said_and_changes_nothing(paths: Paths) -> None:
    library = Library(paths, Settings(connect_timeout=1, read_timeout=1))
    library.acquire()
    try:
        with FakeGReader("miniflux") as fake:
            url = fake.url
            library.add_account_blocking("greader", url, fake.user, fake.password)
        [result] = library.sync_blocking()  # the server is gone: connection refused
        assert result.status == "offline"
        assert os.path.exists(paths.data_dir / "accounts.json")
    finally:
        library.release()


def test_a_change_made_during_a_sync_wins_and_is_sent_next(library: Library,
                                                           server: FakeGReader) -> None:
    fid = server.add_feed("Tech")
    ids = server.add_items(fid, 3)
    add(library, server)
    library.sync_blocking()
    article = by_guid(library)[item(ids[0])]
    # the app marks it read while the sync waits for the server (another thread writes)
    server.hooks.append(("subscription/list", lambda: library.mark_read(article)))
    server.mark(ids[1], read=True)  # and the other device reads another one
    [result] = library.sync_blocking()
    assert result.status == "ok"
    articles = by_guid(library)
    assert articles[item(ids[0])].read, "the server's older unread undid the user's read"
    assert articles[item(ids[1])].read and not server.state.entries[ids[0]].read
    library.sync_blocking()
    assert server.state.entries[ids[0]].read and library.account_status()[0][2] == 0


def test_a_long_retry_after_is_kept_and_respected(library: Library,
                                                  server: FakeGReader) -> None:
    server.add_items(server.add_feed("Tech"), 2)
    add(library, server)
    library.sync_blocking()
    server.fail("subscription/list", "503")
    [result] = library.sync_blocking()
    assert result.status == "error" and "asks to wait until" in result.error
    [feed] = library.feeds()
    assert feed.last_error == result.error and feed.failures == 1
    before = server.count()
    [again] = library.sync_blocking()
    assert again.status == "waiting" and server.count() == before


def test_sync_records_feed_status_and_marking_all_read_journals_only_changes(
        library: Library, server: FakeGReader) -> None:
    fid = server.add_feed("Tech")
    ids = server.add_items(fid, 20)
    add(library, server)
    library.sync_blocking()
    [feed] = library.feeds()
    assert feed.last_success and not feed.last_error
    library.mark_read(by_guid(library)[item(ids[0])])
    assert library.mark_feed_read(feed.key) == 19
    library.mark_feed_read(feed.key)  # nothing changes: nothing more to send
    assert library.account_status()[0][2] == 20
    library.sync_blocking()
    assert all(e.read for e in server.state.entries.values())


def test_a_server_feed_never_opens_the_local_network_to_full_text(
        library: Library, server: FakeGReader) -> None:
    fid = server.add_feed("Intranet?", url="http://192.168.1.10/feed.xml")
    [eid] = server.add_items(fid, 1)
    server.state.entries[eid].link = "http://127.0.0.1:9/secret"
    add(library, server)
    library.sync_blocking()
    [article] = library.articles()
    [result] = library.fetch_full_blocking([article])
    assert result.status == "error" and "local network" in result.error


def test_a_change_both_devices_made_is_not_sent_back_as_a_toggle(library: Library,
                                                                 server: FakeGReader) -> None:
    """Miniflux's editTagHandler unreads a read entry given `a=read` (and unstars a starred
    one given `a=starred`): only changes the server does not hold yet are sent."""
    fid = server.add_feed("Tech")
    ids = server.add_items(fid, 2)
    add(library, server)
    library.sync_blocking()
    articles = by_guid(library)
    library.mark_read(articles[item(ids[0])])
    library.set_bookmark(articles[item(ids[1])])
    server.mark(ids[0], read=True)  # the phone did the same meanwhile
    server.mark(ids[1], starred=True)
    [result] = library.sync_blocking()
    assert result.status == "ok" and result.sent == 2
    assert server.state.entries[ids[0]].read and server.state.entries[ids[1]].starred
    assert server.count("edit-tag") == 0
    articles = by_guid(library)
    assert articles[item(ids[0])].read and articles[item(ids[1])].bookmarked


def test_a_write_the_server_did_not_confirm_stays_in_the_journal(library: Library,
                                                                  server: FakeGReader) -> None:
    fid = server.add_feed("Tech")
    ids = server.add_items(fid, 2)
    add(library, server)
    library.sync_blocking()
    library.mark_read(by_guid(library)[item(ids[0])])
    server.fail("edit-tag", "truncated")  # "O" instead of "OK": a portal, a cut answer
    [result] = library.sync_blocking()
    assert result.status == "error" and "did not say OK" in result.error
    assert library.account_status()[0][2] == 1 and by_guid(library)[item(ids[0])].read
    [result] = library.sync_blocking()
    assert result.status == "ok" and server.state.entries[ids[0]].read
    assert library.account_status()[0][2] == 0


def test_local_tags_beyond_the_folder_stay(library: Library, server: FakeGReader) -> None:
    fid = server.add_feed("Tech", "News")
    server.add_items(fid, 1)
    add(library, server)
    library.sync_blocking()
    [feed] = library.feeds()
    library.edit_feed(feed.key, tags=["News", "favourites"])  # a local tag: nothing to send
    assert library.account_status()[0][2] == 0
    server.state.feeds[fid].category = "Reading, later"  # moved on another device
    library.sync_blocking()
    assert library.feeds()[0].tags == ["Reading later", "favourites"]


def test_a_corrupt_account_list_is_set_aside_and_said(paths: Paths) -> None:
    paths.data_dir.mkdir(parents=True)
    (paths.data_dir / "accounts.json").write_text("{not json")
    library = open_library(paths)
    try:
        assert library.accounts() == []
        assert any("accounts.json" in p and "corrupt" in p for p in library.problems)
        assert list(paths.data_dir.glob("accounts.json.corrupt-*"))
    finally:
        library.release()


def test_items_without_a_feed_of_the_list_are_not_asked_for_every_sync(
        library: Library, server: FakeGReader) -> None:
    fid = server.add_feed("Tech")
    server.add_items(fid, 2)
    stray = server.add_items(999, 3)  # unread items of a feed the list does not show
    add(library, server)
    [first] = library.sync_blocking()
    assert first.new == 2
    asked = [q.get("i", []) for _m, p, q in server.requests if p.endswith("contents")]
    assert {item(i) for i in stray} <= set(asked[0])
    before = server.count("contents")
    library.sync_blocking()
    assert server.count("contents") == before  # not asked for again
    server.add_feed("Another")  # the list changed: they may have a feed now
    library.sync_blocking()
    assert server.count("contents") == before + 1


def test_a_change_by_another_reader_during_a_sync_is_kept(paths: Paths,
                                                          server: FakeGReader) -> None:
    """`reader read` in a shell while the app syncs: the sync's journal rewrite keeps it."""
    fid = server.add_feed("Tech")
    ids = server.add_items(fid, 3)
    app = open_library(paths)
    shell = None
    try:
        add(app, server)
        app.sync_blocking()
        app.mark_read(by_guid(app)[item(ids[0])])  # waiting in the journal
        shell = open_library(paths)  # a command started now
        target = by_guid(shell)[item(ids[1])]
        server.hooks.append(("subscription/list", lambda: shell.mark_read(target)))
        [result] = app.sync_blocking()
        assert result.status == "ok" and result.sent == 1
        assert app.account_status()[0][2] == 1  # the shell's change waits, not lost
        assert by_guid(app)[item(ids[1])].read
        app.sync_blocking()
        assert server.state.entries[ids[0]].read and server.state.entries[ids[1]].read
    finally:
        app.release()
        if shell is not None:
            shell.release()


def test_a_bookmark_stays_when_the_server_purges_the_item(library: Library,
                                                          server: FakeGReader) -> None:
    fid = server.add_feed("Tech")
    ids = server.add_items(fid, 3)
    server.mark(ids[0], starred=True)
    server.mark(ids[1], starred=True)
    add(library, server)
    library.sync_blocking()
    del server.state.entries[ids[0]]  # purged on the server
    server.mark(ids[1], starred=False)  # unstarred on the phone
    [result] = library.sync_blocking()
    assert result.status == "ok"
    marked = {c["article"]["guid"] for c in library.bookmarks().values()}
    assert marked == {item(ids[0])}


def test_subscribing_here_to_a_synced_feed_says_where_it_comes_from(
        library: Library, server: FakeGReader) -> None:
    from reader.errors import LibraryError

    server.add_items(server.add_feed("Tech", url="https://example.org/tech.xml"), 1)
    name = add(library, server)
    library.sync_blocking()
    with pytest.raises(LibraryError, match=f"through the account {name}"):
        library.add_feed("https://example.org/tech.xml")


def test_an_address_with_a_password_in_it_is_refused(library: Library) -> None:
    from reader.errors import LibraryError

    with pytest.raises(LibraryError, match="without a user name or password"):
        library.add_account_blocking("greader", "https://ann:secret@rss.example.org", "ann",
                                     "secret")
    assert not (library.paths.data_dir / "accounts.json").exists()


def test_a_redirect_is_said_not_followed(library: Library, server: FakeGReader) -> None:
    from reader.errors import SyncError

    server.fail("ClientLogin", "301")
    with pytest.raises(SyncError, match="sends this address elsewhere"):
        add(library, server)


def test_a_trickling_answer_is_cut_at_the_feed_timeout(paths: Paths,
                                                      server: FakeGReader) -> None:
    import time

    library = Library(paths, Settings(read_timeout=5, connect_timeout=2, feed_timeout=1))
    library.acquire()
    try:
        server.add_items(server.add_feed("Tech"), 3)
        add(library, server)
        server.fail("subscription/list", "trickle")
        start = time.monotonic()
        [result] = library.sync_blocking()
        assert time.monotonic() - start < 4
        assert result.status != "ok" and "did not answer in time" in result.error
        assert library.feeds() == []
    finally:
        library.release()


def test_an_address_with_no_api_says_where_it_usually_is(library: Library,
                                                         server: FakeGReader) -> None:
    from reader.errors import SyncError

    with pytest.raises(SyncError, match="no Google Reader API at .*FreshRSS: https://HOST"):
        library.add_account_blocking("greader", server.url + "/nothing", server.user,
                                     server.password)


def test_hostile_server_strings_are_cleaned(library: Library, server: FakeGReader) -> None:
    fid = server.add_feed("Evil \x1b]52;c;aGk=\x07 feed\u202e", "Fol,der\x1b[31m")
    [eid] = server.add_items(fid, 1)
    entry = server.state.entries[eid]
    entry.title = "Title \x1b[2J\x9b31m with\ncontrols"
    entry.link = "javascript:alert(1)"
    server.state.feeds[fid].url = "file:///etc/passwd"
    add(library, server)
    library.sync_blocking()
    [feed] = library.feeds()
    assert "\x1b" not in feed.title and "\u202e" not in feed.title
    assert feed.url == f"feed/{fid}" and feed.tags == ["Fol der[31m"]
    [article] = library.articles()
    assert article.title == "Title [2J31m with controls" and article.link == ""


def test_an_answer_past_the_size_cap_fails_the_sync(library: Library, server: FakeGReader,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import reader.sync.greader as greader

    server.add_items(server.add_feed("Tech"), 50)
    add(library, server)
    monkeypatch.setattr(greader, "MAX_ANSWER_BYTES", 2000)
    [result] = library.sync_blocking()
    assert result.status == "error" and "larger than" in result.error
    assert library.articles() == []


def test_taking_a_feed_out_of_its_folder_says_when_the_server_keeps_it(
        library: Library, server: FakeGReader) -> None:
    fid = server.add_feed("Tech", "News")
    server.add_items(fid, 1)
    add(library, server)
    library.sync_blocking()
    [feed] = library.feeds()
    library.edit_feed(feed.key, tags=[])
    [result] = library.sync_blocking()
    if server.personality == "miniflux":  # every feed has a category there
        assert result.warnings and "stays in News" in result.warnings[0]
        assert library.feeds()[0].tags == ["News"]
    else:  # FreshRSS subscriptionEdit: r= alone moves it to the default category
        assert not result.warnings
        assert library.feeds()[0].tags == ["Uncategorized"]


def test_a_change_that_cannot_be_journaled_is_not_made(library: Library,
                                                       server: FakeGReader) -> None:
    from reader.errors import StoreError

    ids = server.add_items(server.add_feed("Tech"), 2)
    name = add(library, server)
    library.sync_blocking()
    article = by_guid(library)[item(ids[0])]
    journal = library.paths.data_dir / "sync" / name / "journal.jsonl"
    journal.mkdir(parents=True)  # a folder where the journal goes: it cannot be written
    with pytest.raises(StoreError, match="cannot record the change for the next sync"):
        library.mark_read(article)
    assert not by_guid(library)[item(ids[0])].read  # not made here, so not lost there
