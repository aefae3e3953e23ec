"""The main screen's enclosures: the lines under an article, playing one with the [media]
player, downloading one in the background with a progress bar. Mixed into MainScreen
(reader.ui.screens.main), whose panes, library and `save` it uses."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from textual import work
from textual.app import SuspendNotSupported

from reader.errors import ReaderError
from reader.models import Article
from reader.ui import messages

BAR_WIDTH = 20


def progress_bar(done: int, total: int) -> str:
    """`▕██████░░░░▏ 45% 12.3/27.0 MB`, or `12.3 MB` when the size is unknown."""
    if not total:
        return f"{done / 1e6:.1f} MB"
    share = min(done / total, 1.0)
    filled = round(share * BAR_WIDTH)
    return (f"▕{'█' * filled}{'░' * (BAR_WIDTH - filled)}▏ {share:4.0%} "
            f"{done / 1e6:.1f}/{total / 1e6:.1f} MB")


def enclosure_lines(files: list[Any], played: bool, downloaded: dict[int, Path]
                    ) -> list[tuple[str, str]]:
    """The footer of an article with enclosures: one line each, with its marks."""
    if not files:
        return []
    lines = [("Enclosures", "P plays, e downloads" + (" (played)" if played else ""))]
    for number, enclosure in enumerate(files, 1):
        where = f"  → {downloaded[number]}" if number in downloaded else ""
        lines.append((f"{number}.", f"{enclosure.summary or 'file'}  {enclosure.url}"
                      + (" [downloaded]" if number in downloaded else "") + where))
    return lines


class MediaActions:
    """Enclosures of articles, for the main screen."""

    downloading: set[str]

    def enclosure_footer(self, article: Article) -> list[tuple[str, str]]:
        """The lines under `article` listing its enclosures (read from the library)."""
        files = self.library.enclosures(article)
        if not files:
            return []
        played, downloaded = self.library.media_marks(article)
        return enclosure_lines(files, played, downloaded)

    def media_row_marks(self, articles: list[Article]) -> dict[str, str]:
        """Marks for the article list: ▶ played, ⤓ downloaded (the Podcasts view)."""
        marks = {}
        for article in articles:
            played, downloaded = self.library.media_marks(article)
            mark = ("▶" if played else "") + ("⤓" if downloaded else "")
            if mark:
                marks[article.id] = mark
        return marks

    def _remark(self, article: Article) -> None:
        """Redraw the article's row mark (Podcasts view) and its enclosure lines."""
        if self.view.kind == "podcasts":
            self.article_list.marks.update(self.media_row_marks([article]))
            self.article_list.update_article(article)
        self._redraw_enclosures(article)

    def _media_article(self) -> Article | None:
        article = self._target_article()
        if article is None:
            self.status.set(message="choose an article first")
        return article

    def _redraw_enclosures(self, article: Article) -> None:
        if self.reading is not None and self.reading.id == article.id \
                and self.article_view.article_id == article.id:
            self.article_view.set_footer(self.enclosure_footer(article))

    async def on_play_enclosure(self, _: messages.PlayEnclosure | None = None) -> None:
        """Run the [media] player on the episode (its file once downloaded); no shell."""
        article = self._media_article()
        if article is None:
            return
        try:
            argv = await self.library.read(self.library.player_argv, article)
        except ReaderError as exc:
            self.status.set(message=str(exc))
            return
        if shutil.which(argv[0]) is None:
            self.status.set(message=f"the player {argv[0]!r} is not installed; install it or "
                                    "set [media] player in config.toml")
            return
        try:
            with self.app.suspend():  # a terminal player (mpv --no-video) needs the terminal
                subprocess.run(argv, check=False)
        except SuspendNotSupported:  # no terminal to hand over: it plays on its own
            subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
        except OSError as exc:
            self.status.set(message=f"could not start {argv[0]}: {exc.strerror or exc}")
            return
        if not await self.save("could not mark it played", self.library.mark_played, article):
            self.status.set(message=f"played: {article.title}")
            self._remark(article)

    def on_download_enclosure(self, _: messages.DownloadEnclosure | None = None) -> None:
        """Download the episode into the [media] folder, in the background."""
        article = self._media_article()
        if article is None:
            return
        if article.id in self.downloading:
            self.status.set(message="already downloading this one")
            return
        self.downloading.add(article.id)
        self.status.set(message=f"downloading {article.title} …")
        self._download(article)

    @work(thread=True, group="download")
    def _download(self, article: Article) -> None:
        """The download, in a thread with its own event loop (disk writes stay off the app's);
        progress and the outcome come back with call_from_thread. Quitting the app cancels
        the worker: the download stops at its next chunk, its .part kept for next time."""
        from textual.worker import get_current_worker

        from reader.download import DownloadError

        worker = get_current_worker()
        last = [0.0]
        name = article.title[:40] or article.id

        def progress(state: Any) -> None:
            if worker.is_cancelled:
                raise DownloadError("stopped: the app is closing (it resumes next time)")
            now = time.monotonic()
            if now - last[0] >= 0.2 or (state.total and state.done >= state.total):
                last[0] = now
                self.app.call_from_thread(
                    self.status.set, message=f"downloading {name} "
                                             f"{progress_bar(state.done, state.total)}")

        try:
            path = asyncio.run(self.library.download(article, None, None, progress))
        except ReaderError as exc:
            outcome: tuple[Path | None, str] = (None, str(exc))
        except Exception as exc:  # noqa: BLE001 - a bug says itself, the app goes on
            outcome = (None, f"internal error: {type(exc).__name__}: {exc}")
        else:
            outcome = (path, "")
        if not worker.is_cancelled:
            self.app.call_from_thread(self._downloaded, article, *outcome)

    def _downloaded(self, article: Article, path: Path | None, error: str) -> None:
        self.downloading.discard(article.id)
        if path is None:
            self.status.set(message=f"{article.title[:40]}: {error}")
            return
        self.status.set(message=f"downloaded {path}")
        self._remark(article)
