"""Hostile files, through the command line as the user runs it (`reader.cli.main` in-process,
or `python -m reader` where a real process matters).

Every case asserts: no traceback in stdout/stderr, a one-line message naming the file and the
reason, the exit code, and that nothing stored before changed unless it should (data/ compared
byte for byte).

Bounds: the 10 MB OPML import (70,000 feeds) must finish within 60 s and 600 MB peak RSS
(measured: about 3 s and 170 MB on the 2-core dev machine).
"""

from __future__ import annotations

import errno
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.cli import main
from reader.config import Settings
from reader.library import Library
from reader.locations import Paths
from reader.storage import store as store_module
from tests.conftest import FeedServer, Route, rss
from tests.unit.test_store import tiny_disk  # noqa: F401 - a fixture (real tmpfs)

ROOT = Path(__file__).resolve().parents[2]


# -- helpers ------------------------------------------------------------------------------------

def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run `reader ARGV` in-process; no traceback may reach the user, whatever happened."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err, err
    return code, out, err


def one_error(err: str, *fragments: str) -> str:
    """The single `error:` line of stderr, checked to hold every fragment."""
    lines = [line for line in err.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, err
    for fragment in fragments:
        assert fragment in errors[0], (fragment, errors[0])
    return errors[0]


def snapshot(paths: Paths) -> dict[str, bytes]:
    """Every user data file (the lock aside), relative path -> bytes."""
    return {str(p.relative_to(paths.data_dir)): p.read_bytes()
            for p in sorted(paths.data_dir.rglob("*")) if p.is_file() and p.name != "lock"}


class World:
    """A library with two refreshed feeds, a read article, a bookmark and a note."""

    def __init__(self, paths: Paths, capsys: pytest.CaptureFixture[str], server: FeedServer):
        self.paths, self.capsys, self.server = paths, capsys, server
        server.routes["/a"] = Route(rss("Feed A", [("1", "one"), ("2", "two"), ("3", "three")]),
                                    etag='"a1"')
        server.routes["/b"] = Route(rss("Feed B", [("4", "four"), ("5", "five")]), etag='"b1"')
        for path in ("/a", "/b"):
            assert cli(capsys, "add", server.url(path))[0] == 0
        assert cli(capsys, "refresh")[0] == 0
        arts = json.loads(cli(capsys, "articles", "--json")[1])
        self.ids = {a["title"]: a["id"] for a in arts}
        self.keys = {a["title"]: a["feed_key"] for a in arts}
        assert cli(capsys, "read", self.ids["one"])[0] == 0
        assert cli(capsys, "bookmark", self.ids["two"])[0] == 0
        code, out, _ = cli(capsys, "note", "add", self.ids["four"], "--text", "my note")
        assert code == 0
        self.note = out.strip()
        self.before = snapshot(paths)

    @property
    def key_a(self) -> str:
        return self.keys["one"]

    def unchanged(self) -> None:
        assert snapshot(self.paths) == self.before

    def intact(self) -> None:
        """What the user had is all there, through a fresh Library."""
        lib = Library(self.paths, Settings())
        assert len(lib.feeds()) == 2
        assert {n.id: n.text for n in lib.notes()} == {self.note: "my note"}
        assert set(lib.bookmarks()) == {self.ids["two"]}
        assert lib.article(self.ids["one"]).read


@pytest.fixture
def world(paths: Paths, capsys: pytest.CaptureFixture[str], server: FeedServer) -> World:
    return World(paths, capsys, server)


# -- OPML / urls import ---------------------------------------------------------------------------

OPML_ONE = ('<?xml version="1.0" encoding="{enc}"?><opml version="2.0"><head/><body>'
            '<outline text="Café" xmlUrl="https://cafe.example/rss"/></body></opml>')
LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE opml [\n<!ENTITY l0 "lol">\n'
          + b"".join(b'<!ENTITY l%d "%s">\n' % (i, b"".join([b"&l%d;" % (i - 1)] * 10))
                     for i in range(1, 10))
          + b']>\n<opml version="2.0"><body><outline text="&l9;" xmlUrl="https://x.example/"/>'
            b"</body></opml>")
LAUGHS_ONE_LINE = LAUGHS.replace(b"\n", b"")
XXE = (b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       b'<opml version="2.0"><body><outline text="&x;" title="&x;" '
       b'xmlUrl="https://x.example/"/></body></opml>')
LATE_DOCTYPE = XXE.replace(b"?>", b"?><!-- " + b"padding " * 1000 + b"-->", 1)

BAD_IMPORTS = {
    "html": (b"<!doctype html><html><head><title>Blog</title><link rel='alternate' "
             b"type='application/rss+xml' href='/feed'></head><body>hi</body></html>",
             "not OPML"),
    "html-no-doctype": (b"<html><body><p>hello</p></body></html>", "not OPML"),
    "json": (b'{"feeds": ["https://a.example/rss"]}\n', "not OPML or a newsboat urls file"),
    "json-list": (b'["https://a.example/rss"]', "not OPML or a newsboat urls file"),
    "png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8, "not UTF-8 text"),
    "nul-bytes": (b"https://a.example/rss\x00\x00\x00\x00binary", "not a text file"),
    "latin1-declared-utf8": (OPML_ONE.format(enc="UTF-8").encode("latin-1"), "not well-formed"),
    "billion-laughs": (LAUGHS, "DOCTYPE"),
    "billion-laughs-one-line": (LAUGHS_ONE_LINE, "DOCTYPE"),
    "external-entity": (XXE, "DOCTYPE"),
    "doctype-after-8kb-comment": (LATE_DOCTYPE, "DOCTYPE"),
    "external-entity-utf16": (XXE.replace(b'"1.0"?>', b'"1.0" encoding="UTF-16"?>')
                              .decode().encode("utf-16"), "DOCTYPE"),
    "latin1-urls": (b"https://caf\xe9.example/rss\n", "not UTF-8 text (byte 11)"),
    "utf16-urls": ("https://a.example/rss\n".encode("utf-16"), "not UTF-8 text (byte 0)"),
    "empty": (b"", "no feeds found"),
    "only-comments": (b"# nothing here\n\n   \n", "no feeds found"),
    "only-junk-lines": (b"hello world\nthis is not a list\n", "no feeds found"),
    "truncated-opml": (OPML_ONE.format(enc="UTF-8").encode()[:70], "not well-formed"),
}


@pytest.mark.parametrize("case", sorted(BAD_IMPORTS))
def test_bad_import_files_are_one_clear_line_and_change_nothing(
        case: str, world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data, reason = BAD_IMPORTS[case]
    path = tmp_path / f"{case}.opml"
    path.write_bytes(data)
    started = time.monotonic()
    code, out, err = cli(capsys, "import", str(path))
    assert code == 2, (out, err)
    one_error(err, str(path), reason)
    assert "root:" not in err + out  # /etc/passwd never read into anything
    assert time.monotonic() - started < 30  # hang guard only
    world.unchanged()


@pytest.mark.parametrize(("case", "error"), [("directory", "Is a directory"),
                                             ("missing", "No such file")])
def test_unreadable_import_paths(case: str, error: str, world: World, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "folder"
    if case == "directory":
        path.mkdir()
    code, _, err = cli(capsys, "import", str(path))
    assert code == 2
    one_error(err, str(path), error)
    world.unchanged()


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-16"])
def test_utf16_opml_with_and_without_bom_imports(encoding: str, world: World, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "subs.opml"
    path.write_bytes(OPML_ONE.format(enc="UTF-16").encode(encoding))
    code, out, err = cli(capsys, "import", str(path))
    assert code == 0, err
    assert "1 feed added" in out
    lib = Library(world.paths, Settings())
    assert [(f.url, f.title) for f in lib.feeds()][-1] == ("https://cafe.example/rss", "Café")


def test_urls_file_with_junk_and_newsboat_specials(world: World, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "EXECUTED"
    path = tmp_path / "urls"
    path.write_bytes(
        b"just some words\n"
        b'"query:Unread Articles:unread = \\"yes\\""\n'
        + f"exec:touch {marker}\n".encode()
        + f'"filter:sh -c \'touch {marker}\':https://f.example/rss"\n'.encode()
        + b"https://good.example/rss tech\n"
        b"\x01\x1b[31mred\n"
        b'unbalanced "quote\n')
    code, out, err = cli(capsys, "import", str(path))
    assert code == 0, err
    assert "1 feed added" in out and "1 query feed added" in out  # query: is imported (#17)
    warnings = err.splitlines()
    assert len(warnings) == 5 and all(w.startswith(f"warning: {path}: line ") for w in warnings)
    for number, what in ((3, "exec:"), (4, "filter:")):
        assert f"line {number}: {what} feeds are not supported; skipped" in err
    assert [q.source for q in Library(world.paths, Settings()).query_feeds()] == ["unread"]
    assert "\x1b" not in err  # the junk is shown escaped, never raw
    assert not marker.exists()  # exec:/filter: are never run
    urls = [f.url for f in Library(world.paths, Settings()).feeds()]
    assert urls[-1] == "https://good.example/rss" and len(urls) == 3


def test_ten_megabyte_opml_is_bounded(paths: Paths, tmp_path: Path) -> None:
    outlines = "".join(
        f'<outline text="Feed {i}" title="Feed number {i}" type="rss" '
        f'xmlUrl="https://feed{i}.example.com/rss.xml" htmlUrl="https://feed{i}.example.com/"/>\n'
        for i in range(70_000))
    data = f'<?xml version="1.0"?><opml version="2.0"><head/><body>{outlines}</body></opml>'
    path = tmp_path / "big.opml"
    path.write_bytes(data.encode())
    assert path.stat().st_size > 10_000_000
    started = time.monotonic()
    with open(tmp_path / "out", "wb") as out, open(tmp_path / "err", "wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "reader", "import", str(path)],
                                env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=out,
                                stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)  # the child's own peak RSS
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.monotonic() - started
    out, err = (tmp_path / "out").read_bytes(), (tmp_path / "err").read_bytes()
    assert proc.returncode == 0, err
    assert b"70000 feeds added" in out and b"Traceback" not in err
    assert elapsed < 60, elapsed
    assert usage.ru_maxrss < 600 * 1024, usage.ru_maxrss  # KiB on Linux
    assert len(Library(paths, Settings()).feeds()) == 70_000


# -- corrupt store files ------------------------------------------------------------------------

CORRUPTIONS = {
    "truncated": lambda raw: raw[: max(1, len(raw) // 2)],
    "zero-bytes": lambda raw: b"",
    "garbage": lambda raw: bytes(range(256)) * 4,
    "json-list": lambda raw: b"[1, 2, 3]",
    # JSON nested deeper than the parser recurses: a RecursionError bricked every command
    "deeply-nested": lambda raw: b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "wrong-shape": lambda raw: b'{"feeds": [1], "read": "x", "bookmarks": {"1": 2}, '
                               b'"notes": {"1": {}}, "articles": {"1": []}, "bodies": 3, '
                               b'"meta": {"1": "x"}, "kept": {"1": {"id": 1}}}',
}
USER_FILES = {"subscriptions", "marks", "read"}


def _store_file(world: World, which: str) -> Path:
    data, cache, key = world.paths.data_dir, world.paths.cache_dir, world.key_a
    return {
        "subscriptions": data / "subscriptions.json",
        "marks": data / "marks.json",
        "read": data / "read" / f"{key}.json",
        "feeds-cache": cache / "feeds" / f"{key}.json",
        "bodies-cache": cache / "bodies" / f"{key}.json",
        "status": cache / "status.json",
    }[which]


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
@pytest.mark.parametrize("which", ["subscriptions", "marks", "read", "feeds-cache",
                                   "bodies-cache", "status"])
def test_corrupt_store_file_is_set_aside_and_the_reader_goes_on(
        which: str, corruption: str, world: World, capsys: pytest.CaptureFixture[str]) -> None:
    path = _store_file(world, which)
    assert path.exists()
    bad = CORRUPTIONS[corruption](path.read_bytes())
    path.write_bytes(bad)
    err_all = ""
    for argv in (["feeds"], ["articles"], ["notes"], ["show", world.ids["three"]],
                 ["show", world.ids["two"]], ["refresh"]):
        code, out, err = cli(capsys, *argv)
        err_all += err
        if argv[0] == "show" and code == 2:  # the article went with a corrupt cache file
            one_error(err, "no such article")
            continue
        assert code == 0, (argv, out, err)
    aside = [p for p in path.parent.iterdir() if p.name.startswith(f"{path.name}.corrupt-")]
    assert len(aside) == 1, list(path.parent.iterdir())
    assert aside[0].read_bytes() == bad  # set aside untouched, never deleted
    warnings = [w for w in err_all.splitlines() if str(path) in w]
    assert len(warnings) == 1, err_all  # said once, naming the file and where it went
    assert warnings[0].startswith("warning: ") and str(aside[0]) in warnings[0]
    assert "corrupt" in warnings[0]
    again = Library(world.paths, Settings())
    assert again.problems == []
    if which == "subscriptions":  # the user's list is in the set-aside file, not replaced
        assert again.feeds() == []
        assert not any(f.url.endswith(".xml") for f in again.feeds())  # no samples seeded
        return
    assert len(again.feeds()) == 2
    # After the refresh, the cache is whole again: every article, and its text.
    assert sorted(a.title for a in again.articles()) == ["five", "four", "one", "three", "two"]
    shown = cli(capsys, "show", world.ids["three"])
    assert shown[0] == 0 and "Body of three" in shown[1]
    if which != "marks":
        assert {n.text for n in again.notes()} == {"my note"}
        assert set(again.bookmarks()) == {world.ids["two"]}
    if which != "read":
        assert again.article(world.ids["one"]).read


# -- read-only data folder ------------------------------------------------------------------------

@pytest.fixture
def read_only(world: World) -> Iterator[Path]:
    """The data folder made read-only: a read-only bind mount as root (chmod does not stop
    root), chmod 0o500 otherwise."""
    folder = world.paths.data_dir
    if os.geteuid() != 0:
        os.chmod(folder, 0o500)
        os.chmod(folder / "read", 0o500)
        yield folder
        os.chmod(folder / "read", 0o700)
        os.chmod(folder, 0o700)
        return
    done = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot bind-mount here: {done.stderr.decode().strip()}")
    done = subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], capture_output=True)
    if done.returncode != 0:
        subprocess.run(["umount", "-l", str(folder)], check=False)
        pytest.skip(f"cannot remount read-only: {done.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_read_only_data_folder(world: World, read_only: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    ids = world.ids
    for argv in (["add", "https://new.example/rss"], ["read", ids["three"]],
                 ["bookmark", ids["three"]], ["note", "add", ids["three"], "--text", "x"],
                 ["refresh"], ["remove", "Feed B"]):
        code, out, err = cli(capsys, *argv)
        assert code == 2, (argv, out, err)
        one_error(err, str(read_only))
        assert "read-only" in err.lower() or "permission" in err.lower(), err
    for argv in (["feeds"], ["articles"], ["notes"], ["show", ids["one"]], ["export"]):
        code, out, err = cli(capsys, *argv)  # reading still works
        assert code == 0 and out, (argv, err)
    world.unchanged()


def test_read_only_read_state_folder_past_the_lock(world: World,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """The lock is taken, then the write itself fails: one line, the old file intact."""
    if os.geteuid() != 0:
        pytest.skip("needs a read-only bind mount (root)")
    folder = world.paths.data_dir / "read"
    for cmd in (["mount", "--bind", str(folder), str(folder)],
                ["mount", "-o", "remount,bind,ro", str(folder)]):
        done = subprocess.run(cmd, capture_output=True)
        if done.returncode != 0:
            subprocess.run(["umount", "-l", str(folder)], check=False)
            pytest.skip(f"cannot bind-mount read-only here: {done.stderr.decode().strip()}")
    try:
        for argv in (["read", world.ids["three"]], ["unread", world.ids["one"]]):
            code, out, err = cli(capsys, *argv)
            assert code == 2, (argv, out, err)
            one_error(err, str(folder / f"{world.key_a}.json"), "Read-only file system",
                      "previous version is intact")
        code, _, err = cli(capsys, "bookmark", world.ids["three"])  # other files still save
        assert code == 0, err
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)
    assert snapshot(world.paths)[f"read/{world.key_a}.json"] == world.before[
        f"read/{world.key_a}.json"]
    lib = Library(world.paths, Settings())
    assert lib.article(world.ids["one"]).read and not lib.article(world.ids["three"]).read
    assert set(lib.bookmarks()) == {world.ids["two"], world.ids["three"]}


# -- full disk ----------------------------------------------------------------------------------

class _HalfThenENOSPC(io.RawIOBase):
    """A file object whose write stores half the bytes, then fails like a full disk."""

    def __init__(self, real: io.BufferedWriter):
        self.real = real

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.real.write(bytes(data)[: len(data) // 2])
        self.real.flush()
        raise OSError(errno.ENOSPC, "No space left on device")

    def __enter__(self) -> _HalfThenENOSPC:
        return self

    def __exit__(self, *exc: object) -> None:
        self.real.close()


@pytest.fixture(params=["patched", "tmpfs"])
def full_disk(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
              paths: Paths, server: FeedServer, capsys: pytest.CaptureFixture[str]
              ) -> Iterator[World]:
    """A world whose disk is full: every write fails with ENOSPC after writing half (patched
    os.fdopen in reader.storage.store) or a real 2 MB tmpfs filled to the last byte (root only)."""
    if request.param == "patched":
        world = World(paths, capsys, server)
        real_fdopen = os.fdopen
        monkeypatch.setattr(store_module.os, "fdopen",
                            lambda fd, *a, **k: _HalfThenENOSPC(real_fdopen(fd, *a, **k)))
        yield world
        return
    mount = request.getfixturevalue("tiny_disk")  # a real tmpfs, skipped where none mounts
    for name in ("DATA", "CACHE"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(mount / name.lower()))
    world = World(Paths.from_env(), capsys, server)
    with open(mount / "filler", "wb", buffering=0) as handle:  # fill it to the last byte
        for size in (65536, 4096, 512, 1):
            try:
                while True:
                    handle.write(b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    yield world


def test_full_disk_keeps_everything_and_says_so(full_disk: World, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    world, ids = full_disk, full_disk.ids
    world.server.routes["/a"] = Route(rss("Feed A", [("1", "one"), ("2", "two 2"), ("6", "six")]),
                                      etag='"a2"')
    urls = tmp_path / "urls"
    urls.write_text("https://new.example/rss\n")
    for argv in (["bookmark", ids["three"]], ["note", "add", ids["three"], "--text", "x"],
                 ["read", ids["three"]], ["import", str(urls)], ["add", "https://n.example/"],
                 ["refresh"]):
        code, out, err = cli(capsys, *argv)
        assert code == 2, (argv, out, err)
        line = one_error(err, "No space left on device", "previous version is intact")
        assert str(world.paths.data_dir) in line or str(world.paths.cache_dir) in line
    world.unchanged()
    world.intact()


# -- a second reader ----------------------------------------------------------------------------

HOLDER = """
import sys, time
from reader.library import Library
from reader.locations import Paths
lib = Library(Paths.from_env())
lib.store.write_lock().acquire()  # a reader stuck in the middle of a write
print("locked", flush=True)
time.sleep(60)
"""


def test_second_reader_writers_refused_readers_served(world: World, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader holding the write lock past the wait: every writer says busy (exit 4) and
    changes nothing; every reader is served."""
    from reader.storage import store as files

    monkeypatch.setattr(files, "WRITE_WAIT", 0.2)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER],
                              env=dict(os.environ, PYTHONPATH=str(ROOT)),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"locked", holder.stderr.read()
        ids = world.ids
        urls = tmp_path / "urls"
        urls.write_text("https://new.example/rss\n")
        for argv in (["add", "https://new.example/rss"], ["remove", "Feed B"], ["refresh"],
                     ["read", ids["three"]], ["unread", ids["one"]], ["bookmark", ids["three"]],
                     ["unbookmark", ids["two"]], ["import", str(urls)],
                     ["note", "add", ids["three"], "--text", "x"],
                     ["note", "edit", world.note, "--text", "y"],
                     ["note", "delete", world.note]):
            code, out, err = cli(capsys, *argv)
            assert code == 4, (argv, out, err)
            assert [line for line in err.splitlines() if line.strip()] == [
                line for line in err.splitlines()
                if line.startswith(f"busy: another reader (pid {holder.pid}) has been saving")
            ] != [], (argv, err)
        for argv in (["feeds"], ["articles"], ["notes"], ["show", ids["two"]], ["export"],
                     ["notes", "export", str(tmp_path / "vault")]):
            code, out, err = cli(capsys, *argv)
            assert code == 0 and out and not err, (argv, err)
        world.unchanged()
    finally:
        holder.kill()
        holder.wait()


def test_wrong_field_types_and_a_path_as_feed_key(world: World, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Well-formed JSON with the wrong types gave tracebacks (`failures: "x"`), and a `../`
    feed key made the reader write outside its data folder. Good entries are kept, the bad
    ones reported and kept in a copy of the file; wrong types in the status cache are dropped."""
    subs = world.paths.data_dir / "subscriptions.json"
    data = json.loads(subs.read_bytes())
    docs = data["feeds"]
    first = next(iter(docs.values()))
    docs["90"] = dict(first, key="../../escaped", url="https://evil.example/feed")
    docs["91"] = dict(first, key="abcdef123456", url=["not", "a", "string"])
    docs["92"] = dict(first, key="abcdef654321", url="https://x.example/", tags="news")
    subs.write_text(json.dumps(data))
    status_file = world.paths.cache_dir / "status.json"
    status = json.loads(status_file.read_bytes())
    status[world.key_a].update(failures="x", last_error=["no"], gone="yes")
    status_file.write_text(json.dumps(status))
    code, out, err = cli(capsys, "feeds", "--json")
    assert code == 0, err
    feeds = json.loads(out)
    assert sorted(f["url"] for f in feeds) == sorted([world.server.url("/a"),
                                                      world.server.url("/b")])
    assert all(isinstance(f["failures"], int) and f["gone"] is False for f in feeds)
    warning = [w for w in err.splitlines() if "subscriptions.json" in w]
    assert len(warning) == 1 and "3 entries could not be read" in warning[0]
    copies = list(world.paths.data_dir.glob("subscriptions.json.corrupt-*"))
    assert len(copies) == 1 and json.loads(copies[0].read_bytes()) == data  # kept whole
    assert cli(capsys, "refresh")[0] == 0
    assert not (world.paths.cache_dir.parent / "escaped.json").exists()
    assert not list(world.paths.cache_dir.parent.parent.rglob("escaped*"))
    world.intact()


def test_temp_files_of_an_interrupted_write_are_removed_by_the_next_writer(
        world: World, capsys: pytest.CaptureFixture[str]) -> None:
    """A kill between writing the temp file and renaming it left `.marks.json.*.tmp` behind
    for ever; the next writer (it holds the lock) removes them, and the real files stay."""
    data, cache = world.paths.data_dir, world.paths.cache_dir
    stale = [data / ".marks.json.x1y2.tmp", data / "read" / f".{world.key_a}.json.a.tmp",
             cache / "feeds" / f".{world.key_a}.json.b.tmp", cache / ".status.json.c.tmp"]
    for path in stale:
        path.write_bytes(b"half a write")
    keep = data / "notes.tmp"  # not one of ours: left alone
    keep.write_bytes(b"mine")
    assert cli(capsys, "read", world.ids["three"])[0] == 0  # a writing command
    assert not any(p.exists() for p in stale)
    assert keep.exists()
    world.intact()
