"""Pictures of articles: which to fetch, fetching and checking them, and their cache.

An article's pictures are its numbered image links (reader.content.convert), at most
[images] max_per_article of them. Each is fetched by the same rules as full text (http(s) only;
a feed from the internet never reaches this computer or the local network, every hop and
address checked by the Fetcher's guarded client), capped at [images] max_mb after
decompression, then decoded by Pillow with an explicit pixel cap (decompression bombs) and
stored re-encoded as a PNG of at most STORED_SIDE pixels a side: what is shown later is never
the bytes a server sent. A picture that fails (broken, hostile, too large, refused) is
remembered as failed, and the article shows its alt text.

Files: cache/images/<article id>/<hash of the URL>.png, and failed.json beside them. They go
with the article: `cleanup` removes the folders of articles the cache no longer holds unless
the article is bookmarked or annotated."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reader.core.articles import OverArticles
from reader.core.media import web_rules
from reader.models import Article
from reader.storage.store import atomic_write_bytes, load_json_file
from reader.textutil import one_line

MAX_PIXELS = 40_000_000
"""Pillow's decompression-bomb cap, set for every decode: a picture of more pixels than this
is refused before its pixels are decoded (a 20,000 x 20,000 PNG is a few KB)."""
STORED_SIDE = 1600
"""Pictures are stored scaled down to at most this many pixels a side."""
TRACKING_SIDE = 4
"""A picture this narrow or low is a tracking pixel or a spacer: not shown."""


class ImageRejected(ValueError):
    """A picture that is not shown; the message says why (one line)."""


@dataclass(frozen=True)
class ImageRef:
    """One picture of an article, as the text numbers it."""

    number: int
    """Its link number in the article's text ([image: alt][number])."""
    url: str
    alt: str


def url_key(url: str) -> str:
    """The file name stem of a picture's URL."""
    return hashlib.sha1(url.encode("utf-8", "surrogatepass")).hexdigest()[:20]


def normalise(data: bytes, max_pixels: int = MAX_PIXELS) -> bytes:
    """A picture's bytes checked and re-encoded as PNG (RGB or RGBA, at most STORED_SIDE a
    side, the first frame of an animation); ImageRejected when it is not a picture Pillow
    reads, is truncated, has more than `max_pixels` pixels, or is a tracking pixel."""
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = max_pixels  # set explicitly: never the library's default
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise ImageRejected(f"too many pixels ({width} x {height})")
                if width <= TRACKING_SIDE or height <= TRACKING_SIDE:
                    raise ImageRejected(f"a tracking pixel or spacer ({width} x {height})")
                image.seek(0)
                image.load()
                upright = ImageOps.exif_transpose(image)  # a phone photo taken sideways
                picture = upright.convert("RGBA" if _has_alpha(upright) else "RGB")
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(f"too many pixels ({one_line(str(exc))[:80]})") from None
    except Exception as exc:  # noqa: BLE001 - Pillow raises many kinds for bad data
        raise ImageRejected(f"not a picture that can be shown ({type(exc).__name__}: "
                            f"{one_line(str(exc))[:80]})") from None
    picture.thumbnail((STORED_SIDE, STORED_SIDE))
    out = io.BytesIO()
    picture.save(out, "PNG", optimize=False, compress_level=3)
    return out.getvalue()


def _has_alpha(image: Any) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P"
                                                  and "transparency" in image.info)


def open_picture(path: Path, max_side: int = STORED_SIDE) -> Any:
    """A stored picture as a loaded PIL image at most `max_side` pixels a side, or None when
    it cannot be read. The cache is checked as any input: a file put there by something else,
    larger than the reader stores or not a picture, is not shown."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
            if max(image.size) > STORED_SIDE or image.format != "PNG":
                image.close()
                return None
            image.load()
            if max(image.size) > max_side:
                image.thumbnail((max_side, max_side))
            return image
    except Exception:  # noqa: BLE001 - unreadable: the alt text is shown
        return None


class Images(OverArticles):
    """The pictures of articles: found in the text, fetched, checked, cached."""

    def folder(self, article_id: str) -> Path:
        """Where an article's pictures are kept."""
        return self._session.store.cache_dir / "images" / article_id

    def refs(self, links: Iterable[Any]) -> list[ImageRef]:
        """The article's pictures to show: its http(s) image links, at most
        [images] max_per_article of them, in reading order."""
        cap = self._session.settings.images_max_per_article
        out: list[ImageRef] = []
        for link in links:
            if getattr(link, "kind", "") != "image":
                continue
            url = str(link.url)
            if url.lower().startswith(("http://", "https://")):
                out.append(ImageRef(int(link.number), url, str(link.text or "")))
                if len(out) >= cap:
                    break
        return out

    def cached(self, article: Article, refs: Iterable[ImageRef]) -> dict[int, Path]:
        """number -> stored file, of the pictures already here."""
        folder = self.folder(article.id)
        out = {}
        for ref in refs:
            path = folder / f"{url_key(ref.url)}.png"
            if path.is_file():
                out[ref.number] = path
        return out

    def failures(self, article: Article) -> dict[str, str]:
        """URL key -> why the picture was not kept (failed.json)."""
        data = load_json_file(self.folder(article.id) / "failed.json") or {}
        return {k: str(v.get("error", "")) for k, v in data.items() if isinstance(v, dict)}

    def missing(self, article: Article, refs: Iterable[ImageRef], *, retry: bool = False
                ) -> list[ImageRef]:
        """The pictures not here yet (nor failed before, unless `retry`)."""
        refs = list(refs)
        have = self.cached(article, refs)
        failed = {} if retry else self.failures(article)
        return [r for r in refs if r.number not in have and url_key(r.url) not in failed]

    async def fetch(self, article: Article, refs: list[ImageRef],
                    on_each: Callable[[ImageRef, Path | None, str], None] | None = None
                    ) -> dict[int, Path | str]:
        """Fetch, check and store pictures (four at a time); number -> file, or why not.
        Offline, nothing is fetched."""
        if self._session.offline or not refs:
            return {}
        from reader.fetch import Fetcher

        s = self._session.settings
        feed = self._subscriptions.feed_of(article.feed_key)
        origin = feed.origin_url if feed is not None else None
        results: dict[int, Path | str] = {}
        failed: dict[str, dict[str, Any]] = {}
        folder = self.folder(article.id)
        async with Fetcher(concurrency=4, connect_timeout=s.connect_timeout,
                           read_timeout=s.read_timeout, feed_timeout=s.feed_timeout,
                           max_bytes=int(s.images_max_mb * 1024 * 1024),
                           transport=self._session.transport) as fetcher:

            async def one(ref: ImageRef) -> None:
                public_only, refusal = web_rules(ref.url, origin)
                path: Path | None = None
                if refusal:
                    error = refusal
                else:
                    got = await fetcher.fetch_page(ref.url, public_only=public_only)
                    error = got.error if got.status == "error" else ""
                    if not error:
                        try:
                            path = await asyncio.to_thread(self._store, folder, ref, got.body)
                        except ImageRejected as exc:
                            error = str(exc)
                        except OSError as exc:
                            error = f"cannot save: {exc.strerror or exc}"
                results[ref.number] = path if path is not None else error
                if path is None:
                    failed[url_key(ref.url)] = {"url": ref.url, "error": one_line(error),
                                                "at": time.time()}
                if on_each is not None:
                    on_each(ref, path, error)

            await asyncio.gather(*(one(ref) for ref in refs))
        if failed:
            try:
                await asyncio.to_thread(self._remember_failures, folder, failed)
            except OSError:
                pass  # only a note to skip them next time
        return results

    @staticmethod
    def _store(folder: Path, ref: ImageRef, data: bytes) -> Path:
        png = normalise(data)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{url_key(ref.url)}.png"
        atomic_write_bytes(path, png, durable=False)
        return path

    @staticmethod
    def _remember_failures(folder: Path, failed: dict[str, dict[str, Any]]) -> None:
        known = load_json_file(folder / "failed.json") or {}
        known.update(failed)
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(folder / "failed.json", json.dumps(known).encode(), durable=False)
