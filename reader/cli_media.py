"""The media commands: `reader enclosures ID [--json]` and `reader download ID [N] [--to DIR]`.

Hooked into reader.cli (its parser and command table); the progress bar goes to stderr, and
only when stderr is a terminal."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from reader.cli_output import print_json, visible
from reader.library import Library

MEDIA_WRITERS = {"download"}
"""Commands that take the lock (a download records itself as downloaded)."""


def add_media_parsers(sub: Any) -> None:
    """The media commands' parsers, on the CLI's subparsers."""
    p = sub.add_parser("enclosures", help="list an article's enclosures (podcast episodes, "
                                          "videos, files) with their numbers")
    p.add_argument("id", help="article id (or a unique prefix)")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("download", help="download an article's enclosure (resumes an "
                                        "interrupted download)")
    p.add_argument("id", help="article id (or a unique prefix)")
    p.add_argument("number", nargs="?", type=int, metavar="N",
                   help="which enclosure (see `reader enclosures`; default: the first audio "
                        "or video)")
    p.add_argument("--to", metavar="DIR", help="the folder to save into (default: [media] "
                                               "folder, else ~/Downloads/reader)")


def cmd_enclosures(args: argparse.Namespace, library: Library) -> int:
    article = library.article(args.id)
    files = library.enclosures(article)
    played, downloaded = library.media_marks(article)
    if args.json:
        print_json([{"number": n, "url": e.url, "type": e.type, "length": e.length,
                     "duration": e.duration,
                     "downloaded": str(downloaded[n]) if n in downloaded else None,
                     "played": played}
                    for n, e in enumerate(files, 1)])
        return 0
    if not files:
        print("the article has no enclosures")
    for number, enclosure in enumerate(files, 1):
        marks = "".join((" [downloaded]" if number in downloaded else "",
                         " [played]" if played else ""))
        print(visible(f"{number}  {enclosure.summary or 'file'}{marks}  {enclosure.url}"))
    return 0


class _Bar:
    """A one-line progress bar on stderr, redrawn at most ten times a second."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._last = 0.0
        self._started = time.monotonic()
        self._shown = False

    def __call__(self, progress: Any) -> None:
        now = time.monotonic()
        complete = progress.total and progress.done >= progress.total
        if now - self._last < 0.1 and not complete:
            return
        self._last = now
        rate = (progress.done - progress.resumed_from) / max(now - self._started, 1e-3)
        mb = progress.done / 1e6
        if progress.total:
            share = min(progress.done / progress.total, 1.0)
            filled = int(share * 30)
            line = (f"[{'#' * filled}{'.' * (30 - filled)}] {share:4.0%} "
                    f"{mb:.1f}/{progress.total / 1e6:.1f} MB")
        else:
            line = f"{mb:.1f} MB"
        line += f" {rate / 1e6:.1f} MB/s  {self.name[:40]}"
        sys.stderr.write("\r" + line + "\x1b[K")
        sys.stderr.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            sys.stderr.write("\n")
            sys.stderr.flush()


def cmd_download(args: argparse.Namespace, library: Library) -> int:
    article = library.article(args.id)
    folder = Path(args.to).expanduser() if args.to else None
    bar = _Bar(article.title or article.id) if sys.stderr.isatty() else None
    try:
        path = library.download_blocking(article, args.number, folder, bar)
    finally:
        if bar is not None:
            bar.close()
    print(visible(str(path)))
    return 0


def offline_pictures(library: Library, quiet: bool) -> tuple[int, int]:
    """sync-offline with [images] offline = true: fetch the missing pictures of unread,
    bookmarked and annotated articles, newest first, at most [full_text] max_per_feed
    articles a feed; prints one summary line (unless `quiet`). Returns (fetched, failed)."""
    import asyncio
    from collections import Counter

    if library.settings.images_mode == "off":
        return 0, 0
    room = library.settings.full_text_max_per_feed or 10**9
    taken: Counter[str] = Counter()
    wanted = {a.id: a for a in library.articles(unread=True)}
    wanted.update({a.id: a for a in library.articles(bookmarked=True)})
    wanted.update({a.id: a for a in library.articles(annotated=True)})
    work = []
    for article in sorted(wanted.values(), key=lambda a: a.date, reverse=True):
        if taken[article.feed_key] >= room:
            continue
        taken[article.feed_key] += 1
        refs = library.image_refs(library.text(article, defer_save=True).links)
        missing = library.missing_images(article, refs)
        if missing:
            work.append((article, missing))
    show = sys.stderr.isatty() and not quiet
    counts = Counter()

    async def fetch_all() -> None:
        for n, (article, refs) in enumerate(work, 1):
            if show:
                sys.stderr.write(f"\r\x1b[Kpictures {n}/{len(work)}")
                sys.stderr.flush()
            results = await library.fetch_images(article, refs)
            counts.update("ok" if isinstance(v, Path) else "failed" for v in results.values())

    if work:
        asyncio.run(fetch_all())
    if show:
        sys.stderr.write("\r\x1b[K")
    library.save_conversions()
    if not quiet and work:
        print(f"pictures: {counts['ok']} fetched, {counts['failed']} failed")
    return counts["ok"], counts["failed"]


MEDIA_COMMANDS = {"enclosures": cmd_enclosures, "download": cmd_download}
