"""Fixtures for app tests: a library on the sample feeds, or on a hostile feed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.config import Settings
from reader.library import Library
from reader.locations import Paths


def make_library(paths: Paths, settings: Settings | None = None) -> Library:
    library = Library(paths, settings or Settings())
    library.acquire()
    return library


async def wait_until(pilot, condition, seconds: float = 15.0) -> None:  # noqa: ANN001
    """Let the app run until `condition()` holds (bounded: AssertionError after `seconds`)."""
    import asyncio
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)
        await pilot.pause()


@pytest.fixture
def sample_library(paths: Paths) -> Iterator[Library]:
    """The bundled samples, refreshed (offline: local files)."""
    library = make_library(paths)
    library.seed_if_new()
    library.refresh_blocking()
    yield library
    library.release()


HOSTILE_TITLES = [
    "[@click=app.quit]Click me[/]",
    "[bold]bold?[/bold] and [/bold] unbalanced",
    "[link=file:///etc/passwd]link[/link]",
    "esc \x1b[2J\x1b]52;c;aGk=\x07 csi \x9b31m end",
]


@pytest.fixture
def hostile_library(paths: Paths, tmp_path: Path) -> Iterator[Library]:
    """A local feed whose feed title and entry titles carry markup and control bytes."""
    items = "".join(
        f"<item><guid>h{i}</guid><title><![CDATA[{t}]]></title><link>https://h.example/{i}</link>"
        f"<pubDate>Mon, 0{i + 1} Jan 2024 10:00:00 +0000</pubDate>"
        f"<description><![CDATA[<p>body {i} [@click=app.quit]x[/] \x1b[31m</p>]]></description>"
        "</item>"
        for i, t in enumerate(HOSTILE_TITLES)
    )
    feed = tmp_path / "hostile.xml"
    feed.write_bytes(
        ('<?xml version="1.0"?><rss version="2.0"><channel>'
         "<title><![CDATA[[@click=app.quit]Feed[/] \x1b[2J]]></title>"
         f"{items}</channel></rss>").encode("utf-8", "surrogateescape"))
    library = make_library(paths)
    library.add_feed(str(feed), tags=["[red]tag[/red]"])
    library.refresh_blocking()
    yield library
    library.release()
