"""Make docs/picture.svg, the README's screenshot of an article with a picture.

Run: python scripts/readme_screenshot.py

A local feed (one article about Grace Hopper) whose picture is textual-image's sample photo
(Grace Hopper, U.S. Navy photo, public domain), served from 127.0.0.1 for the run; the app
runs headless (110x40, the article zoomed with z) with [images] mode = "halfblock" and
Textual saves the screen as SVG.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PHOTO = Path(__import__("textual_image").__file__).parent / "gracehopper.jpg"
OUT = Path(__file__).parents[1] / "docs" / "picture.svg"
ARTICLE = """<p>Grace Hopper wrote the first compiler, A-0, in 1952, and led the work that
became COBOL. She liked to hand out pieces of wire 30 centimetres long: the distance light
travels in a nanosecond.</p>
<figure><img src="http://127.0.0.1:{port}/hopper.jpg" alt="Commodore Grace M. Hopper, 1984">
<figcaption>Commodore Grace M. Hopper, USN (U.S. Navy photo by James S. Davis, public
domain)</figcaption></figure>
<p>In 1947 her team found a moth in a relay of the Harvard Mark II and taped it into the log
book: the first actual case of bug being found.</p>"""


def serve() -> ThreadingHTTPServer:
    body = PHOTO.read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


async def shoot(library: object) -> str:
    from reader.ui.app import ReaderApp

    app = ReaderApp(library)
    async with app.run_test(size=(110, 40)) as pilot:
        await pilot.pause()
        [article] = library.articles()
        app.main_screen.open_article(article)
        for _ in range(50):
            await app.workers.wait_for_complete()
            await pilot.pause(0.1)
            if app.article_view.pictures:
                break
        await pilot.press("z")  # the article alone on the screen
        await pilot.pause()
        return app.export_screenshot(title="reader")


def main() -> None:
    from reader.config import Settings
    from reader.library import Library
    from reader.locations import Paths

    server = serve()
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("CONFIG", "DATA", "CACHE"):
            os.environ[f"XDG_{name}_HOME"] = str(Path(tmp) / name.lower())
        feed = Path(tmp) / "people.xml"
        feed.write_text(
            '<?xml version="1.0"?><rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            "<title>People of computing</title><item><guid>hopper</guid>"
            "<title>Grace Hopper and the nanosecond</title>"
            "<link>https://people.example/hopper</link>"
            "<pubDate>Fri, 09 Dec 2022 09:00:00 +0000</pubDate><content:encoded><![CDATA["
            + ARTICLE.format(port=server.server_port) + "]]></content:encoded></item>"
            "</channel></rss>")
        library = Library(Paths.from_env(), Settings(images_mode="halfblock"))
        library.acquire()
        try:
            library.add_feed(str(feed))
            library.refresh_blocking()
            svg = asyncio.run(shoot(library))
        finally:
            library.release()
    server.shutdown()
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(svg)
    print(f"wrote {OUT} ({len(svg):,} bytes)")


if __name__ == "__main__":
    main()
