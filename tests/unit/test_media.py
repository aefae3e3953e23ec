"""Podcasts and other enclosures (issue 18): listing, downloading with resume, playing.

The real-world feed is Welcome to Night Vale (PRX), vendored with feed-rs's fixtures under
tests/corpus/realworld/feed-rs (MIT, see its LICENSE); its episode URL is pointed at a server on
127.0.0.1 that serves episode bytes with HTTP Range support, and can drop the connection."""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from reader.cli import main
from reader.config import Settings
from reader.download import DownloadError, file_name, part_path
from reader.library import Library
from reader.locations import Paths
from reader.models import View

NIGHTVALE = (Path(__file__).parents[1] / "corpus" / "realworld" / "feed-rs" / "rss2"
             / "rss_2.0_nightvale.xml")
EPISODE_URL = ("https://www.podtrac.com/pts/redirect.mp3/dovetail.prxu.org/_/126/"
               "c6d43512-3eb0-41bc-9092-393412cae641/nv221_intro.mp3")
EPISODE = os.urandom(3 * 1024 * 1024 + 123)


class EpisodeServer:
    """127.0.0.1: /feed (Night Vale, its episode pointed here) and /nv221_intro.mp3 with Range
    support. `drop_after`: the next response stops after this many body bytes and closes the
    connection; `trickle`: seconds to sleep between 64 KiB chunks."""

    def __init__(self) -> None:
        self.drop_after: int | None = None
        self.trickle = 0.0
        self.ranges: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/feed":
                    body = NIGHTVALE.read_bytes().replace(
                        EPISODE_URL.encode(), server.url("/nv221_intro.mp3").encode())
                    self._head(200, len(body), {"Content-Type": "application/rss+xml"})
                    self.wfile.write(body)
                    return
                wanted = self.headers.get("Range", "")
                server.ranges.append(wanted)
                start = int(re.match(r"bytes=(\d+)-", wanted).group(1)) if wanted else 0
                body = EPISODE[start:]
                if start:
                    self._head(206, len(body), {"Content-Range":
                                                f"bytes {start}-{len(EPISODE) - 1}/{len(EPISODE)}"})
                else:
                    self._head(200, len(body), {})
                drop, server.drop_after = server.drop_after, None
                try:
                    for at in range(0, len(body), 65536):
                        chunk = body[at:at + 65536]
                        if drop is not None and at + len(chunk) > drop:
                            self.wfile.write(chunk[:max(drop - at, 0)])
                            self.wfile.flush()
                            self.close_connection = True
                            return
                        self.wfile.write(chunk)
                        if server.trickle:
                            self.wfile.flush()
                            time.sleep(server.trickle)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _head(self, status: int, length: int, headers: dict[str, str]) -> None:
                self.send_response(status)
                headers.setdefault("Content-Type", "audio/mpeg")
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(length))
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda request, client_address: None
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}{path}"


@pytest.fixture
def episodes() -> Iterator[EpisodeServer]:
    server = EpisodeServer()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def part_of(folder: Path, episodes: EpisodeServer) -> Path:
    """Where the episode's bytes collect until complete (NAME.<hash of the URL>.part)."""
    return part_path(folder / "nv221_intro.mp3", episodes.url("/nv221_intro.mp3"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def subscribed(capsys: pytest.CaptureFixture[str], episodes: EpisodeServer) -> str:
    """Subscribe to the Night Vale feed and refresh; the episode's article id."""
    assert run(capsys, "add", episodes.url("/feed"))[0] == 0
    code, _, err = run(capsys, "refresh", "--no-full-text")
    assert code == 0, err
    [article] = json.loads(run(capsys, "articles", "--json")[1])
    return article["id"]


def test_the_real_podcast_feed_lists_its_episode_with_size_and_duration(
        paths: Paths, episodes: EpisodeServer, capsys: pytest.CaptureFixture[str]) -> None:
    aid = subscribed(capsys, episodes)
    code, out, _ = run(capsys, "enclosures", aid, "--json")
    assert code == 0
    assert json.loads(out) == [{"number": 1, "url": episodes.url("/nv221_intro.mp3"),
                                "type": "audio/mpeg", "length": 38749539, "duration": "26:53",
                                "downloaded": None, "played": False}]
    code, out, _ = run(capsys, "enclosures", aid)
    assert out.startswith("1  audio/mpeg, 38.7 MB, 26:53  http://127.0.0.1:")
    lib = Library(paths, Settings())
    assert [a.id for a in lib.view_articles(View("podcasts"))] == [aid]


def test_a_download_cut_short_resumes_with_a_range_request_and_never_sits_under_its_name(
        paths: Paths, episodes: EpisodeServer, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    aid = subscribed(capsys, episodes)
    folder = tmp_path / "episodes"
    episodes.drop_after = 1_000_000  # the server hangs up a third of the way
    code, out, err = run(capsys, "download", aid, "--to", str(folder))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "run the download again to resume" in err, err
    final, part = folder / "nv221_intro.mp3", part_of(folder, episodes)
    assert not final.exists() and part.stat().st_size == 1_000_000
    code, out, err = run(capsys, "download", aid, "--to", str(folder))
    assert code == 0, err
    assert out.strip() == str(final)
    assert episodes.ranges == ["", "bytes=1000000-"]
    assert final.read_bytes() == EPISODE and not part.exists()
    listed = json.loads(run(capsys, "enclosures", aid, "--json")[1])
    assert listed[0]["downloaded"] == str(final)
    # Asked again: already there, nothing fetched.
    assert run(capsys, "download", aid, "1", "--to", str(folder))[0] == 0
    assert len(episodes.ranges) == 2


def test_a_killed_download_process_resumes(paths: Paths, episodes: EpisodeServer,
                                           tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """A real `reader download` process is killed (SIGKILL) mid-way; the next run resumes."""
    aid = subscribed(capsys, episodes)
    folder = tmp_path / "dl"
    part = part_of(folder, episodes)
    episodes.trickle = 0.05
    child = subprocess.Popen([sys.executable, "-m", "reader", "download", aid, "--to",
                              str(folder)], env=dict(os.environ), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (
                not part.exists() or part.stat().st_size < 300_000):
            time.sleep(0.05)
        assert part.exists() and part.stat().st_size >= 300_000
    finally:
        child.kill()
        child.wait(10)
        child.stderr.close()
    kept = part.stat().st_size
    assert not (folder / "nv221_intro.mp3").exists() and 0 < kept < len(EPISODE)
    episodes.trickle = 0.0
    code, _, err = run(capsys, "download", aid, "--to", str(folder))
    assert code == 0, err
    assert episodes.ranges[-1] == f"bytes={kept}-"
    assert (folder / "nv221_intro.mp3").read_bytes() == EPISODE


def test_a_full_disk_is_one_clear_line_and_keeps_what_was_written(
        paths: Paths, episodes: EpisodeServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    aid = subscribed(capsys, episodes)
    import builtins

    real_open = builtins.open

    class FullDisk:
        def __init__(self, handle: Any) -> None:
            self.handle, self.written = handle, 0

        def write(self, data: bytes) -> int:
            if self.written + len(data) > 500_000:
                raise OSError(errno.ENOSPC, "No space left on device")
            self.written += len(data)
            return self.handle.write(data)

        def __enter__(self) -> FullDisk:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

    def fake_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = real_open(file, mode, *args, **kwargs)
        return FullDisk(handle) if str(file).endswith(".part") else handle

    monkeypatch.setattr("reader.download.open", fake_open, raising=False)
    code, _, err = run(capsys, "download", aid, "--to", str(tmp_path / "d"))
    assert code == 2 and err.count("\n") == 1
    assert "the disk is full" in err and "bytes kept in" in err
    assert not (tmp_path / "d" / "nv221_intro.mp3").exists()
    assert part_of(tmp_path / "d", episodes).stat().st_size > 0


def test_a_stalled_server_is_given_up_on(paths: Paths, episodes: EpisodeServer, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    aid = subscribed(capsys, episodes)
    paths.config_file.parent.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text("[refresh]\nread_timeout = 0.5\n")
    episodes.trickle = 2.0  # one chunk, then silence longer than the stall limit
    code, _, err = run(capsys, "download", aid, "--to", str(tmp_path))
    assert code == 2 and "timed out while reading" in err and "kept" in err


def _public_feed(enclosure: str) -> bytes:
    return (b'<?xml version="1.0"?><rss version="2.0"><channel><title>Pod</title><item>'
            b"<guid>e1</guid><title>Episode</title><description>notes</description>"
            b'<enclosure url="' + enclosure.encode() + b'" type="audio/mpeg" length="9"/>'
            b"</item></channel></rss>")


@pytest.mark.parametrize("how", ["link", "redirect"])
def test_a_feed_from_the_internet_cannot_download_from_the_local_network(
        paths: Paths, episodes: EpisodeServer, tmp_path: Path, how: str) -> None:
    local = episodes.url("/nv221_intro.mp3")
    enclosure = local if how == "link" else "https://cdn.example/ep.mp3"

    def public(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/feed":
            return httpx.Response(200, stream=httpx.ByteStream(_public_feed(enclosure)),
                                  headers={"Content-Type": "application/rss+xml"})
        return httpx.Response(302, headers={"Location": local})

    lib = Library(paths, Settings(), transport=httpx.MockTransport(public))
    lib.acquire()
    try:
        lib.add_feed("https://pod.example/feed")
        lib.refresh_blocking()
        [article] = lib.view_articles(View("podcasts"))
        with pytest.raises(DownloadError) as caught:
            lib.download_blocking(article, folder=tmp_path / "dl")
    finally:
        lib.release()
    assert "this computer or the local network" in str(caught.value)
    assert episodes.ranges == []
    assert not (tmp_path / "dl").exists() or not list((tmp_path / "dl").iterdir())


def test_the_player_command_is_built_without_a_shell(paths: Paths, episodes: EpisodeServer,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    aid = subscribed(capsys, episodes)
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text('[media]\nplayer = "mpv --title=\'{title}\' {url}"\n')
    lib = Library(paths)
    article = lib.article(aid)
    article.title = "x'; rm -rf ~ #"
    assert lib.player_argv(article) == ["mpv", "--title=x'; rm -rf ~ #",
                                        episodes.url("/nv221_intro.mp3")]


@pytest.mark.parametrize(("url", "mime", "name"), [
    ("https://e.com/a/b/ep%201.mp3?x=1", "", "ep 1.mp3"),
    ("https://e.com/../../.bashrc", "", "bashrc"),
    ("https://e.com/%2e%2e%2fetc%2fpasswd", "audio/mpeg", "etc_passwd.mp3"),
    ("https://e.com/stream", "audio/mpeg", "stream.mp3"),
    ("https://e.com/", "audio/ogg", "fallback.ogg"),
    ("https://e.com/a\x1b[31m.mp3", "", "a[31m.mp3"),
])
def test_file_names_are_safe(url: str, mime: str, name: str) -> None:
    assert file_name(url, mime, "fallback") == name


def test_marks_written_by_another_reader_are_kept(paths: Paths, episodes: EpisodeServer,
                                                  tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """The app (one Library) has read the marks; `reader download` (another) records a file;
    the app then marks the episode played: both marks are there."""
    aid = subscribed(capsys, episodes)
    app = Library(paths, Settings())
    app.acquire()
    try:
        article = app.article(aid)
        assert app.media_marks(article) == (False, {})
        assert run(capsys, "download", aid, "--to", str(tmp_path))[0] == 0
        assert app.media_marks(article)[1] == {1: tmp_path / "nv221_intro.mp3"}
        app.mark_played(article)
    finally:
        app.release()
    listed = json.loads(run(capsys, "enclosures", aid, "--json")[1])
    assert listed[0]["played"] is True
    assert listed[0]["downloaded"] == str(tmp_path / "nv221_intro.mp3")


def test_two_episodes_with_the_same_file_name_never_mix(paths: Paths, server: Any,
                                                        tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """Both called episode.mp3: the first, cut short, leaves its .part; the second gets its
    own file and its own .part (a resume never appends one episode's bytes to another's)."""
    from tests.conftest import Route

    one, two = b"A" * 200_000, b"B" * 150_000
    server.routes["/one/episode.mp3"] = Route(one, headers={"Content-Type": "audio/mpeg"})
    server.routes["/two/episode.mp3"] = Route(two, headers={"Content-Type": "audio/mpeg"})
    items = "".join(
        f"<item><guid>{n}</guid><title>Episode {n}</title><description>x</description>"
        f'<enclosure url="{server.url(f"/{n}/episode.mp3")}" type="audio/mpeg"/></item>'
        for n in ("one", "two"))
    server.routes["/feed"] = Route(f'<rss version="2.0"><channel><title>P</title>{items}'
                                   "</channel></rss>".encode())
    assert run(capsys, "add", server.url("/feed"))[0] == 0
    assert run(capsys, "refresh", "--no-full-text")[0] == 0
    ids = {a["title"]: a["id"] for a in json.loads(run(capsys, "articles", "--json")[1])}
    folder = tmp_path / "dl"
    folder.mkdir()
    part_path(folder / "episode.mp3", server.url("/one/episode.mp3")).write_bytes(one[:1000])
    code, out, err = run(capsys, "download", ids["Episode two"], "--to", str(folder))
    assert code == 0, err
    assert Path(out.strip()).read_bytes() == two
    code, out, err = run(capsys, "download", ids["Episode one"], "--to", str(folder))
    assert code == 0, err
    assert Path(out.strip()).read_bytes() == one
    # its own .part was taken along to its new name and resumed from (this server sends the
    # whole file again: it has no ranges, and the reader starts over cleanly)
    assert server.hits_for("/one/episode.mp3")[-1].headers.get("range") == "bytes=1000-"
    assert not server.hits_for("/two/episode.mp3")[-1].headers.get("range")
    assert sorted(p.name for p in folder.iterdir()) == [f"{ids['Episode one']}-episode.mp3",
                                                         "episode.mp3"]


def test_a_broken_player_template_is_a_config_error(paths: Paths,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    for template, why in (("mpv {nope}", "unknown placeholder {nope}"),
                          ("mpv 'unclosed", "cannot split it into arguments"),
                          ("", "it is empty")):
        paths.config_file.write_text(f'[media]\nplayer = "{template}"\n')
        code, _, err = run(capsys, "feeds")
        assert code == 2 and err.count("\n") == 1 and "[media] player" in err and why in err
