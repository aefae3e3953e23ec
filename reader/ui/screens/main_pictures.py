"""The main screen's pictures: after an article's text is shown, its pictures are read from
the cache and fetched in the background (the text never waits), each drawn where it stands
as it arrives; `i` shows the one on screen full-screen. Mixed into MainScreen."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from rich.style import Style
from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Static

from reader.models import Article
from reader.ui import messages
from reader.ui.pictures import halfblock_strips

HELD_SIDE = 640
"""Pictures are held in memory at most this large a side (40 RGBA ones: 65 MB at most,
beside the 124-139 MB of the app at 50,000 articles: bench/README.md)."""


class HalfblockPicture(Widget):
    """A picture drawn in half-blocks, as large as the widget allows."""

    DEFAULT_CSS = "HalfblockPicture { width: 1fr; height: 1fr; }"

    def __init__(self, image: Any, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.image = image
        self._strips: list[Any] = []
        self._drawn_size = (0, 0)

    def on_resize(self, event: events.Resize) -> None:
        width, height = self.image.size
        scale = min(event.size.width / width, event.size.height * 2 / height)
        size = (max(1, int(width * scale)), max(1, int(height * scale / 2)))
        if size != self._drawn_size:
            self._drawn_size = size
            self._strips = halfblock_strips(self.image, *size)
            self.refresh()

    def render_line(self, y: int) -> Any:
        from textual.strip import Strip

        width = self.size.width
        if y >= len(self._strips):
            return Strip.blank(width)
        strip = self._strips[y]
        pad = max((width - strip.cell_length) // 2, 0)
        return Strip.join([Strip.blank(pad), strip]).crop_extend(0, width, None)


class PictureScreen(ModalScreen[None]):
    """One picture of the article, full-screen, its alt text under it. With [images] mode
    "auto" and a terminal that has Kitty graphics or Sixel, drawn that way (textual-image);
    else in half-blocks."""

    BINDINGS = [Binding("escape,q,i,enter", "dismiss", "Close", id="close_picture")]

    def __init__(self, image: Any, caption: str, *, native: bool) -> None:
        super().__init__()
        self.image = image
        self.caption = caption
        self.native = native

    def compose(self) -> ComposeResult:
        with Vertical(id="picture"):
            if self.native:
                from textual_image.widget import Image  # imported before the app started

                yield Image(self.image, id="picture-image")
            else:
                yield HalfblockPicture(self.image, id="picture-image")
            yield Static(Text(self.caption + "  (escape closes)", Style(dim=True)),
                         markup=False, id="picture-caption")


class PictureActions:
    """Pictures of the article being read, for the main screen."""

    def picture_numbers(self, links: list[Any]) -> tuple[list[Any], set[int]]:
        """The article's pictures ([images] mode "off": none) and their link numbers."""
        if self.library.settings.images_mode == "off":
            return [], set()
        refs = self.library.image_refs(links)
        return refs, {r.number for r in refs}

    @work(exclusive=True, group="pictures")
    async def load_pictures(self, article: Article, refs: list[Any]) -> None:
        """Draw the article's pictures: the cached ones, then the missing ones as they come
        (never the local network for a feed from the internet; see reader.core.images)."""
        if not refs:
            return
        library = self.library
        view = self.article_view

        def open_all(paths: dict[int, Path]) -> dict[int, Any]:
            opened = {n: library.open_picture(p, HELD_SIDE) for n, p in paths.items()}
            return {n: image for n, image in opened.items() if image is not None}

        cached = await library.read(library.cached_images, article, refs)
        if cached:
            images = await asyncio.to_thread(open_all, cached)
            if view.article_id == article.id:
                view.set_pictures(images)  # one layout for all of them
        if self.offline:
            return
        missing = [r for r in await library.read(library.missing_images, article, refs)
                   if r.number not in cached]
        if not missing:
            return
        came: dict[int, Path] = {}

        async def flush() -> None:
            """Draw what came since the last flush (at most five layouts a second)."""
            while came or not fetching.done():
                if came:
                    batch = dict(came)
                    came.clear()
                    images = await asyncio.to_thread(open_all, batch)
                    if view.article_id == article.id:
                        view.set_pictures(images)
                await asyncio.sleep(0.2)

        def arrived(ref: Any, path: Path | None, error: str) -> None:
            if path is not None:
                came[ref.number] = path

        fetching = asyncio.ensure_future(library.fetch_images(article, missing, arrived))
        drawing = asyncio.ensure_future(flush())
        try:
            await fetching
        except Exception as exc:  # noqa: BLE001 - pictures never hide the article
            self.status.set(message=f"pictures not fetched: {type(exc).__name__}: {exc}")
        finally:
            await drawing

    def on_view_picture(self, message: messages.ViewPicture) -> None:
        view = self.article_view
        image = view.pictures.get(message.number)
        if image is None:
            self.status.set(message="no picture here (scroll to one; pictures that could not "
                                    "be fetched show their alt text)")
            return
        link = next((lk for lk in self.links if lk.number == message.number), None)
        caption = f"[{message.number}] {link.text if link and link.text else 'picture'}"
        native = self.library.settings.images_mode == "auto" and native_pictures()
        self.app.push_screen(PictureScreen(image, caption, native=native))


def native_pictures() -> bool:
    """textual-image was set up before the app started and found Kitty graphics or Sixel."""
    import sys

    module = sys.modules.get("textual_image.renderable")
    if module is None:
        return False
    return module.Image.__name__ == "Image" and module.Image.__module__.endswith(
        ("renderable.tgp", "renderable.sixel"))
