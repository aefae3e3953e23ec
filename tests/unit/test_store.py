"""Storage safety: atomic writes under SIGKILL and a full disk, the lock, corrupt files."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from reader.config import Settings
from reader.library import Library
from reader.locations import Paths
from reader.storage import store as store_module
from reader.storage.store import FileLock, LockedError, StoreError, atomic_write_bytes
from tests.conftest import FeedServer, Route, rss

ROOT = Path(__file__).resolve().parents[2]


def test_atomic_write_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "f.json"
    atomic_write_bytes(target, b"one")
    atomic_write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]  # no temp files left


def test_failed_write_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "f.json"
    atomic_write_bytes(target, b'{"old": true}')

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_module.os, "fsync", no_space)
    with pytest.raises(OSError):
        atomic_write_bytes(target, b'{"new": true}' * 1000)
    assert target.read_bytes() == b'{"old": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Path:
    """A real 2 MB tmpfs, so a write can hit a real ENOSPC."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_full_disk_loses_nothing(tiny_disk: Path) -> None:
    paths = Paths(tiny_disk / "config", tiny_disk / "data", tiny_disk / "cache")
    lib = Library(paths, Settings())
    lib.acquire()
    for i in range(20):
        lib.add_feed(f"https://feed{i}.example/rss", tags=["t"])
    before = (paths.data_dir / "subscriptions.json").read_bytes()
    filler = tiny_disk / "filler"
    with open(filler, "wb", buffering=0) as handle:  # fill the disk to the last block
        for size in (65536, 512):
            try:
                while True:
                    handle.write(b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    with pytest.raises(StoreError, match="cannot save .*previous version is intact"):
        for i in range(20, 200):
            lib.add_feed(f"https://a-much-longer-feed-address-{i}.example/rss" + "x" * 500)
    assert (paths.data_dir / "subscriptions.json").read_bytes() == before
    lib.release()
    filler.unlink()
    again = Library(paths, Settings())
    assert [f.url for f in again.feeds()][:20] == [f"https://feed{i}.example/rss"
                                                   for i in range(20)]
    assert again.problems == []


KILL_SCRIPT = textwrap.dedent("""
    import sys, time
    from reader.config import Settings
    from reader.library import Library
    from reader.locations import Paths
    paths = Paths.from_env()
    lib = Library(paths, Settings())
    lib.acquire()
    articles = lib.articles()
    print("ready", flush=True)
    i = 0
    while True:
        a = articles[i % len(articles)]
        lib.mark_read(a, i % 2 == 0)
        lib.set_bookmark(a, i % 3 == 0)
        lib.edit_feed(lib.feeds()[0].key, title=f"title {i}")
        i += 1
""")


def test_sigkill_at_any_moment_leaves_readable_data(paths: Paths, server: FeedServer) -> None:
    server.routes["/a"] = Route(rss("A", [(str(i), f"t{i}") for i in range(40)]))
    lib = Library(paths, Settings())
    lib.acquire()
    lib.add_feed(server.url("/a"))
    lib.refresh_blocking()
    lib.release()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for trial in range(6):
        proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdout.readline().strip() == b"ready", proc.stderr.read()
        time.sleep(0.05 + 0.07 * trial)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        again = Library(paths, Settings())
        assert again.problems == []
        assert len(again.articles()) == 40
        assert again.feeds()[0].custom_title.startswith("title")
        for path in paths.data_dir.rglob("*.json"):
            json.loads(path.read_bytes())  # every user data file parses


LOCK_SCRIPT = textwrap.dedent("""
    import sys, time
    from reader.storage.store import FileLock
    from pathlib import Path
    lock = FileLock(Path(sys.argv[1]))
    lock.acquire()
    print("locked", flush=True)
    time.sleep(30)
""")


def test_second_instance_gets_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "lock"
    proc = subprocess.Popen([sys.executable, "-c", LOCK_SCRIPT, str(path)],
                            env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == b"locked"
        with pytest.raises(LockedError, match=rf"another reader \(pid {proc.pid}\) has been"):
            FileLock(path).acquire(wait=0.1)
    finally:
        proc.kill()
        proc.wait()
    lock = FileLock(path)  # the holder died: the lock is free again (flock, no stale pid)
    lock.acquire()
    assert lock.held
    lock.release()


def test_lock_in_one_process_is_exclusive(tmp_path: Path) -> None:
    first = FileLock(tmp_path / "lock")
    first.acquire()
    with pytest.raises(LockedError):
        FileLock(tmp_path / "lock").acquire()
    first.release()
    with FileLock(tmp_path / "lock") as again:
        assert again.held
