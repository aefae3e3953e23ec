"""Local files and hostile CLI input (issue 11): local-file feeds that never end, imported lists
naming private files, odd paths and URLs, control characters in arguments, export targets that
are not regular files, notes with bytes that were not UTF-8, a read-only cache."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from reader.cli import main
from reader.locations import Paths
from tests.hostile.harness import CONTROL_RE

ROOT = Path(__file__).resolve().parents[2]
FEED = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>Neighbour</title>'
        b"<item><title>Kept</title><guid>n1</guid><description>x</description></item>"
        b"</channel></rss>")


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """The CLI in process; a traceback here fails the test as it would have failed the user."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_error(err: str) -> None:
    """Exactly one line on stderr, an error, no traceback, nothing a terminal would obey."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert not CONTROL_RE.search(err), repr(err)


def neighbour(tmp_path: Path) -> Path:
    path = tmp_path / "neighbour.xml"
    path.write_bytes(FEED)
    return path


# -- local-file feeds: regular files only, under the fetch deadline -----------------------------

def test_a_fifo_feed_does_not_hang_refresh(paths: Paths, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """Before: `reader refresh` opened the FIFO and waited for a writer for ever. (`reader
    add` refuses a FIFO; a subscribed file can still be replaced by one later.)"""
    fifo = tmp_path / "feed.fifo"
    os.mkfifo(fifo)
    code, _, err = cli(capsys, "add", str(fifo))
    assert code == 2 and "not a regular file" in err
    fifo.unlink()
    fifo.write_bytes(FEED)  # subscribed while a regular file ...
    assert cli(capsys, "add", str(fifo))[0] == 0
    fifo.unlink()
    os.mkfifo(fifo)  # ... then a FIFO
    assert cli(capsys, "add", str(neighbour(tmp_path)))[0] == 0
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    try:
        done = subprocess.run([sys.executable, "-m", "reader", "refresh", "--no-full-text"],
                              capture_output=True, text=True, timeout=60, env=env)
    except subprocess.TimeoutExpired:
        pytest.fail("reader refresh hung on a FIFO feed")
    assert done.returncode == 1, done.stderr
    assert f"not a regular file (a pipe, device or socket is never read): {fifo}" in done.stderr
    assert "1 new article," in done.stdout  # the neighbour refreshed
    assert fifo.exists() and not fifo.is_file()


def test_dev_tty_as_a_feed_does_not_wait_for_the_user(paths: Paths, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """Under a terminal (script(1) gives the refresh one, its input left open and silent),
    reading /dev/tty waited for the user to type. Before: killed at the timeout."""
    if not shutil.which("script"):
        pytest.skip("needs script(1) (util-linux) for a terminal")
    code, _, err = cli(capsys, "add", "/dev/tty")
    assert code == 2 and "not a regular file" in err  # refused when added ...
    listing = tmp_path / "urls"
    listing.write_text("/dev/tty\n")  # ... but a shared list may still name it
    assert cli(capsys, "import", str(listing), "--allow-local-files")[0] == 0
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    command = f"{sys.executable} -m reader refresh --no-full-text"
    output = tmp_path / "output"
    with open(output, "wb") as sink:
        proc = subprocess.Popen(["script", "-qec", command, "/dev/null"], env=env,
                                stdin=subprocess.PIPE, stdout=sink, stderr=subprocess.STDOUT)
        try:
            code = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail("reader refresh waited on /dev/tty")
        finally:
            assert proc.stdin is not None
            proc.stdin.close()
    assert code == 1
    assert b"not a regular file" in output.read_bytes()


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/tty", "/dev/null"])
def test_a_device_is_never_read_as_a_feed(device: str, tmp_path: Path) -> None:
    """/dev/zero was read up to the size cap; /dev/tty waited for the user's typing."""
    from reader.fetch import Fetcher

    if not os.path.exists(device):
        pytest.skip(f"{device} is missing here")

    async def go() -> str:
        async with Fetcher(feed_timeout=10) as fetcher:
            return (await fetcher.fetch(device)).error

    started = time.monotonic()
    error = asyncio.run(go())
    assert time.monotonic() - started < 5
    assert "not a regular file" in error or "cannot read" in error, error


def test_a_local_read_that_never_ends_gives_up_at_the_deadline(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A hung mount: the read does not return. The refresh gives up at feed_timeout, and the
    stuck read cannot keep the process alive (a daemon thread)."""
    from reader.fetch import Fetcher, FetchResult

    release = threading.Event()
    threads: list[threading.Thread] = []

    def hung(self: Fetcher, url: str) -> FetchResult:
        threads.append(threading.current_thread())
        release.wait(30)
        return FetchResult(url, "ok", body=FEED)

    monkeypatch.setattr(Fetcher, "_read_file", hung)

    async def go() -> str:
        async with Fetcher(feed_timeout=0.5) as fetcher:
            return (await fetcher.fetch(str(neighbour(tmp_path)))).error

    started = time.monotonic()
    error = asyncio.run(go())
    try:
        assert time.monotonic() - started < 5
        assert "gave up after 0.5 s" in error and "does not finish" in error
        assert threads and threads[0].daemon
    finally:
        release.set()


# -- importing a list that names local files -----------------------------------------------------

def test_import_skips_local_files_unless_allowed(paths: Paths, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    listing = tmp_path / "shared.opml"
    listing.write_text(
        '<?xml version="1.0"?><opml version="2.0"><body>'
        '<outline type="rss" text="keys" xmlUrl="~/.ssh/id_rsa"/>'
        '<outline type="rss" text="shadow" xmlUrl="/etc/shadow"/>'
        '<outline type="rss" text="passwd" xmlUrl="file:///etc/passwd"/>'
        '<outline type="rss" text="ok" xmlUrl="https://example.com/feed"/>'
        "</body></opml>")
    code, out, err = cli(capsys, "import", str(listing))
    assert code == 0 and "1 feed added" in out
    warnings = err.splitlines()
    assert len(warnings) == 3 and all("skipped, a local file" in w for w in warnings), err
    assert any("/etc/shadow" in w for w in warnings)
    assert any(w.startswith(f"warning: {Path.home()}/.ssh/id_rsa") for w in warnings)
    feeds = json.loads(cli(capsys, "feeds", "--json")[1])
    assert [f["url"] for f in feeds] == ["https://example.com/feed"]
    code, out, err = cli(capsys, "import", str(listing), "--allow-local-files")
    assert code == 0 and "3 feeds added" in out and not err
    urls = {f["url"] for f in json.loads(cli(capsys, "feeds", "--json")[1])}
    assert {"/etc/shadow", "/etc/passwd"} <= urls  # file: URLs are stored as paths


# -- odd URLs and paths, control characters ------------------------------------------------------

def test_an_unclosed_ipv6_url_is_one_line(paths: Paths,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    for url in ("http://[::1", "http://x\x1b]0;title\x07", "https://[fe80::1/feed"):
        code, _, err = cli(capsys, "add", url)
        assert code == 2
        one_error(err)
        assert "not a valid URL" in err


def test_a_symlink_loop_is_one_line(paths: Paths, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    code, _, err = cli(capsys, "add", str(tmp_path / "a"))
    assert code == 2
    one_error(err)
    code, _, err = cli(capsys, "import", str(tmp_path / "a"))
    assert code == 2
    one_error(err)


@pytest.mark.parametrize("argv", [
    ["remove", "\x1b[31mred\x1b]0;owned\x07"],
    ["show", "\x1b[2J\u202eabc"],
    ["feeds", "\x1b[31mextra"],  # argparse: "unrecognized arguments" quotes it raw
    ["articles", "--feed", "\x9b31m\x1b[1m"],
    ["note", "edit", "\x1bP+q\x1b\\", "--text", "x"],
])
def test_errors_never_echo_control_characters(argv: list[str], paths: Paths,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code, out, err = cli(capsys, *argv)
    except SystemExit as exc:  # argparse
        code = exc.code
        out, err = capsys.readouterr()
    assert code == 2
    assert not CONTROL_RE.search(err + out), repr(err)
    assert "\\x1b" in err or "\\u202e" in err or "\\x9b" in err  # shown, as an escape


# -- export targets -----------------------------------------------------------------------------

def test_export_refuses_to_replace_a_symlink_or_fifo(paths: Paths, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Before: both were replaced by a regular file (the link and the pipe were gone)."""
    assert cli(capsys, "add", "https://example.com/feed")[0] == 0
    target = tmp_path / "dotfiles-subs.opml"
    target.write_text("mine")
    link = tmp_path / "subs.opml"
    link.symlink_to(target)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for path, kind in ((link, "symbolic link"), (fifo, "named pipe")):
        code, _, err = cli(capsys, "export", str(path))
        assert code == 2
        one_error(err)
        assert kind in err and "reader export >" in err
    assert link.is_symlink() and target.read_text() == "mine"
    assert fifo.exists() and not fifo.is_file() and not fifo.is_symlink()
    plain = tmp_path / "plain.opml"
    assert cli(capsys, "export", str(plain))[0] == 0
    assert "https://example.com/feed" in plain.read_text()
    assert cli(capsys, "export", str(plain))[0] == 0  # a regular file is replaced


# -- notes with bytes that were not UTF-8 --------------------------------------------------------

def test_notes_export_with_bytes_that_were_not_utf8(paths: Paths, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """`reader note add ID --text $'\\xff'` keeps the byte as a lone surrogate; exporting it
    crashed with UnicodeEncodeError."""
    assert cli(capsys, "add", str(neighbour(tmp_path)))[0] == 0
    assert cli(capsys, "refresh", "--no-full-text")[0] == 0
    [article] = json.loads(cli(capsys, "articles", "--json")[1])
    assert cli(capsys, "note", "add", article["id"], "--text", "caf\udce9 \udcff end")[0] == 0
    code, out, err = cli(capsys, "notes", "export", str(tmp_path / "vault"))
    assert code == 0, err
    [exported] = (tmp_path / "vault").glob("*.md")
    text = exported.read_bytes().decode("utf-8")  # valid UTF-8
    assert "caf\ufffd \ufffd end" in text
    notes = json.loads(cli(capsys, "notes", "--json")[1])
    assert notes[0]["text"] == "caf\udce9 \udcff end"  # the note itself is kept as typed


# -- a read-only cache ---------------------------------------------------------------------------

def test_show_works_with_a_read_only_cache(paths: Paths, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """`reader show` caches the article's conversion; a cache it cannot write is no error
    (before: "cannot save (Read-only file system)", exit 2, nothing shown)."""
    assert cli(capsys, "add", str(neighbour(tmp_path)))[0] == 0
    assert cli(capsys, "refresh", "--no-full-text")[0] == 0
    [article] = json.loads(cli(capsys, "articles", "--json")[1])
    cache = paths.cache_dir
    show = [sys.executable, "-m", "reader", "show", article["id"]]
    if os.geteuid() != 0:
        for folder in [cache, *[p for p in cache.rglob("*") if p.is_dir()]]:
            folder.chmod(0o500)
        command = show
    elif shutil.which("unshare"):  # chmod does not stop root: a read-only bind mount
        script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
        command = ["unshare", "-m", "sh", "-c", script, "sh", str(cache), *show]
    else:
        pytest.skip("needs a read-only folder: not root, or unshare for a read-only mount")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    if os.geteuid() != 0:
        for folder in [cache, *[p for p in cache.rglob("*") if p.is_dir()]]:
            folder.chmod(0o700)
    assert done.returncode == 0, done.stderr
    assert "# Kept" in done.stdout and not done.stderr
