"""Pictures in the article (issue 18), Pilot: the AMN sample's lead photo, served from
127.0.0.1 (the sample is a local file, so loopback is allowed for it), drawn inline in
half-blocks after the text is shown; `i` shows it full-screen; hostile pictures show as
their alt text and never hide the article."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from reader.config import Settings
from reader.library import Library
from reader.locations import Paths
from reader.ui.app import ReaderApp
from reader.ui.pictures import PictureLine
from tests.conftest import FeedServer, Route
from tests.ui.conftest import make_library
from tests.ui.test_app import SIZE, open_feed, visible_text
from tests.ui.test_fulltext_ui import settle

SEEDS = Path(__file__).parents[2] / "seeds"
LEAD = "https://www.almasdarnews.com/wp-content/uploads/2017/02/mattis-nato-brussels-1024x683.jpg"
ALT = "Defense Secretary Jim Mattis speaks to reporters at NATO headquarters in Brussels"


def photo(width: int = 640, height: int = 427, fmt: str = "JPEG") -> bytes:
    """A photo-like picture: a red-to-blue gradient with a green band."""
    image = Image.new("RGB", (width, height))
    image.putdata([(255 * x // width, 160 if height // 3 < y < height // 2 else 30,
                    255 - 255 * x // width) for y in range(height) for x in range(width)])
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def amn_with_lead_photo(server: FeedServer, tmp_path: Path, route: Route | None = None) -> Path:
    """The AMN sample with its lead photo pointed at the server (route /lead.jpg)."""
    server.routes["/lead.jpg"] = route or Route(photo(), headers={"Content-Type": "image/jpeg"})
    feed = tmp_path / "amn.xml"
    feed.write_bytes((SEEDS / "amn.xml").read_bytes().replace(
        LEAD.encode(), server.url("/lead.jpg").encode()))
    return feed


async def amn_library(paths: Paths, feed: Path, settings: Settings | None = None) -> Library:
    library = make_library(paths, settings or Settings(images_mode="halfblock"))
    library.add_feed(str(feed))
    await library.refresh()
    return library


async def open_mattis(app: ReaderApp, pilot) -> None:  # noqa: ANN001
    await open_feed(pilot, app, "AMN Al-Masdar News")
    for index, article in enumerate(app.article_list.articles):
        if article.title.startswith("Mattis"):
            app.article_list.highlighted = index
            break
    await pilot.press("enter")
    await settle(app, pilot)


def picture_rows(app: ReaderApp) -> list[PictureLine]:
    return [line for line in app.article_view._lines if isinstance(line, PictureLine)]


async def test_the_amn_lead_photo_is_drawn_inline_with_its_alt_text_under_it(
        paths: Paths, server: FeedServer, tmp_path: Path) -> None:
    library = await amn_library(paths, amn_with_lead_photo(server, tmp_path))
    app = ReaderApp(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_mattis(app, pilot)
        rows = picture_rows(app)
        assert len(server.hits_for("/lead.jpg")) == 1
        assert rows and all(r.number == 1 for r in rows)
        assert 8 <= len(rows) <= app.article_view.scrollable_content_region.height
        lines = app.article_view._lines
        first = lines.index(rows[0])
        after = lines[first + len(rows)].plain
        assert after.startswith("[image: Defense Secretary Jim Mattis")  # alt text under it
        assert lines[first - 1].plain.startswith("───")  # where it stood: first, after the header
        strip = rows[2].strip
        assert {seg.text[0] for seg in strip} == {"▀"}
        colours = {(seg.style.color.triplet, seg.style.bgcolor.triplet) for seg in strip}
        assert len(colours) > 10  # a gradient, not a blank
        shown = visible_text(app.article_view)
        assert "▀" in shown and "[image: Defense Secretary Jim Mattis" in shown
        # The picture is cached with the article: the next open reads it from disk.
        cached = list((library.store.cache_dir / "images").rglob("*.png"))
        assert len(cached) == 1
        await pilot.press("i")
        await pilot.pause()
        screen = app.screen
        assert type(screen).__name__ == "PictureScreen"
        assert f"[1] {ALT}" in visible_text(screen.query_one("#picture-caption"))
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.main_screen
        await pilot.press("1")  # number keys still open links: the image's own link
        await pilot.pause()
        assert server.url("/lead.jpg") in app.status.message


async def test_offline_the_cached_picture_still_shows(paths: Paths, server: FeedServer,
                                                      tmp_path: Path) -> None:
    library = await amn_library(paths, amn_with_lead_photo(server, tmp_path))
    async with ReaderApp(library).run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_mattis(pilot.app, pilot)
    hits = len(server.hits_for("/lead.jpg"))
    app = ReaderApp(library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_mattis(app, pilot)
        assert picture_rows(app)
    assert len(server.hits_for("/lead.jpg")) == hits == 1


async def test_images_off_shows_the_alt_text_and_fetches_nothing(
        paths: Paths, server: FeedServer, tmp_path: Path) -> None:
    library = await amn_library(paths, amn_with_lead_photo(server, tmp_path),
                                Settings(images_mode="off"))
    app = ReaderApp(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_mattis(app, pilot)
        assert not picture_rows(app) and not server.hits_for("/lead.jpg")
        assert f"[image: {ALT}][1]" in " ".join(app.article_view.text.split())


HOSTILE = {
    "not a picture": Route(b"<html>nope</html>", headers={"Content-Type": "image/jpeg"}),
    "truncated": Route(photo()[:3000], headers={"Content-Type": "image/jpeg"}),
    "huge dimensions": Route(photo(64, 64, "PNG").replace(
        b"\x00\x00\x00\x40\x00\x00\x00\x40", b"\x00\x00\xc3\x50\x00\x00\xc3\x50"),
        headers={"Content-Type": "image/png"}),
    "too large": Route(b"\xff\xd8" + b"\0" * (3 * 1024 * 1024),
                       headers={"Content-Type": "image/jpeg"}),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
async def test_a_hostile_picture_shows_as_its_alt_text(paths: Paths, server: FeedServer,
                                                       tmp_path: Path, case: str) -> None:
    feed = amn_with_lead_photo(server, tmp_path, HOSTILE[case])
    library = await amn_library(paths, feed, Settings(images_mode="halfblock",
                                                      images_max_mb=2))
    app = ReaderApp(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_mattis(app, pilot)
        assert server.hits_for("/lead.jpg")
        assert not picture_rows(app)
        assert f"[image: {ALT}][1]" in " ".join(app.article_view.text.split())
        assert "Founding Act on Mutual Relations" in app.article_view.text
        await pilot.press("i")
        await pilot.pause()
        assert app.screen is app.main_screen and "no picture here" in app.status.message
    failed = list((library.store.cache_dir / "images").rglob("failed.json"))
    assert len(failed) == 1 and not list((library.store.cache_dir / "images").rglob("*.png"))


async def test_a_picture_arriving_above_keeps_the_reading_place(
        paths: Paths, server: FeedServer, tmp_path: Path) -> None:
    route = Route(photo(), headers={"Content-Type": "image/jpeg"}, delay=1.0)
    library = await amn_library(paths, amn_with_lead_photo(server, tmp_path, route))
    app = ReaderApp(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_feed(pilot, app, "AMN Al-Masdar News")
        for index, article in enumerate(app.article_list.articles):
            if article.title.startswith("Mattis"):
                app.article_list.highlighted = index
        await pilot.press("enter")
        await pilot.pause(0.3)
        view = app.article_view
        assert not picture_rows(app)  # the text is shown before the picture comes
        assert view.scroll_to_quote("During a press conference after the Defense")
        await pilot.pause()
        top = view.scroll_y
        assert view._lines[top].plain.startswith("During a press conference")
        await settle(app, pilot)
        assert picture_rows(app)
        assert view._lines[view.scroll_y].plain.startswith("During a press conference")


async def test_ten_thousand_pictures_in_one_article_open_and_scroll(
        paths: Paths, server: FeedServer, tmp_path: Path) -> None:
    from tests.hostile.test_images import _feed_with_pictures

    server.routes["/p.png"] = Route(photo(60, 40, "PNG"), headers={"Content-Type": "image/png"})
    for n in range(5):
        server.routes[f"/p.png?n={n}"] = server.routes["/p.png"]
    feed = tmp_path / "many.xml"
    feed.write_bytes(_feed_with_pictures([server.url(f"/p.png?n={n}") for n in range(10_000)]))
    library = make_library(paths, Settings(images_mode="halfblock"))
    library.add_feed(str(feed))
    await library.refresh()
    app = ReaderApp(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_feed(pilot, app, "Pics")
        await pilot.press("enter")
        for _ in range(400):  # layouts of older widths are cancelled: wait until none runs
            await pilot.pause(0.05)
            if app.article_view.article_id and not any(w.is_running for w in app.workers):
                break
        view = app.article_view
        assert len(server.hits) == 40  # [images] max_per_article
        assert {r.number for r in picture_rows(app)} == {1, 2, 3, 4, 5}  # the rest: alt text
        assert "The words of the article." in view.text
        assert "[image: picture 9999]" in view.text
        await pilot.press("G")
        await pilot.pause()
        assert view.scroll_y == view.max_scroll_y > 10_000


async def test_the_full_screen_picture_through_textual_image(paths: Paths, server: FeedServer,
                                                             tmp_path: Path) -> None:
    """The path `auto` takes in a Kitty/Sixel terminal: textual-image's widget (here, without
    a terminal, it draws with its Unicode fallback) shows the picture and closes."""
    from reader.ui.screens.main_pictures import PictureScreen

    library = await amn_library(paths, amn_with_lead_photo(server, tmp_path))
    app = ReaderApp(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_mattis(app, pilot)
        image = app.article_view.pictures[1]
        app.push_screen(PictureScreen(image, "[1] caption", native=True))
        await pilot.pause()
        widget = app.screen.query_one("#picture-image")
        assert type(widget).__module__.startswith("textual_image")
        assert widget.size.width > 40 and widget.size.height > 10
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.main_screen
