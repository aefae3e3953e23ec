"""Refresh schedules: the due-time rule (reader.core.schedule), the config keys, what a real
server's Cache-Control / Expires and a feed's <ttl> do, and `reader refresh` skipping feeds
that are not due."""

from __future__ import annotations

import email.utils
import json
import math
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reader import httptime
from reader.cli import main
from reader.config import ConfigError, Settings, load_settings, parse_duration
from reader.core.schedule import (
    describe,
    due_feeds,
    feed_asks,
    fresh_until,
    heed_server,
    http_asks,
    next_due,
    tick_seconds,
    user_interval,
)
from reader.library import Library
from reader.locations import Paths
from reader.models import Feed
from tests.conftest import FeedServer, Route, rss

NOW = 1_800_000_000.0
DAY = 86400.0


def http_date(stamp: float) -> str:
    return email.utils.formatdate(stamp, usegmt=True)


# -- what the server asks ---------------------------------------------------------------------
@pytest.mark.parametrize(("hints", "seconds"), [
    ({}, 0),
    ({"ttl": "60"}, 3600),
    ({"ttl": " 15 "}, 900),
    ({"update_period": "hourly"}, 3600),
    ({"update_period": "hourly", "update_frequency": "2"}, 1800),
    ({"update_period": "Daily"}, DAY),
    ({"update_frequency": "4"}, DAY / 4),  # the module's default period is daily
    ({"ttl": "120", "update_period": "hourly"}, 7200),  # the larger ask
    ({"ttl": "-5"}, 0), ({"ttl": "1e9"}, 0), ({"ttl": "NaN"}, 0), ({"ttl": "abc"}, 0),
    ({"ttl": "0"}, 0), ({"update_period": "fortnightly"}, 0),
    ({"update_period": "hourly", "update_frequency": "0"}, 3600),
    ({"ttl": "999999999999"}, 366 * DAY),  # bounded before any cap
])
def test_what_the_feed_asks(hints: dict[str, str], seconds: float) -> None:
    assert feed_asks(hints) == seconds


@pytest.mark.parametrize(("headers", "seconds"), [
    ({}, 0),
    ({"cache-control": "max-age=600"}, 600),
    ({"cache-control": "public, max-age=\"300\", must-revalidate"}, 300),
    ({"cache-control": "no-cache, max-age=600"}, 0),
    ({"cache-control": "no-store"}, 0),
    ({"cache-control": "max-age=-1"}, 0), ({"cache-control": "max-age=abc"}, 0),
    ({"cache-control": "max-age=600", "expires": http_date(NOW + 9000)}, 600),  # max-age wins
    ({"expires": http_date(NOW + 7200)}, 7200),
    ({"expires": http_date(NOW + 7200), "date": http_date(NOW + 3600)}, 3600),  # server clock
    ({"expires": http_date(NOW - 50)}, 0), ({"expires": "0"}, 0), ({"expires": "never"}, 0),
    ({"expires": "Thu, 01 Jan 1970 00:00:00 GMT"}, 0),
])
def test_what_http_asks(headers: dict[str, str], seconds: float) -> None:
    assert http_asks(headers, NOW) == seconds


def test_the_cap_bounds_the_server_and_zero_ignores_it() -> None:
    assert fresh_until(3600, NOW, DAY) == NOW + 3600
    assert fresh_until(30 * DAY, NOW, DAY) == NOW + DAY
    assert fresh_until(3600, NOW, 0) == 0
    assert fresh_until(0, NOW, DAY) == 0


HOSTILE_TEXT = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["max-age=99999999999999", "max-age=", "max-age=1e99", "-1", "NaN", "inf",
                     "Fri, 31 Dec 9999 23:59:59 GMT", "Mon, 01 Jan 0001 00:00:00 GMT",
                     "Tue, 99 Foo 2024 99:99:99 +9999", "", "\x00", "max-age=60, no-cache"]),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)


@settings(max_examples=300, deadline=None)
@given(cache_control=HOSTILE_TEXT, expires=HOSTILE_TEXT, date=HOSTILE_TEXT, ttl=HOSTILE_TEXT,
       period=HOSTILE_TEXT, frequency=HOSTILE_TEXT,
       cap=st.sampled_from([0.0, 60.0, DAY, 7 * DAY]),
       interval=st.sampled_from([0.0, 1.0, 1800.0, 30 * DAY]))
def test_hostile_values_never_crash_nor_leave_now_or_the_cap(
        cache_control: str, expires: str, date: str, ttl: str, period: str, frequency: str,
        cap: float, interval: float) -> None:
    feed = Feed(key="k", url="https://example.com/feed")
    config = Settings(max_server_wait=cap, refresh_interval_minutes=interval / 60)
    heed_server(feed, {"cache-control": cache_control, "expires": expires, "date": date},
                {"ttl": ttl, "update_period": period, "update_frequency": frequency},
                config, NOW)
    assert feed.fresh_until == 0 or NOW < feed.fresh_until <= NOW + cap
    assert math.isfinite(feed.feed_interval) and feed.feed_interval >= 0
    feed.last_checked = NOW
    due = next_due(feed, config, NOW)
    assert math.isfinite(due)
    assert NOW <= due <= NOW + max(interval, cap)  # never in the past, never past both


@settings(max_examples=200, deadline=None)
@given(checked=st.floats(allow_nan=True, allow_infinity=True),
       fresh=st.floats(allow_nan=True, allow_infinity=True),
       retry=st.floats(allow_nan=True, allow_infinity=True))
def test_a_damaged_status_file_never_makes_a_feed_never_due(
        checked: float, fresh: float, retry: float) -> None:
    feed = Feed(key="k", url="https://x/", last_checked=checked, fresh_until=fresh,
                retry_after=retry)
    config = Settings(refresh_interval_minutes=30)
    due = next_due(feed, config, NOW)
    assert math.isfinite(due) and due <= NOW + DAY + 1800


# -- the rule -------------------------------------------------------------------------------
def test_due_time_is_the_user_interval_but_never_before_the_server_ask() -> None:
    config = Settings(refresh_interval_minutes=30)
    feed = Feed(key="k", url="https://x/", last_checked=NOW - 600)
    assert next_due(feed, config, NOW) == NOW - 600 + 1800  # the user's 30 minutes
    feed.fresh_until = NOW - 600 + 3600  # the server asked for an hour: it wins
    assert next_due(feed, config, NOW) == NOW - 600 + 3600
    feed.fresh_until = NOW + 30 * DAY  # a feed silencing itself: capped at a day
    assert next_due(feed, config, NOW) == NOW - 600 + DAY
    assert next_due(feed, Settings(refresh_interval_minutes=30, max_server_wait=0), NOW) \
        == NOW - 600 + 1800  # asks ignored
    assert next_due(Feed(key="n", url="https://y/"), config, NOW) == 0  # never checked: due


def test_per_feed_interval_overrides_the_global_one() -> None:
    config = Settings(refresh_interval_minutes=60, feeds={
        "https://fast/": {"interval": 300.0}, "https://manual/": {"interval": 0.0}})
    fast = Feed(key="f", url="https://fast/", last_checked=NOW - 400)
    manual = Feed(key="m", url="https://manual/", last_checked=NOW - 4000)
    plain = Feed(key="p", url="https://plain/", last_checked=NOW - 4000)
    moved = Feed(key="v", url="https://new-home/", subscribed_url="https://fast/",
                 last_checked=NOW - 400)
    assert [user_interval(f, config) for f in (fast, manual, plain, moved)] == \
        [300, 0, 3600, 300]
    assert [f.key for f in due_feeds([fast, manual, plain, moved], config, NOW)] == \
        ["f", "m", "p", "v"]
    assert [f.key for f in due_feeds([fast, manual, plain], config, NOW,
                                     scheduled_only=True)] == ["f", "p"]
    assert tick_seconds([fast, manual, plain], config) == 60
    assert tick_seconds([plain], Settings(refresh_interval_minutes=0.05)) == 3
    assert tick_seconds([plain], Settings()) == 0  # no interval: no automatic refresh


def test_schedule_in_words() -> None:
    config = Settings(refresh_interval_minutes=30)
    feed = Feed(key="k", url="https://x/", last_checked=NOW - 60, fresh_until=NOW - 60 + 7200)
    assert describe(feed, config, NOW).endswith("(every 30m; the server asks for 2h)")
    assert describe(Feed(key="n", url="https://y/"), Settings(), NOW) == ""


# -- config -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "seconds"), [
    ("30m", 1800), ("1h30m", 5400), ("45s", 45), ("2d", 2 * DAY), ("off", 0), ("0", 0),
    ("1.5h", 5400), (10, 600), ("10", 600),
])
def test_durations(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["abc", "30x", "1e9", "-5m", "m", "9" * 400 + "d", "400d"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_config_keys(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[refresh]\ninterval = "30m"\nmax_server_wait = "6h"\n'
                    '[feeds."https://x/rss"]\ninterval = "2h"\n')
    config = load_settings(path)
    assert (config.refresh_interval_minutes, config.max_server_wait) == (30, 6 * 3600)
    assert config.feed_option("https://x/rss", "interval") == 7200
    path.write_text('[feeds."https://x/rss"]\ninterval = "soon"\n')
    with pytest.raises(ConfigError, match=r'\[feeds."https://x/rss"\] interval: .*not a dur'):
        load_settings(path)
    path.write_text('[refresh]\ninterval = true\n')
    with pytest.raises(ConfigError, match="interval has the wrong type"):
        load_settings(path)


# -- against a real server ----------------------------------------------------------------------
def open_library(paths: Paths, **options: object) -> Library:
    library = Library(paths, Settings(**options))
    library.acquire()
    return library


def test_a_server_asking_for_a_pause_is_not_fetched_before_it_ends(
        paths: Paths, server: FeedServer, capsys: pytest.CaptureFixture[str]) -> None:
    server.routes["/cc"] = Route(rss("Cached", [("1", "one")]),
                                 headers={"Cache-Control": "public, max-age=7200"})
    server.routes["/exp"] = Route(rss("Expires", [("1", "one")]), headers={
        "Expires": http_date(time.time() + 3 * 3600)})
    server.routes["/ttl"] = Route(
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>TTL</title><ttl>90</ttl>'
        b"<item><title>t</title><guid>t1</guid></item></channel></rss>")
    server.routes["/plain"] = Route(rss("Plain", [("1", "one")]))
    library = open_library(paths)
    for name in ("cc", "exp", "ttl", "plain"):
        library.add_feed(server.url(f"/{name}"))
    library.refresh_blocking()
    feeds = {f.title: f for f in library.feeds()}
    for title, seconds in (("Cached", 7200), ("Expires", 3 * 3600), ("TTL", 5400)):
        feed = feeds[title]
        assert feed.fresh_until - feed.last_checked == pytest.approx(seconds, abs=5), title
    assert feeds["TTL"].feed_interval == 5400
    assert feeds["Plain"].fresh_until == 0
    assert [f.title for f in library.due_feeds()] == ["Plain"]
    [result] = library.refresh_blocking([server.url("/ttl")])  # fetched anyway: named
    assert result.status == "unchanged"  # not parsed again: the last parse's <ttl> holds
    again = library.find_feed(server.url("/ttl"))
    assert again.fresh_until - again.last_checked == pytest.approx(5400, abs=5)
    library.release()

    hits = {name: len(server.hits_for(f"/{name}")) for name in ("cc", "exp", "ttl", "plain")}
    assert main(["refresh"]) == 0  # only the feed that is due
    out = capsys.readouterr().out
    assert "1 feed refreshed" in out and "3 not due yet (--all fetches them)" in out
    assert len(server.hits_for("/plain")) == hits["plain"] + 1
    assert len(server.hits_for("/cc")) == hits["cc"]
    assert main(["refresh", server.url("/cc")]) == 0  # named: fetched, due or not
    assert len(server.hits_for("/cc")) == hits["cc"] + 1
    capsys.readouterr()
    assert main(["refresh", "--all", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["not_due"] == 0 and len(report["feeds"]) == 4
    assert main(["feeds", "--json"]) == 0
    listed = {f["title"]: f for f in json.loads(capsys.readouterr().out)}
    assert listed["Cached"]["next_due"] == pytest.approx(listed["Cached"]["last_checked"] + 7200,
                                                         abs=5)
    assert listed["Plain"]["next_due"] is not None  # checked: due at its last check
    assert main(["feeds"]) == 0
    out = capsys.readouterr().out
    assert "next refresh" in out and "the server asks for 2h" in out


def test_a_hostile_server_cannot_silence_a_feed(paths: Paths, server: FeedServer) -> None:
    server.routes["/mute"] = Route(rss("Mute", [("1", "one")]), headers={
        "Cache-Control": "max-age=999999999999", "Expires": "Fri, 31 Dec 9999 23:59:59 GMT"})
    library = open_library(paths, max_server_wait=3600.0)
    feed = library.add_feed(server.url("/mute"))
    library.refresh_blocking()
    feed = library.find_feed(feed.key)
    assert 0 < feed.fresh_until - feed.last_checked <= 3601
    library.release()


def test_refresh_with_nothing_due_says_so_and_fetches_nothing(
        paths: Paths, server: FeedServer, capsys: pytest.CaptureFixture[str]) -> None:
    server.routes["/a"] = Route(rss("A", [("1", "one")]))
    paths.config_file.parent.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text('[refresh]\ninterval = "1h"\n')
    assert main(["add", server.url("/a")]) == 0
    assert main(["refresh"]) == 0  # never checked: due
    capsys.readouterr()
    assert main(["refresh"]) == 0
    assert "nothing to refresh: no feed is due (the next at" in capsys.readouterr().out
    assert len(server.hits_for("/a")) == 1
    assert main(["refresh", "--all"]) == 0
    assert len(server.hits_for("/a")) == 2


def test_a_retry_after_keeps_the_app_away_and_reader_refresh_reports_it() -> None:
    config = Settings(refresh_interval_minutes=1)
    feed = Feed(key="k", url="https://x/", last_checked=NOW - 600, retry_after=NOW + 300)
    assert next_due(feed, config, NOW) == NOW + 300
    assert due_feeds([feed], config, NOW, scheduled_only=True) == []  # the app waits
    assert due_feeds([feed], config, NOW) == [feed]  # the refresh says "waiting"


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(max_size=30), st.integers(), st.floats()))
def test_any_duration_text_is_seconds_within_a_year_or_a_clear_error(
        text: str | int | float) -> None:
    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        assert "duration" in str(exc)
    else:
        assert math.isfinite(seconds) and 0 <= seconds <= 366 * DAY


@settings(max_examples=300, deadline=None)
@given(value=st.one_of(HOSTILE_TEXT, st.sampled_from(["²", "٣", "12", "1" * 40])))
def test_a_hostile_retry_after_or_http_date_never_crashes(value: str) -> None:
    until = httptime.parse_retry_after(value, NOW)
    assert until == 0 or NOW < until <= NOW + httptime.MAX_RETRY_AFTER_S
    stamp = httptime.http_date(value)
    assert stamp is None or math.isfinite(stamp)
