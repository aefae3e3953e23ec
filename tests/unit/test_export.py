"""Markdown export of notes and bookmarks: front matter, blockquotes, safe stable file names."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from reader.config import Settings
from reader.export import render, slugify, yaml_string
from reader.library import Library, LibraryError
from reader.locations import Paths
from reader.models import Article, Note
from tests.conftest import FeedServer, Route, rss

try:
    import yaml
except ImportError:  # PyYAML is not a dependency; the JSON-line check below always runs
    yaml = None

NAME_RE = re.compile(r"[a-z0-9-]{1,80}-[0-9a-f]{6}\.md")


def front_matter(text: str) -> tuple[dict[str, object], str]:
    """A strict reader for the subset the exporter writes: `key: <JSON value>` per line."""
    assert text.startswith("---\n")
    head, body = text[4:].split("\n---\n", 1)
    fields: dict[str, object] = {}
    for line in head.split("\n"):
        key, sep, value = line.partition(": ")
        assert sep and re.fullmatch(r"[a-z]+", key), line
        fields[key] = json.loads(value)
    if yaml is not None:  # and a real YAML parser reads the same
        assert yaml.safe_load(head) == fields
    return fields, body


def open_library(paths: Paths, **settings: object) -> Library:
    library = Library(paths, Settings(**settings))
    library.acquire()
    return library


@pytest.fixture
def lib(paths: Paths, server: FeedServer) -> Library:
    server.routes["/a"] = Route(rss("Feed: A", [("1", "one"), ("2", "two"), ("3", "three")]))
    library = open_library(paths)
    library.add_feed(server.url("/a"), tags=["news", "long reads"])
    library.refresh_blocking()
    return library


def by_title(lib: Library, title: str) -> Article:
    return next(a for a in lib.articles() if a.title == title)


def test_render_exact_text() -> None:
    article = Article(id="0123456789ab", feed_key="k", guid="g", title="A: b",
                      link="https://x.example/a", author='Ann "A" Lee', published=1630946700.0,
                      feed_title="Feed")
    notes = [Note("n1", article.id, "first\nthought", quote="line one\nline two"),
             Note("n2", article.id, "no quote"), Note("n3", article.id, "", quote="only quote")]
    text = render(article, notes, tags=["a b", "c"], bookmarked=True, article_markdown="Body\n")
    assert text == (
        '---\ntitle: "A: b"\nlink: "https://x.example/a"\nfeed: "Feed"\n'
        'author: "Ann \\"A\\" Lee"\npublished: "2021-09-06T16:45:00+00:00"\n'
        'bookmarked: true\ntags: ["a-b", "c"]\nid: "0123456789ab"\n---\n\n'
        "# A: b\n\n> line one\n> line two\n\nfirst\nthought\n\nno quote\n\n> only quote\n\n"
        "## Article\n\nBody\n")


@pytest.mark.parametrize("value", [
    "plain", "a: b", 'say "hi"', "line\nbreak", "---", "--- \n---\n", "#hash", "- item",
    "back\\slash", "tab\there", "nul\x00bell\x07", "del\x7f c1\x85\x9b", "ls\u2028ps\u2029",
    "bom\ufeff", "emoji 🦜 漢字", "lone \ud800 surrogate", "", "null", "true", "'single'",
])
def test_yaml_strings_round_trip(value: str) -> None:
    quoted = yaml_string(value)
    assert "\n" not in quoted and quoted.startswith('"') and quoted.endswith('"')
    expected = value.replace("\ud800", "\ufffd")
    assert json.loads(quoted) == expected
    if yaml is not None:
        assert yaml.safe_load(f"k: {quoted}") == {"k": expected}


@pytest.mark.parametrize(("title", "slug"), [
    ("../../etc/passwd", "etc-passwd"), ("a/b", "a-b"), ("nul\x00byte", "nul-byte"),
    ("", "article"), ("🦜🦜", "article"), ("Ünïcödé Çafé", "unicode-cafe"),
    ("x" * 300, "x" * 80), ("a " * 100, ("a-" * 40).rstrip("-")), ("..", "article"),
    ("\\windows\\path", "windows-path"), ("CON", "con"),
])
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_export_files_front_matter_and_blockquotes(lib: Library, tmp_path: Path) -> None:
    one, two = by_title(lib, "one"), by_title(lib, "two")
    lib.add_note(one, "my first note\n\nwith a paragraph", quote="Body of one\nsecond line")
    lib.add_note(one, "second note")
    lib.set_bookmark(two)
    out = tmp_path / "vault"
    paths = lib.export_notes(out)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)
    assert len(paths) == 2 and all(NAME_RE.fullmatch(p.name) for p in paths)
    files = {front_matter(p.read_text())[0]["id"]: p for p in paths}
    fields, body = front_matter(files[one.id].read_text())
    assert fields == {"title": "one", "link": "https://example.com/1", "feed": "Feed: A",
                      "author": "", "published": "2021-09-06T16:45:00+00:00",
                      "bookmarked": False, "tags": ["news", "long-reads"], "id": one.id}
    assert files[one.id].name == f"one-{one.id[:6]}.md"
    assert body == ("\n# one\n\n> Body of one\n> second line\n\nmy first note\n\nwith a paragraph"
                    "\n\nsecond note\n")
    assert "## Article" not in body
    fields, body = front_matter(files[two.id].read_text())
    assert fields["bookmarked"] is True and body == "\n# two\n"
    assert by_title(lib, "three").id not in files


def test_with_article_includes_the_text(lib: Library, tmp_path: Path) -> None:
    one = by_title(lib, "one")
    lib.add_note(one, "n")
    [path] = lib.export_notes(tmp_path / "out", with_article=True)
    body = front_matter(path.read_text())[1]
    assert body.index("\nn\n") < body.index("## Article") < body.index("Body of one")
    lib.remove_feed(one.feed_key)  # from the kept copy once the feed is gone
    [again] = lib.export_notes(tmp_path / "out", with_article=True)
    assert again == path
    fields, body = front_matter(path.read_text())
    assert body.index("## Article") < body.index("Body of one")
    assert fields["tags"] == ["news", "long-reads"] and fields["feed"] == "Feed: A"


def test_hostile_titles_land_safely_in_the_folder(lib: Library, tmp_path: Path) -> None:
    hostile = ["../../etc/passwd", "a/b", "nul\x00here", "x" * 300, "", "🦜🔥",
               'title: "quoted"\n---\nnext: line', "\u2028---"]
    base = by_title(lib, "one")
    # Ids of stand-in articles: the base id with another first byte, never the base's own
    # (an id equal to the real article's would take the real title: a 1-in-256 flake).
    first = int(base.id[:2], 16)
    ids = [f"{(first + 1 + i) % 256:02x}{base.id[2:]}" for i in range(len(hostile))]
    for article_id, title in zip(ids, hostile, strict=True):
        lib.add_note(dataclasses.replace(base, id=article_id, title=title), "n")
    out = tmp_path / "deep" / "out"
    paths = lib.export_notes(out)
    assert len(paths) == len(hostile)
    assert len(set(paths)) == len(paths)
    root = out.resolve()
    for path in paths:
        assert path.resolve().parent == root
        assert NAME_RE.fullmatch(path.name), path.name
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)
    assert {p.name for p in tmp_path.iterdir()} <= {"config", "data", "cache", "deep"}
    titles = {front_matter(p.read_text())[0]["title"] for p in paths}
    assert titles == set(hostile)  # every title survives its front matter intact
    names = {p.name for p in paths}
    assert f"etc-passwd-{ids[0][:6]}.md" in names and f"article-{ids[4][:6]}.md" in names


def test_re_export_is_idempotent_and_follows_edits(lib: Library, tmp_path: Path,
                                                   server: FeedServer) -> None:
    one, two = by_title(lib, "one"), by_title(lib, "two")
    note = lib.add_note(one, "before")
    lib.add_note(two, "on two")
    out = tmp_path / "out"
    first = lib.export_notes(out)
    stamps = {p: p.stat().st_mtime_ns for p in first}
    assert lib.export_notes(out) == first
    assert {p: p.stat().st_mtime_ns for p in first} == stamps  # unchanged: not rewritten
    lib.edit_note(note.id, "after")
    second = lib.export_notes(out)
    assert second == first and sorted(out.iterdir()) == sorted(first)
    text = next(p for p in second if p.name.startswith("one-")).read_text()
    assert "\nafter\n" in text and "before" not in text
    # a new title keeps the same file (found by its id), with the new title inside
    server.routes["/a"] = Route(rss("Feed: A", [("1", "one renamed"), ("2", "two")]))
    lib.refresh_blocking()
    third = lib.export_notes(out)
    assert third == first and sorted(out.iterdir()) == sorted(first)
    renamed = next(p for p in third if p.name.startswith("one-"))
    assert front_matter(renamed.read_text())[0]["title"] == "one renamed"
    # no longer annotated: its file is left alone and not listed
    for n in lib.notes(two.id):
        lib.delete_note(n.id)
    fourth = lib.export_notes(out)
    assert len(fourth) == 1 and sorted(out.iterdir()) == sorted(first)


def test_someone_elses_file_is_never_overwritten(lib: Library, tmp_path: Path) -> None:
    one = by_title(lib, "one")
    lib.add_note(one, "mine")
    out = tmp_path / "out"
    out.mkdir()
    theirs = out / f"one-{one.id[:6]}.md"
    theirs.write_text("---\nid: \"ffffffffffff\"\n---\nmy own file\n")
    [path] = lib.export_notes(out)
    assert path.name == f"one-{one.id}.md"
    assert theirs.read_text() == "---\nid: \"ffffffffffff\"\n---\nmy own file\n"
    assert lib.export_notes(out) == [path]  # and the next export finds its own file


def test_export_into_a_file_is_a_clear_error(lib: Library, tmp_path: Path) -> None:
    lib.add_note(by_title(lib, "one"), "n")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(LibraryError, match="cannot export there"):
        lib.export_notes(blocker)
    assert blocker.read_text() == "x"


def test_nothing_to_export_writes_nothing(lib: Library, tmp_path: Path) -> None:
    assert lib.export_notes(tmp_path / "out") == []
    assert list((tmp_path / "out").iterdir()) == []
