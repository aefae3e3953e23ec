"""`reader account ...` and `reader sync` against the fake server (both personalities)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator

import pytest

from reader.cli import main
from reader.locations import Paths
from tests.fakes.greader import FakeGReader


@pytest.fixture(params=("freshrss", "miniflux"))
def server(request: pytest.FixtureRequest) -> Iterator[FakeGReader]:
    with FakeGReader(request.param) as fake:
        yield fake


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def with_account(server: FakeGReader, capsys: pytest.CaptureFixture[str],
                 monkeypatch: pytest.MonkeyPatch, items: int = 2) -> None:
    """A feed of `items` items on the server, and an account on it here."""
    server.add_items(server.add_feed("Tech"), items)
    monkeypatch.setenv("READER_PASSWORD", server.password)
    assert run(capsys, "account", "add", "greader", server.url, "--user", "alice")[0] == 0


def test_add_sync_list_remove(paths: Paths, server: FakeGReader,
                              capsys: pytest.CaptureFixture[str],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    fid = server.add_feed("Tech", "News")
    ids = server.add_items(fid, 3)
    server.mark(ids[0], starred=True)
    monkeypatch.setenv("READER_PASSWORD", server.password)
    code, out, err = run(capsys, "account", "add", "greader", server.url, "--user", "alice",
                         "--name", "home")
    assert code == 0 and "added account home" in out, err
    code, out, err = run(capsys, "sync", "--json")
    assert code == 0, err
    [result] = json.loads(out)["accounts"]
    assert (result["name"], result["status"], result["new"]) == ("home", "ok", 3)
    code, out, _ = run(capsys, "articles", "--bookmarked", "--json")
    assert [a["title"] for a in json.loads(out)] == [f"Item {ids[0]}"]
    code, out, _ = run(capsys, "account", "list", "--json")
    [row] = json.loads(out)
    assert row["name"] == "home" and row["feeds"] == 1 and row["last_error"] is None
    assert server.password not in out
    code, out, err = run(capsys, "account", "remove", "home")  # not a terminal: refuses
    assert code == 2 and "--yes" in err
    code, out, _ = run(capsys, "account", "remove", "home", "--yes")
    assert code == 0 and "bookmarked and annotated articles are kept" in out
    code, out, _ = run(capsys, "articles", "--bookmarked", "--json")
    assert len(json.loads(out)) == 1


def test_password_is_never_an_argument(paths: Paths, server: FakeGReader,
                                       capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("READER_PASSWORD", raising=False)
    with pytest.raises(SystemExit) as exit_:
        main(["account", "add", "greader", server.url, "--user", "alice", "--password", "x"])
    assert exit_.value.code == 2
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    code, _, err = run(capsys, "account", "add", "greader", server.url, "--user", "alice")
    assert code == 2 and "READER_PASSWORD" in err


def test_sync_exit_codes(paths: Paths, server: FakeGReader, capsys: pytest.CaptureFixture[str],
                         monkeypatch: pytest.MonkeyPatch) -> None:
    with_account(server, capsys, monkeypatch)
    server.fail("subscription/list", "500")
    code, _, err = run(capsys, "sync")
    assert code == 1 and "HTTP 500" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "sync", "nobody")
    assert code == 2 and "no such account" in err
    code, out, _ = run(capsys, "sync")
    assert code == 0 and "2 new articles" in out


def test_sync_offline_exits_3(paths: Paths, capsys: pytest.CaptureFixture[str],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeGReader("miniflux") as fake:
        monkeypatch.setenv("READER_PASSWORD", fake.password)
        assert run(capsys, "account", "add", "greader", fake.url, "--user", "alice")[0] == 0
    code, _, err = run(capsys, "sync")
    assert code == 3 and "offline" in err


def test_sync_while_another_reader_refreshes_is_busy(paths: Paths, server: FakeGReader,
                                                     capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from reader.storage.store import Store

    with_account(server, capsys, monkeypatch)
    other = Store(paths.data_dir, paths.cache_dir).refresh_lock()
    other.acquire()  # a cron refresh or sync is under way
    try:
        code, _, err = run(capsys, "sync")
    finally:
        other.release()
    assert code == 4 and "busy" in err
    assert server.count("stream") == 0
    assert run(capsys, "sync")[0] == 0


def test_sync_fetches_the_full_text_of_new_articles_of_full_text_feeds(
        paths: Paths, server: FakeGReader, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text('[full_text]\nfeeds = "all"\n')
    fid = server.add_feed("Tech")
    [eid] = server.add_items(fid, 1)
    server.state.entries[eid].link = "http://127.0.0.1:9/page"  # refused: never local
    monkeypatch.setenv("READER_PASSWORD", server.password)
    assert run(capsys, "account", "add", "greader", server.url, "--user", "alice")[0] == 0
    code, out, _ = run(capsys, "sync", "--json")
    [attempt] = json.loads(out)["full_text"]
    assert code == 0 and attempt["status"] == "error" and "local network" in attempt["error"]
    server.add_items(fid, 1)
    code, out, _ = run(capsys, "sync", "--json", "--no-full-text")
    assert json.loads(out)["full_text"] == [] and json.loads(out)["accounts"][0]["new"] == 1


def test_login_again_after_the_server_forgot_the_token(paths: Paths, server: FakeGReader,
                                                       capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    server.add_items(server.add_feed("Tech"), 2)
    monkeypatch.setenv("READER_PASSWORD", server.password)
    assert run(capsys, "account", "add", "greader", server.url, "--user", "alice",
               "--name", "home")[0] == 0
    server.password = "changed"  # changed on the server: the saved token is refused
    monkeypatch.delenv("READER_PASSWORD")
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    code, _, err = run(capsys, "sync")
    assert code == 1 and "reader account login home" in err
    monkeypatch.setenv("READER_PASSWORD", "changed")
    code, out, _ = run(capsys, "account", "login", "home")
    assert code == 0 and "signed in to home" in out
    monkeypatch.delenv("READER_PASSWORD")
    code, out, _ = run(capsys, "sync")
    assert code == 0 and "2 new articles" in out


def test_sync_offline_syncs_the_accounts_first(paths: Paths, server: FakeGReader,
                                               capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    with_account(server, capsys, monkeypatch)
    code, _, err = run(capsys, "sync-offline", "--json")
    assert code == 0, err
    code, out, _ = run(capsys, "articles", "--json")
    assert len(json.loads(out)) == 2  # the sync brought them before getting ready
    server.fail("subscription/list", "500")
    code, _, err = run(capsys, "sync-offline", "--json")
    assert code == 1 and "sync: " in err and "HTTP 500" in err
