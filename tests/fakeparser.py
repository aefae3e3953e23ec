"""A fake feed parser for the library's parser seam (`Library(..., parser=...)`), as
lemon24/reader's tests/fakeparser.py: tests and the bench hand it the parsed feeds they
want stored, by URL, and run a real refresh (fetch, decide, store) without a real feed.

The feeds are local files (any bytes; they are fetched but not read), so nothing touches a
network; change a file's bytes to make the next refresh parse it again."""

from __future__ import annotations

from pathlib import Path

from reader.errors import ParseError
from reader.models import ParsedEntry, ParsedFeed


class FakeParser:
    """parse(data, url, content_type) -> the ParsedFeed set for `url`."""

    def __init__(self) -> None:
        self.feeds: dict[str, ParsedFeed] = {}
        """URL (a local file's path) -> what parsing it returns."""
        self.calls: list[str] = []
        """The URLs parsed, in order."""

    def __call__(self, data: bytes, url: str, content_type: str) -> ParsedFeed:
        self.calls.append(url)
        if url not in self.feeds:
            raise ParseError(f"{url}: no fake feed here")
        return self.feeds[url]

    def feed(self, folder: Path, name: str, title: str, entries: list[ParsedEntry]) -> str:
        """A local feed file under `folder` that parses as `entries`; returns its URL. Its
        bytes change with every call, so the next refresh parses it again."""
        path = folder / f"{name}.xml"
        old = path.read_bytes() if path.exists() else b""
        path.write_bytes(old + b".")
        self.feeds[str(path)] = ParsedFeed(title=title, entries=entries, kind="fake")
        return str(path)


def entry(n: int, *, title: str = "", content: str = "", summary: str = "",
          published: float | None = None) -> ParsedEntry:
    """Entry number `n` of a fake feed."""
    return ParsedEntry(guid=f"https://fake.example/{n}", title=title or f"Entry {n}",
                       link=f"https://fake.example/{n}", published=published,
                       content_html=content or f"<p>Body of entry {n}.</p>",
                       summary_html=summary, base_url=f"https://fake.example/{n}")
