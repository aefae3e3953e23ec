"""Batched folder fsyncs for the disposable cache during a refresh.

Replacing a file atomically ends with an fsync of its folder, so that the rename itself is
on disk. A refresh replaces two cache files per feed (feeds/, bodies/); a `DirSyncBatch`
that is on lets each file be fsynced as always but its folder only once, at the end.

Why that is safe: the file's own fsync before its rename keeps its content whole, so after a
crash each cache file is either its old version or its new one, never a torn one; only the
rename may be lost, which gives the previous version back, and the next refresh (whose
validators are in that same file) fetches the feed again. User data (data/) is never
batched: each of its writes fsyncs its folder."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path


class DirSyncBatch:
    """Folders whose fsync waits for `finish` (None while off: each write syncs its own)."""

    def __init__(self, fsync_dir: Callable[[Path], None]) -> None:
        self._fsync_dir = fsync_dir
        self._lock = threading.Lock()  # writes run on the writer thread, finish may not
        self._folders: set[Path] | None = None

    def dir_sync(self, folder: Path) -> bool:
        """Asked after a replace in `folder`: True to fsync it now, False when batched."""
        with self._lock:
            if self._folders is None:
                return True
            self._folders.add(folder)
            return False

    def start(self) -> None:
        """From now on, folders are fsynced by `finish`."""
        with self._lock:
            self._folders = set()

    def finish(self) -> None:
        """fsync each folder written to since `start`, once; each write syncs its own again."""
        with self._lock:
            folders, self._folders = self._folders or set(), None
        for folder in sorted(folders):
            self._fsync_dir(folder)
