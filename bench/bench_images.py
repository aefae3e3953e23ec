"""Scrolling an article with 20 pictures against the same article without (issue 18).

Run: python bench/bench_images.py [--pictures 20 --pages 40] [--scale 50000]

Headless (App.run_test, 120x40). One local feed holds two articles with the same text of
about 60 paragraphs: one with `--pictures` pictures among the paragraphs, one without. The
pictures (800x600 JPEG of random noise: every cell a different colour, the worst case for
half-blocks) are served from a server on 127.0.0.1 and drawn inline in half-blocks. For each
article the bench opens it, waits until every picture is drawn, then pages down `--pages`
times (space), timing each key press until the screen is painted again, and reports the
median and the 95th percentile per page. It also times laying the article out again at a new
width (a terminal resize), and reports the peak RSS. `--scale N` first fills the library
with N other articles (bench_tui's builder, in a child process) and opens an article with 40
pictures in the app listing them all: the peak RSS against the app's 300 MB bound.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import resource
import statistics
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from reader.config import Settings
from reader.library import Library
from reader.locations import Paths

PARAGRAPH = ("<p>Officials said on Tuesday that the new schedule would take effect next month, "
             "after a review of earlier plans and consultations with residents; critics called "
             "it overdue and asked for the figures behind it, which the council promised.</p>")


def noise_jpeg(width: int = 800, height: int = 600) -> bytes:
    from PIL import Image

    rng = random.Random(7)
    image = Image.frombytes("RGB", (width, height),
                            bytes(rng.getrandbits(8) for _ in range(width * height * 3)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def serve(body: bytes) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def feed(port: int, pictures: int) -> bytes:
    def body(with_pictures: bool) -> str:
        parts = []
        for n in range(max(60, pictures * 3)):
            parts.append(PARAGRAPH)
            if with_pictures and n % 3 == 1 and n // 3 < pictures:
                parts.append(f'<p><img src="http://127.0.0.1:{port}/p{n}.jpg" '
                             f'alt="Picture {n // 3 + 1}"></p>')
        return "".join(parts)

    items = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title>"
        f"<pubDate>Mon, 0{day} Jan 2024 10:00:00 +0000</pubDate>"
        f"<content:encoded><![CDATA[{body(guid == 'with')}]]></content:encoded></item>"
        for guid, title, day in (("with", "With pictures", 2), ("without", "Without", 1)))
    return ('<?xml version="1.0"?><rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            f"<title>Pictures</title>{items}</channel></rss>").encode()


async def measure(library: Library, title: str, pages: int) -> dict[str, float | int]:
    from reader.ui.app import ReaderApp
    from reader.ui.pictures import PictureLine

    app = ReaderApp(library)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        [article] = [a for a in library.articles() if a.title == title]
        started = time.perf_counter()
        app.main_screen.open_article(article)
        view = app.article_view
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            await app.workers.wait_for_complete()
            await pilot.pause()
            drawn = {line.number for line in view._lines if isinstance(line, PictureLine)}
            if view.article_id == article.id and len(drawn) == len(view.picture_numbers):
                break
        opened = time.perf_counter() - started
        times, paints = [], []
        for _ in range(pages):
            if view.scroll_y >= view.max_scroll_y:
                view.scroll_to(y=0, animate=False)  # back to the top: every press scrolls
                await pilot.pause()
            t = time.perf_counter()
            await pilot.press("space")
            await pilot.pause()
            times.append(time.perf_counter() - t)
            view._cache.clear()  # the lines of the new page, drawn from nothing
            t = time.perf_counter()
            for y in range(view.size.height):
                view.render_line(y)
            paints.append(time.perf_counter() - t)
        t = time.perf_counter()
        view._relayout(force=True)
        view._width -= 1
        view._relayout()
        await pilot.pause()
        relayout = time.perf_counter() - t
        times.sort()
        return {"lines": len(view._lines), "pictures": len(drawn),
                "open_and_draw_s": round(opened, 3),
                "page_median_ms": round(statistics.median(times) * 1000, 2),
                "page_p95_ms": round(times[int(len(times) * 0.95) - 1] * 1000, 2),
                "paint_page_median_ms": round(statistics.median(paints) * 1000, 2),
                "relayout_ms": round(relayout * 1000, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pictures", type=int, default=20)
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--scale", type=int, default=0,
                        help="first fill the library with this many articles (e.g. 50000)")
    args = parser.parse_args()
    if args.scale:
        args.pictures = 40
    server = serve(noise_jpeg())
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("CONFIG", "DATA", "CACHE"):
            os.environ[f"XDG_{name}_HOME"] = str(Path(tmp) / name.lower())
        if args.scale:  # built in a child process: the peak measured is the app's alone
            import multiprocessing

            from bench_tui import build

            child = multiprocessing.get_context("spawn").Process(
                target=build, args=(Paths.from_env(), 200, args.scale // 200))
            child.start()
            child.join()
            if child.exitcode:
                raise SystemExit(f"building the library failed (exit {child.exitcode})")
        path = Path(tmp) / "pictures.xml"
        path.write_bytes(feed(server.server_port, args.pictures))
        library = Library(Paths.from_env(), Settings(images_mode="halfblock"))
        library.acquire()
        try:
            library.add_feed(str(path))
            library.refresh_blocking()
            results: dict[str, object] = {"articles": len(library.articles())}
            asyncio.run(measure(library, "Without", 5))  # warm-up: imports, caches
            for title in ("Without", "With pictures"):
                results[title] = asyncio.run(measure(library, title, args.pages))
                results[title]["peak_rss_mb_so_far"] = round(
                    resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        finally:
            library.release()
    server.shutdown()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
