"""The command line's queries: --query, --sort, --hidden, query-feeds, filter warnings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reader.locations import Paths
from tests.conftest import FeedServer, Route, rss
from tests.unit.test_cli import run


@pytest.fixture
def subscribed(paths: Paths, server: FeedServer, capsys: pytest.CaptureFixture[str]
               ) -> FeedServer:
    server.routes["/a"] = Route(rss("Alpha", [("1", "Ukraine talks"), ("2", "Sponsored post"),
                                              ("3", "Weather")]))
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text('[[filters]]\nquery = \'title ~ "sponsored"\'\n'
                                 'action = "hide"\n\n[[filters]]\nquery = "title ~"\n'
                                 'action = "hide"\n')
    assert run(capsys, "add", server.url("/a"))[0] == 0
    code, _, err = run(capsys, "refresh")
    assert code == 0
    assert err.count("warning: ") == 1  # the bad rule, said once, on one line
    assert "[[filters]] 2 (title ~): at column 8: expected a value after '~'" in err
    return server


def test_query_sort_and_hidden(subscribed: FeedServer, capsys: pytest.CaptureFixture[str]
                               ) -> None:
    code, out, _ = run(capsys, "articles", "--query", 'title ~ "ukraine" or title = weather',
                       "--sort", "title", "--json")
    assert code == 0 and [a["title"] for a in json.loads(out)] == ["Ukraine talks", "Weather"]
    code, out, _ = run(capsys, "articles", "--hidden", "--json")
    hidden = json.loads(out)
    assert [(a["title"], a["hidden"]) for a in hidden] == [("Sponsored post", True)]
    code, out, _ = run(capsys, "feeds", "--json")
    assert json.loads(out)[0]["hidden"] == 1 and json.loads(out)[0]["total"] == 2
    code, out, _ = run(capsys, "feeds")
    assert "(1 hidden)" in out
    code, out, _ = run(capsys, "show", hidden[0]["id"])
    assert code == 0 and out.startswith("# Sponsored post")


def test_a_bad_query_is_one_line_with_the_column_and_exit_2(
        subscribed: FeedServer, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "articles", "--query", 'title ~ "x" and feed ~')
    assert code == 2 and out == ""
    lines = [x for x in err.splitlines() if not x.startswith("warning:")]
    assert lines == ["error: --query: at column 23: expected a value after '~', found the end"]
    with pytest.raises(SystemExit) as caught:
        run(capsys, "articles", "--sort", "sideways")
    assert caught.value.code == 2


def test_query_feeds_add_list_remove(subscribed: FeedServer,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "query-feeds", "add", "Ukraine", 'title ~ "ukraine"')
    assert code == 0 and "added query feed Ukraine" in out
    code, _, err = run(capsys, "query-feeds", "add", "Bad", "unread and")
    assert code == 2 and "query: at column 11: expected a field" in err
    code, out, _ = run(capsys, "query-feeds", "--json")
    assert json.loads(out) == [{"title": "Ukraine", "query": 'title ~ "ukraine"',
                                "from": "data", "error": None, "unread": 1, "total": 1}]
    code, out, _ = run(capsys, "query-feeds")
    assert "1/1     Ukraine" in out
    assert run(capsys, "query-feeds", "remove", "ukraine")[0] == 0
    code, out, _ = run(capsys, "query-feeds")
    assert "no query feeds" in out
    code, _, err = run(capsys, "query-feeds", "remove", "nope")
    assert code == 2 and "nope: no such query feed" in err


def test_unhide_shows_a_hidden_article_again(subscribed: FeedServer,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "articles", "--hidden", "--json")
    [hidden] = json.loads(out)
    code, out, _ = run(capsys, "unhide", hidden["id"][:8])
    assert code == 0 and "1 shown again" in out
    code, out, _ = run(capsys, "articles", "--hidden", "--json")
    assert json.loads(out) == []
    code, out, _ = run(capsys, "feeds", "--json")
    assert json.loads(out)[0]["hidden"] == 0 and json.loads(out)[0]["total"] == 3
    code, out, _ = run(capsys, "unhide", hidden["id"])
    assert code == 0 and "0 shown again (1 were not hidden)" in out


def test_export_urls_carries_the_query_feeds_newsboat_can_say(
        subscribed: FeedServer, paths: Paths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "query-feeds", "add", "Fresh", 'not read and title ~ "a.b"')[0] == 0
    assert run(capsys, "query-feeds", "add", "Dated", "date > 2026-01-01")[0] == 0
    code, out, err = run(capsys, "export", "--urls")
    assert code == 0 and "query feed 'Dated' left out: newsboat's filters cannot say it" in err
    lines = out.splitlines()
    assert lines[0] == subscribed.url("/a") + ' "~Alpha"'
    # the line's quoting around the filter's string around the regular expression a\.b
    assert lines[1] == r'"query:Fresh:(unread = \"yes\" and title =~ \"a\\\\.b\")"'
    urls = tmp_path / "urls"
    urls.write_text(out)
    for name in ("CONFIG", "DATA", "CACHE"):  # a second home imports it
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / "other" / name.lower()))
    code, out, err = run(capsys, "import", str(urls))
    assert code == 0 and "1 query feed added" in out
    code, out, _ = run(capsys, "query-feeds", "--json")
    assert [q["query"] for q in json.loads(out)] == ['(unread and title ~ "a.b")']


def test_a_rule_for_no_subscribed_feed_is_said(paths: Paths, server: FeedServer,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    server.routes["/a"] = Route(rss("Alpha", [("1", "Sponsored post"), ("2", "Weather")]))
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text('[[filters]]\nquery = \'title ~ "sponsored"\'\n'
                                 'action = "hide"\nfeed = "Alhpa"\n\n[[filters]]\n'
                                 'query = \'title ~ "weather"\'\naction = "read"\n'
                                 'feed = "Alpha"\n')
    assert run(capsys, "add", server.url("/a"))[0] == 0
    code, _, err = run(capsys, "refresh")
    assert code == 0
    warnings = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1, err  # the rule naming a feed no subscription is, once
    assert "feed = 'Alhpa' is no subscribed feed" in warnings[0]
    listed = json.loads(run(capsys, "articles", "--json")[1])
    assert {a["title"]: a["read"] for a in listed} == {"Sponsored post": False, "Weather": True}
