"""Enclosures (podcast episodes, videos, PDFs): listing them, downloading them into the media
folder, the command that plays them, and the played/downloaded marks (data/media.json).

The network rules are those of full text: http(s) only, and a feed from the internet never
reaches this computer or the local network (checked on the URL here, then on every hop and
every address by the Fetcher's guarded client)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reader.core.articles import OverArticles
from reader.errors import LibraryError
from reader.models import Article, Enclosure
from reader.storage.store import load_json_file, write_or_explain


def web_rules(url: str, feed_origin: str | None) -> tuple[bool, str]:
    """(public_only, refusal) for fetching `url` on behalf of a feed subscribed at
    `feed_origin` (None: the feed is gone; treated as from the internet). `refusal` is why the
    URL is not fetched at all ("" when it may be): not http(s), or a local address named by a
    feed from the internet."""
    from reader.fetch import is_private_url, is_trusted_source

    if not url.lower().startswith(("http://", "https://")):
        return True, "only http and https addresses are fetched"
    trusted = feed_origin is not None and is_trusted_source(feed_origin)
    if not trusted and is_private_url(url):
        return True, ("it points into this computer or the local network, which a feed from "
                      "the internet never reaches")
    return not trusted, ""


class MediaState:
    """The played and downloaded marks: data/media.json {"played": {id: when},
    "downloaded": {id: {number: path}}}. Read again when the file changed on disk (another
    reader, the CLI's `download`, wrote it); a change reads it again first and writes it whole
    (atomically), under the library's write lock."""

    def __init__(self, path: Path, on_corrupt: Callable[[Path, Path], None]) -> None:
        self._path = path
        self._on_corrupt = on_corrupt
        self._data: dict[str, dict[str, Any]] = {"played": {}, "downloaded": {}}
        self._signature: tuple[int, int, int] | None = None

    def _load(self, *, fresh: bool = False) -> dict[str, dict[str, Any]]:
        try:
            info = self._path.stat()
            signature = (info.st_ino, info.st_mtime_ns, info.st_size)
        except OSError:
            signature = (0, 0, 0)
        if fresh or signature != self._signature:
            data = load_json_file(self._path, self._on_corrupt,
                                  lambda d: all(isinstance(v, dict) for v in d.values())) or {}
            self._data = {"played": dict(data.get("played", {})),
                          "downloaded": dict(data.get("downloaded", {}))}
            self._signature = signature
        return self._data

    def _change(self, section: str, aid: str, value: Any) -> None:
        data = self._load(fresh=True)
        if section == "downloaded":
            data[section].setdefault(aid, {}).update(value)
        else:
            data[section][aid] = value
        write_or_explain(self._path, json.dumps(data, sort_keys=True).encode("utf-8"))
        self._signature = None  # read again next time (cheap; keeps one code path)

    def played(self, aid: str) -> bool:
        """The user played one of the article's enclosures."""
        return aid in self._load()["played"]

    def set_played(self, aid: str) -> None:
        self._change("played", aid, time.time())

    def downloaded(self, aid: str) -> dict[int, Path]:
        """number -> file of the article's enclosures downloaded and still on disk."""
        found = self._load()["downloaded"].get(aid)
        if not isinstance(found, dict):
            return {}
        out = {}
        for number, path in found.items():
            if str(number).isdigit() and isinstance(path, str) and Path(path).is_file():
                out[int(number)] = Path(path)
        return out

    def set_downloaded(self, aid: str, number: int, path: Path) -> None:
        self._change("downloaded", aid, {str(number): str(path)})


class Media(OverArticles):
    """Enclosures of articles: listed, downloaded, played."""

    @property
    def state(self) -> MediaState:
        """The played/downloaded marks."""
        state = getattr(self, "_state", None)
        if state is None:
            store = self._session.store
            state = self._state = MediaState(
                store.data_dir / "media.json",
                lambda path, moved: store.problems.append(
                    f"{path} was corrupt; it was moved to {moved} and left untouched"))
        return state

    def enclosures(self, article: Article) -> list[Enclosure]:
        """The files the feed attached to the article, in feed order (numbered from 1)."""
        found = self._articles.body(article).get("enclosures") or []
        return [Enclosure.from_dict(e) for e in found if isinstance(e, dict)
                and isinstance(e.get("url"), str) and e["url"]]

    def enclosure(self, article: Article, number: int | None) -> tuple[int, Enclosure]:
        """Enclosure `number` (1-based), else the first playable one, else the first;
        LibraryError when there is none."""
        files = self.enclosures(article)
        if not files:
            raise LibraryError(f"{article.id}: the article has no enclosures")
        if number is None:
            number = next((i for i, e in enumerate(files, 1) if e.is_playable), 1)
        if not 1 <= number <= len(files):
            raise LibraryError(f"{article.id}: no enclosure {number} (it has {len(files)})")
        return number, files[number - 1]

    def folder(self) -> Path:
        """[media] folder, else the Downloads folder's `reader` folder."""
        configured = self._session.settings.media_folder.strip()
        if configured:
            return Path(configured).expanduser()
        import platformdirs

        return Path(platformdirs.user_downloads_dir()) / "reader"

    def target(self, article: Article, number: int, enclosure: Enclosure,
               folder: Path | None) -> Path:
        """Where enclosure `number` is saved: its file name, in `folder` (default: the media
        folder); a name another article's file holds gets the article id before it."""
        from reader.download import file_name, part_path

        folder = folder if folder is not None else self.folder()
        name = file_name(enclosure.url, enclosure.type, f"{article.id}-{number}")
        path = folder / name
        mine = self.state.downloaded(article.id).get(number)
        if path.exists() and mine != path:  # another file has the name: ours gets the id
            own = folder / f"{article.id}-{name}"
            started, moved = part_path(path, enclosure.url), part_path(own, enclosure.url)
            if started.is_file() and not moved.exists():  # begun before the name was taken
                os.replace(started, moved)
            path = own
        return path

    async def download(self, article: Article, number: int | None = None,
                       folder: Path | None = None,
                       on_progress: Callable[[Any], None] | None = None) -> Path:
        """Download an enclosure (resuming an interrupted download); the file's path.
        DownloadError or LibraryError (one line) when it does not finish."""
        from reader.download import DownloadError, download

        number, enclosure = self.enclosure(article, number)
        path = self.target(article, number, enclosure, folder)
        if path.is_file() and self.state.downloaded(article.id).get(number) == path:
            return path
        if self._session.offline:
            raise DownloadError("offline: nothing is downloaded (--offline or offline = true)")
        feed = self._subscriptions.feed_of(article.feed_key)
        public_only, refusal = web_rules(enclosure.url, feed.origin_url if feed else None)
        if refusal:
            raise DownloadError(f"not downloaded: {refusal}")
        settings = self._session.settings
        async with self._session.fetcher(1) as fetcher:
            await download(fetcher.client, enclosure.url, path, public_only=public_only,
                           on_progress=on_progress, stall_seconds=settings.read_timeout or 30,
                           connect_seconds=settings.connect_timeout or 10)
        await self._session.write(self.state.set_downloaded, article.id, number, path)
        return path

    def player_argv(self, article: Article, number: int | None = None) -> list[str]:
        """The [media] player command for an enclosure, built as [commands] ones are
        (reader.core.commands.build_argv: split once, each value inside its one argument, no
        shell): `{url}` is the downloaded file when there is one, else the enclosure's URL
        (http(s) only), added as the last argument when the template does not name it.
        LibraryError when it cannot be played."""
        from reader.core.commands import article_values, build_argv

        number, enclosure = self.enclosure(article, number)
        local = self.state.downloaded(article.id).get(number)
        url = str(local) if local is not None else enclosure.url
        if local is None:
            feed = self._subscriptions.feed_of(article.feed_key)
            refusal = web_rules(url, feed.origin_url if feed else None)[1]
            if refusal:
                raise LibraryError(f"not played: {refusal}")
        template = self._session.settings.media_player
        try:
            argv = build_argv(template, {**article_values(article), "url": url})
        except ValueError as exc:
            raise LibraryError(f"[media] player: {exc}") from None
        if "{url}" not in template:
            argv.append(url)
        return argv
