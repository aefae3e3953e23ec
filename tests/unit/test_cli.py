"""The command line as a script would use it: output, --json shapes, exit codes, errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from reader.cli import main
from reader.config import Settings
from reader.library import Library
from reader.locations import Paths
from tests.conftest import FeedServer, Route, rss


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_first_run_shows_the_samples_offline(paths: Paths,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--offline", "feeds", "--json")
    assert code == 0, err
    feeds = json.loads(out)
    assert {f["title"] for f in feeds} >= {"AMN Al-Masdar News"}
    assert all(f["total"] > 0 and f["last_error"] is None for f in feeds)
    code, out, _ = run(capsys, "articles", "--json")
    titles = [a["title"] for a in json.loads(out)]
    assert any(t.startswith("Mattis: Russia Must") for t in titles)


def test_add_refresh_articles_show(paths: Paths, server: FeedServer,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    server.routes["/a"] = Route(rss("Feed A", [("1", "one"), ("2", "two")]))
    assert run(capsys, "add", server.url("/a"), "--title", "Mine", "--tag", "x")[0] == 0
    code, out, err = run(capsys, "refresh", "--json")
    data = json.loads(out)
    assert code == 0 and data["new"] == 2 and data["failed"] == 0
    assert data["feeds"][0]["title"] == "Mine" and data["feeds"][0]["status"] == "new"
    code, out, _ = run(capsys, "articles", "--json", "--feed", "Mine")
    articles = json.loads(out)
    assert sorted(a["title"] for a in articles) == ["one", "two"]
    assert set(articles[0]) == {"id", "feed_key", "feed_title", "guid", "title", "link", "author",
                                "published", "updated", "read", "bookmarked", "summary_only",
                                "categories", "tags", "hidden"}
    first = articles[0]["id"]
    code, out, _ = run(capsys, "show", first[:8])
    assert code == 0 and out.startswith(f"# {articles[0]['title']}")
    assert f"Body of {articles[0]['title']}" in out
    assert run(capsys, "read", first)[0] == 0
    code, out, _ = run(capsys, "articles", "--unread")
    assert first not in out and len(out.strip().splitlines()) == 1
    assert run(capsys, "bookmark", first)[0] == 0
    code, out, _ = run(capsys, "articles", "--bookmarked", "--json")
    assert [a["id"] for a in json.loads(out)] == [first]
    code, out, _ = run(capsys, "feeds")
    assert "1/2" in out and "Mine [x]" in out


def test_failed_feed_gives_exit_1_and_names_it(paths: Paths, server: FeedServer,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    server.routes["/ok"] = Route(rss("Fine", [("1", "one")]))
    run(capsys, "add", server.url("/ok"))
    run(capsys, "add", server.url("/missing"), "--title", "Gone")
    code, out, err = run(capsys, "refresh")
    assert code == 1
    assert f"error: Gone ({server.url('/missing')}): HTTP 404 Not Found" in err
    assert "2 feeds refreshed: 1 new article," in out and "1 failed" in out
    assert "Traceback" not in err
    code, out, _ = run(capsys, "feeds")
    assert "ERROR: HTTP 404 Not Found" in out


def test_usage_and_config_errors_exit_2(paths: Paths, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "remove", "https://nope.example/")
    assert code == 2 and err.startswith("error: https://nope.example/: no such feed")
    paths.config_dir.mkdir(parents=True)
    paths.config_file.write_text("[refresh]\nconcurrency = \n")
    code, _, err = run(capsys, "feeds")
    assert code == 2 and err.startswith(f"config error: {paths.config_file}: ")
    assert "line 2" in err
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2


def test_import_export(paths: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    urls = tmp_path / "urls"
    urls.write_text('https://a.example/rss tech "~A"\nquery:x:y\n')
    code, out, err = run(capsys, "import", str(urls))
    assert code == 0 and "1 feed added" in out and "query feed 'x' not imported" in err
    code, out, _ = run(capsys, "export")
    assert 'xmlUrl="https://a.example/rss"' in out and 'category="tech"' in out
    target = tmp_path / "out.opml"
    assert run(capsys, "export", str(target))[0] == 0
    assert target.read_text() .startswith("<?xml")
    bad = tmp_path / "bad.opml"
    bad.write_text("<opml><body><outline")
    code, _, err = run(capsys, "import", str(bad))
    assert code == 2 and "bad.opml: line 1" in err
    code, _, err = run(capsys, "import", str(tmp_path / "missing"))
    assert code == 2 and "cannot read" in err


def test_lock_conflict_is_a_clear_error(paths: Paths, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from reader.storage import store as files

    run(capsys, "feeds")  # first run
    monkeypatch.setattr(files, "WRITE_WAIT", 0.2)
    holder = files.FileLock(paths.data_dir / "lock")
    holder.acquire()
    try:
        code, _, err = run(capsys, "add", "https://x.example/rss")
        assert code == 4 and f"busy: another reader (pid {os.getpid()}) has been saving" in err
        code, out, _ = run(capsys, "feeds")  # reading still works
        assert code == 0 and "AMN" in out and "x.example" not in out
    finally:
        holder.release()
    assert run(capsys, "add", "https://x.example/rss")[0] == 0  # free again: it works


def test_a_refresh_while_another_refreshes_is_busy(paths: Paths, server: FeedServer,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Two refreshes never both fetch: the second says busy (exit 4) and fetches nothing."""
    from reader.storage import store as files

    server.routes["/a"] = Route(rss("A", [("1", "one")]))
    run(capsys, "add", server.url("/a"))
    holder = files.FileLock(paths.data_dir / "refresh.lock", "refreshing")
    holder.acquire()
    try:
        code, out, err = run(capsys, "refresh")
        assert code == 4 and "busy: another reader" in err and "is refreshing" in err
        assert server.hits == [] and out == ""
        assert run(capsys, "cleanup")[0] == 4  # nor does a cleanup rewrite the cache meanwhile
    finally:
        holder.release()
    assert run(capsys, "refresh")[0] == 0 and len(server.hits) == 1


def test_offline_refresh_skips_the_network(paths: Paths, server: FeedServer,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    server.routes["/a"] = Route(rss("A", [("1", "one")]))
    run(capsys, "add", server.url("/a"))
    code, _, err = run(capsys, "--offline", "refresh")
    assert code == 0 and "1 network feed not refreshed" in err
    assert server.hits == []


def test_python_dash_m_works(paths: Paths) -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "reader", "--version"], capture_output=True,
                          text=True)
    assert done.returncode == 0 and done.stdout.startswith("reader ")


def test_no_network_with_local_feeds_is_offline_not_failed(
        paths: Paths, capsys: pytest.CaptureFixture[str]) -> None:
    """The samples are local files: reading them is not a network answer, so a refresh whose
    network feeds all fail to connect is 'offline' (exit 3), not '2 failed' (exit 1)."""
    import socket

    with socket.socket() as probe:  # a port nothing listens on: refused, as with no network
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert run(capsys, "--offline", "feeds")[0] == 0  # subscribes to the samples
    for name in ("a", "b"):
        assert run(capsys, "add", f"http://127.0.0.1:{port}/{name}.xml")[0] == 0
    for _ in range(2):
        code, out, err = run(capsys, "refresh")
        assert code == 3, (out, err)
        assert "offline: no feed server could be reached" in err
        assert "error:" not in err and " 0 failed" in out and "2 offline" in out
    code, out, _ = run(capsys, "refresh", "--json")
    data = json.loads(out)
    assert code == 3 and data["failed"] == 0 and data["offline"] == 2
    feeds = json.loads(run(capsys, "feeds", "--json")[1])
    remote = [f for f in feeds if f["url"].startswith("http://127.0.0.1")]
    assert all(f["last_error"] is None and f["failures"] == 0 and not f["long_failing"]
               for f in remote), remote
    assert "ERROR" not in run(capsys, "feeds")[1]


@pytest.mark.parametrize(("typed", "why"), [
    ("not a url", "not a feed URL (http://, https://) nor an existing file"),
    ("/nonexistent/feed.xml", "no such file"),
    ("file:///nonexistent/feed.xml", "no such file"),
    ("./missing.xml", "no such file"),
    ("http://", "no host name"),
    ("http://[::1", "not a valid URL"),
    ("gopher://example.com/feed", "unsupported URL scheme"),
])
def test_add_refuses_what_is_neither_a_url_nor_a_file(
        paths: Paths, capsys: pytest.CaptureFixture[str], typed: str, why: str) -> None:
    run(capsys, "--offline", "feeds")
    code, out, err = run(capsys, "add", typed)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and why in err and "Traceback" not in err
    feeds = json.loads(run(capsys, "feeds", "--json")[1])
    assert all(typed not in f["url"] for f in feeds)


def test_add_reads_a_host_and_path_as_https_and_says_so(
        paths: Paths, capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no file called example.com here
    code, out, err = run(capsys, "add", "example.com/feed.xml")
    assert code == 0, err
    assert "reading it as https://example.com/feed.xml" in out
    feed = tmp_path / "mine.xml"
    feed.write_bytes(rss("Mine", [("1", "one")]))
    code, out, _ = run(capsys, "add", "mine.xml")  # an existing file is a file
    assert code == 0 and f"added {feed}" in out and "note:" not in out


def test_opml_export_as_feed_readers_read_it(paths: Paths, server: FeedServer, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """Titles in text/title (not the URL), tags as folders Miniflux and FreshRSS read as
    categories, and a missing folder refused rather than created."""
    import xml.etree.ElementTree as ET

    server.routes["/a"] = Route(rss("Feed Title A", [("1", "one")]))
    server.routes["/b"] = Route(rss("Feed B", [("1", "one")]))
    run(capsys, "add", server.url("/a"), "--tag", "Tech", "--tag", "news")
    run(capsys, "add", server.url("/b"))
    run(capsys, "refresh")
    code, out, _ = run(capsys, "export")
    body = ET.fromstring(out).find("body")
    [folder] = [o for o in body.findall("outline") if o.get("xmlUrl") is None]
    assert folder.get("text") == folder.get("title") == "Tech"
    [inner] = folder.findall("outline")
    assert inner.get("xmlUrl") == server.url("/a")
    assert inner.get("text") == inner.get("title") == "Feed Title A"
    assert inner.get("category") == "Tech,news"
    loose = [o for o in body.findall("outline") if o.get("xmlUrl") == server.url("/b")]
    assert loose and loose[0].get("text") == "Feed B"
    code, _, err = run(capsys, "export", str(tmp_path / "no-such-folder" / "subs.opml"))
    assert code == 2 and "no such folder" in err
    assert not (tmp_path / "no-such-folder").exists()
    target = tmp_path / "subs.opml"
    code, out, _ = run(capsys, "export", str(target))
    assert code == 0 and "exported 2 feeds" in out
    # a fresh reader importing it gets the same feeds, titles and tags back
    run(capsys, "remove", server.url("/a"))
    run(capsys, "remove", server.url("/b"))
    code, out, _ = run(capsys, "import", str(target))
    assert code == 0 and "2 feeds added" in out
    feeds = {f["url"]: f for f in json.loads(run(capsys, "feeds", "--json")[1])}
    assert feeds[server.url("/a")]["tags"] == ["Tech", "news"]


def test_import_makes_one_feed_of_one_file_and_one_tag_of_one_name(
        paths: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    feed = tmp_path / "x.xml"
    feed.write_bytes(rss("X", [("1", "one")]))
    urls = tmp_path / "urls"
    urls.write_text(f"file://{feed} Tech\n{feed} tech\nhttps://b.example/rss TECH Other\n")
    run(capsys, "--offline", "feeds")
    code, out, err = run(capsys, "import", str(urls), "--allow-local-files")
    assert code == 0, err
    assert "2 feeds added" in out
    feeds = json.loads(run(capsys, "feeds", "--json")[1])
    mine = [f for f in feeds if f["url"] in (str(feed), f"file://{feed}")]
    assert len(mine) == 1 and mine[0]["url"] == str(feed) and mine[0]["tags"] == ["Tech"]
    other = next(f for f in feeds if f["url"] == "https://b.example/rss")
    assert other["tags"] == ["Tech", "Other"]  # the tag spelled as it already was


def test_show_lists_the_enclosures_after_the_text(paths: Paths, server: FeedServer,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    feed = (b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
            b'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>Pod</title>'
            b"<item><title>Episode 1</title><guid>ep1</guid><description>Show notes</description>"
            b'<enclosure url="https://cdn.example/ep1.mp3" type="audio/mpeg" length="12345678"/>'
            b"<itunes:duration>1:02:03</itunes:duration></item></channel></rss>")
    server.routes["/pod"] = Route(feed, headers={"Content-Type": "application/rss+xml"})
    assert run(capsys, "add", server.url("/pod"))[0] == 0
    assert run(capsys, "refresh")[0] == 0
    code, out, _ = run(capsys, "articles", "--json")
    code, out, _ = run(capsys, "show", json.loads(out)[0]["id"])
    assert code == 0
    text, _, files = out.partition("Enclosures:")
    assert "Show notes" in text
    assert "- audio/mpeg, 12.3 MB, 1:02:03: https://cdn.example/ep1.mp3" in files
    # the kept copy of a bookmarked article keeps them too (the cache may drop the episode)
    aid = json.loads(run(capsys, "articles", "--json")[1])[0]["id"]
    assert run(capsys, "bookmark", aid)[0] == 0
    copy = Library(paths, Settings()).kept_copy(aid)
    assert copy is not None
    assert copy["body"]["enclosures"][0]["url"] == "https://cdn.example/ep1.mp3"


def test_the_feeds_categories_are_kept_and_shown(paths: Paths, server: FeedServer,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """The parser's categories were parsed, then dropped at storage (dead code, issue 13)."""
    server.routes["/c"] = Route(
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>C</title>'
        b"<item><guid>1</guid><title>Tagged</title><description>x</description>"
        b"<category>Syria</category><category>Politics</category></item>"
        b"<item><guid>2</guid><title>Plain</title><description>y</description></item>"
        b"</channel></rss>")
    assert run(capsys, "add", server.url("/c"))[0] == 0
    assert run(capsys, "refresh")[0] == 0
    listed = {a["title"]: a for a in json.loads(run(capsys, "articles", "--json")[1])}
    assert listed["Tagged"]["categories"] == ["Syria", "Politics"]
    assert listed["Plain"]["categories"] == []
    shown = run(capsys, "show", listed["Tagged"]["id"])[1]
    assert "Categories: Syria, Politics" in shown
    assert "Categories:" not in run(capsys, "show", listed["Plain"]["id"])[1]
