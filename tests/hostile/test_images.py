"""Hostile pictures (issue 18): huge dimensions, truncated, not a picture, a redirect into the
local network from a feed from the internet, 10,000 pictures in one article. Each shows as its
alt text; nothing hides the article; nothing reaches where it must not."""

from __future__ import annotations

import io
import struct
import time
import zlib
from pathlib import Path

import httpx
import pytest
from PIL import Image

from reader.config import Settings
from reader.core.images import STORED_SIDE, ImageRejected, normalise, open_picture
from reader.library import Library
from reader.locations import Paths
from tests.conftest import FeedServer, Route


def png_claiming(width: int, height: int) -> bytes:
    """A valid PNG header (right CRCs) that claims `width` x `height` pixels, with a few
    bytes of compressed data: a decompression bomb as small as they come."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + \
            struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b""))


def picture(width: int, height: int, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, fmt)
    return out.getvalue()


@pytest.mark.parametrize(("data", "why"), [
    (png_claiming(50_000, 50_000), "too many pixels"),
    (png_claiming(200_000, 300), "too many pixels"),
    (picture(300, 200)[:400], "not a picture that can be shown"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not a picture that can be shown"),
    (b"", "not a picture that can be shown"),
    (picture(1, 1, "GIF"), "a tracking pixel"),
])
def test_hostile_bytes_are_rejected_with_a_reason(data: bytes, why: str) -> None:
    started = time.perf_counter()
    with pytest.raises(ImageRejected) as caught:
        normalise(data)
    assert why in str(caught.value)
    assert time.perf_counter() - started < 2  # refused before the pixels are decoded


def test_a_good_picture_is_stored_re_encoded_and_scaled_down(tmp_path: Path) -> None:
    png = normalise(picture(4000, 1000, "JPEG"))
    path = tmp_path / "p.png"
    path.write_bytes(png)
    image = open_picture(path)
    assert image is not None and image.format == "PNG"
    assert image.size == (STORED_SIDE, STORED_SIDE // 4)
    path.write_bytes(picture(3000, 20))  # something else put in the cache: not shown
    assert open_picture(path) is None


def _feed_with_pictures(urls: list[str]) -> bytes:
    body = "".join(f'<p><img src="{u}" alt="picture {n}"></p>' for n, u in enumerate(urls))
    return (b'<?xml version="1.0"?><rss version="2.0" '
            b'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            b"<title>Pics</title><item><guid>p1</guid><title>Pictures</title>"
            b"<link>https://pics.example/p1</link><content:encoded><![CDATA["
            + body.encode() + b"<p>The words of the article.</p>]]></content:encoded>"
            b"</item></channel></rss>")


@pytest.mark.parametrize("how", ["link", "redirect"])
def test_a_feed_from_the_internet_cannot_fetch_pictures_from_the_local_network(
        paths: Paths, server: FeedServer, how: str) -> None:
    server.routes["/secret.png"] = Route(picture(64, 64), headers={"Content-Type": "image/png"})
    local = server.url("/secret.png")
    url = local if how == "link" else "https://cdn.example/pic.png"

    def public(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/feed":
            return httpx.Response(200, stream=httpx.ByteStream(_feed_with_pictures([url])),
                                  headers={"Content-Type": "application/rss+xml"})
        return httpx.Response(302, headers={"Location": local})

    lib = Library(paths, Settings(), transport=httpx.MockTransport(public))
    lib.acquire()
    try:
        lib.add_feed("https://pics.example/feed")
        lib.refresh_blocking()
        [article] = lib.articles()
        refs = lib.image_refs(lib.text(article).links)
        assert [r.url for r in refs] == [url]
        import asyncio

        results = asyncio.run(lib.fetch_images(article, refs))
    finally:
        lib.release()
    assert "this computer or the local network" in str(results[refs[0].number])
    assert not server.hits_for("/secret.png")


def test_ten_thousand_pictures_in_one_article(paths: Paths, server: FeedServer,
                                              tmp_path: Path) -> None:
    """Only [images] max_per_article are fetched; the article's text converts and reads."""
    server.routes["/p.png"] = Route(picture(40, 30), headers={"Content-Type": "image/png"})
    urls = [server.url(f"/p.png?n={n}") for n in range(10_000)]
    for n in range(12):
        server.routes[f"/p.png?n={n}"] = server.routes["/p.png"]
    feed = tmp_path / "many.xml"
    feed.write_bytes(_feed_with_pictures(urls))
    lib = Library(paths, Settings(images_max_per_article=12))
    lib.acquire()
    try:
        lib.add_feed(str(feed))
        lib.refresh_blocking()
        [article] = lib.articles()
        started = time.perf_counter()
        text = lib.text(article)
        refs = lib.image_refs(text.links)
        assert len(refs) == 12 and "The words of the article." in text.markdown
        import asyncio

        results = asyncio.run(lib.fetch_images(article, refs))
        elapsed = time.perf_counter() - started
    finally:
        lib.release()
    assert all(isinstance(v, Path) for v in results.values()) and len(results) == 12
    assert len(server.hits) == 12
    assert elapsed < 30


def test_pictures_are_counted_and_go_with_their_article_unless_kept(
        paths: Paths, server: FeedServer, tmp_path: Path) -> None:
    import asyncio

    server.routes["/a.png"] = Route(picture(50, 40), headers={"Content-Type": "image/png"})
    feed = tmp_path / "pics.xml"
    feed.write_bytes(_feed_with_pictures([server.url("/a.png")]))
    lib = Library(paths, Settings())
    lib.acquire()
    try:
        lib.add_feed(str(feed))
        lib.refresh_blocking()
        [article] = lib.articles()
        refs = lib.image_refs(lib.text(article).links)
        asyncio.run(lib.fetch_images(article, refs))
        info = lib.cache_info()
        assert info["images"] > 0 and info["feeds"][0]["image_bytes"] == info["images"]
        folder = lib.store.cache_dir / "images" / article.id
        lib.set_bookmark(article, True)
        lib.remove_feed(str(feed))
        lib.cleanup()
        assert list(folder.glob("*.png"))  # bookmarked: kept
        lib.set_bookmark(article, False)
        report = lib.cleanup()
        assert report["files"] >= 1 and not folder.exists()
        # A feed removed while its article is not kept: its pictures go with it at once.
        lib.add_feed(str(feed))
        lib.refresh_blocking()
        [article] = lib.articles()
        folder = lib.store.cache_dir / "images" / article.id  # a new feed key: a new id
        asyncio.run(lib.fetch_images(article, refs))
        assert list(folder.glob("*.png"))
        lib.remove_feed(str(feed))
        assert not folder.exists()
    finally:
        lib.release()


def test_a_sideways_photo_is_stored_upright(tmp_path: Path) -> None:
    image = Image.new("RGB", (60, 20), (0, 0, 255))
    exif = image.getexif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees to view
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    path = tmp_path / "p.png"
    path.write_bytes(normalise(out.getvalue()))
    assert open_picture(path).size == (20, 60)
