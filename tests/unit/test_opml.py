"""Subscription import/export: OPML 1.0/2.0, newsboat urls files, round-trips."""

from __future__ import annotations

import pytest

from reader.opml import (
    Subscription,
    SubscriptionListError,
    read_subscriptions,
    write_opml,
    write_urls,
)

OPML1 = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<opml version="1.0"><head><title>mine</title></head><body>
  <outline text="Tech">
    <outline text="Linux">
      <outline text="LWN" type="rss" xmlUrl="https://lwn.net/headlines/rss" htmlUrl="https://lwn.net"/>
    </outline>
    <outline text="Caf\xe9 blog" xmlUrl="https://cafe.example/feed"/>
  </outline>
  <outline text="Loose" title="Loose feed" xmlUrl="https://loose.example/rss"
           category="/News/World,misc"/>
</body></opml>"""

URLS = """# my feeds
https://lwn.net/headlines/rss linux "free software" "~LWN headlines"
http://example.com/a.xml   # a comment after the url
"query:Unread:unread = \\"yes\\""
exec:~/bin/feed.sh
https://hidden.example/rss ! tech
not-a-url
https://lwn.net/headlines/rss again
"""


def test_opml1_nested_outlines_become_path_tags() -> None:
    listing = read_subscriptions(OPML1, "subs.opml")
    assert listing.kind == "opml"
    lwn, cafe, loose = listing.subscriptions
    assert (lwn.url, lwn.title, lwn.tags, lwn.site_url) == (
        "https://lwn.net/headlines/rss", "LWN", ["Tech/Linux"], "https://lwn.net")
    assert cafe.title == "Café blog" and cafe.tags == ["Tech"]
    assert loose.title == "Loose feed" and loose.tags == ["News/World", "misc"]


def test_newsboat_urls_file() -> None:
    listing = read_subscriptions(URLS.encode(), "urls")
    assert listing.kind == "urls"
    subs = {s.url: s for s in listing.subscriptions}
    assert list(subs) == ["https://lwn.net/headlines/rss", "http://example.com/a.xml",
                          "https://hidden.example/rss"]
    lwn = subs["https://lwn.net/headlines/rss"]
    assert lwn.title == "LWN headlines" and lwn.tags == ["linux", "free software"]
    assert subs["http://example.com/a.xml"].tags == []
    assert subs["https://hidden.example/rss"].tags == ["tech"]
    text = "\n".join(listing.warnings)
    assert listing.query_feeds == [("Unread", "unread")]  # imported, no longer skipped
    assert "query:" not in text and "exec: feeds are not supported" in text
    assert "'not-a-url' is not a URL" in text and "listed twice" in text


def test_round_trip_loses_nothing() -> None:
    subs = [
        Subscription("https://a.example/rss", "A & <friends>", ["news", "tag with space"],
                     "https://a.example/"),
        Subscription("https://b.example/atom?x=1&y=2", "", []),
        Subscription("/home/me/feeds/local.xml", 'Quote "q"', ["ünïcode"]),
    ]
    again = read_subscriptions(write_opml(subs).encode(), "x").subscriptions
    assert [(s.url, s.title if s.title != s.url else "", s.tags, s.site_url) for s in again] == [
        (s.url, s.title, s.tags, s.site_url) for s in subs]
    back = read_subscriptions(write_urls(subs).encode(), "urls").subscriptions
    assert [(s.url, s.title, s.tags) for s in back] == [(s.url, s.title, s.tags) for s in subs]


def test_exported_opml_is_20_with_categories() -> None:
    text = write_opml([Subscription("https://a.example/rss", "", ["x", "y"])])
    assert '<opml version="2.0">' in text
    assert 'category="x,y"' in text and 'text="https://a.example/rss"' in text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<opml><body><outline text='x'", "line 1: not well-formed"),
        (b"<html><body/></html>", "not OPML"),
        (b"<opml version='2.0'><head/></opml>", "without a <body>"),
        (b'<!DOCTYPE opml [<!ENTITY a "b">]><opml><body/></opml>', "DOCTYPE"),
        (b"# only comments\n\n", "no feeds found"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
    ],
)
def test_bad_files_are_clear_errors(data: bytes, message: str) -> None:
    with pytest.raises(SubscriptionListError, match=message):
        read_subscriptions(data, "bad.file")


def test_path_tags_round_trip_as_nested_outlines() -> None:
    subs = [
        Subscription("https://me.example/rss", "Middle East", ["news/middle-east", "daily"]),
        Subscription("https://loose.example/rss", "Loose", []),
        Subscription("https://world.example/rss", "World", ["news"]),
        Subscription("https://deep.example/rss", "Deep", ["news/middle-east/syria"]),
    ]
    text = write_opml(subs)
    news = text.index('<outline text="news"')
    middle = text.index('<outline text="middle-east"')
    syria = text.index('<outline text="syria"')
    assert news < middle < syria < text.index("https://deep.example/rss")
    assert text.count("</outline>") == 3
    again = read_subscriptions(text.encode(), "x").subscriptions
    assert sorted((s.url, s.tags) for s in again) == sorted((s.url, s.tags) for s in subs)


def test_folder_names_with_a_slash_do_not_nest() -> None:
    data = b"""<opml version="2.0"><body><outline text="AC/DC"><outline text=" live ">
      <outline text="F" xmlUrl="https://f.example/rss"/></outline></outline></body></opml>"""
    [sub] = read_subscriptions(data, "x").subscriptions
    assert sub.tags == ["AC\u2215DC/live"]


def test_a_very_deep_tag_is_written_and_kept_whole() -> None:
    tag = "/".join(f"l{n}" for n in range(500))
    text = write_opml([Subscription("https://d.example/rss", "D", [tag])])
    assert text.count("</outline>") == 32  # folders stop nesting; the category keeps it all
    [sub] = read_subscriptions(text.encode(), "x").subscriptions
    assert tag in sub.tags
