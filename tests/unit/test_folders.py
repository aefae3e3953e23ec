"""Folders in folders: tags are paths (`news/middle-east`), kept through OPML and listed by
the folder views with everything inside them."""

from __future__ import annotations

import json

import pytest

from reader.cli import main
from reader.config import Settings
from reader.library import Library, clean_tags
from reader.locations import Paths
from reader.models import View, in_folder
from tests.conftest import FeedServer, Route, rss

NESTED = b"""<?xml version="1.0"?><opml version="2.0"><body>
  <outline text="News">
    <outline text="Middle East">
      <outline text="ME" xmlUrl="%(me)s"/>
    </outline>
    <outline text="World" xmlUrl="%(world)s"/>
  </outline>
  <outline text="Other" xmlUrl="%(other)s"/>
</body></opml>"""


def test_tags_are_cleaned_as_paths() -> None:
    assert clean_tags(["/news//middle-east/ ", " a / b ", "News/Middle-East", "x,y"]) == \
        ["news/middle-east", "a/b", "x y"]
    assert in_folder(["news/middle-east"], "news") and in_folder(["News"], "news")
    assert not in_folder(["newsletters"], "news") and not in_folder(["news"], "news/x")


def test_nested_opml_folders_become_path_tags_and_come_back_out(
        paths: Paths, server: FeedServer, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("me", "world", "other"):
        server.routes[f"/{name}"] = Route(rss(name.upper(), [(name, f"{name} story")]))
    library = Library(paths, Settings())
    library.acquire()
    data = NESTED % {name.encode(): server.url(f"/{name}").encode()
                     for name in ("me", "world", "other")}
    library.import_subscriptions(data, "subs.opml")
    tags = {f.custom_title: f.tags for f in library.feeds()}
    assert tags == {"ME": ["News/Middle East"], "World": ["News"], "Other": []}
    library.refresh_blocking()
    titles = {a.title for a in library.view_articles(View("tag", "news"))}
    assert titles == {"me story", "world story"}  # the folder lists what is inside it
    assert {a.title for a in library.view_articles(View("tag", "News/Middle East"))} == \
        {"me story"}
    exported = library.export_opml()
    library.release()
    assert exported.index('<outline text="News"') < exported.index(
        '<outline text="Middle East"') < exported.index(server.url("/me"))
    assert main(["feeds"]) == 0
    assert "[News/Middle East]" in capsys.readouterr().out
    assert main(["feeds", "--json"]) == 0
    assert ["News/Middle East"] in [f["tags"] for f in json.loads(capsys.readouterr().out)]
