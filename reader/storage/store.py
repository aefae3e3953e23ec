"""Files on disk: TinyDB behind a small API, atomic writes, a lock, corrupt files set aside.

Layout (nothing is one big file):
  data/subscriptions.json      feeds the user subscribed to                      (user data)
  data/read/<feed>.json        ids of read articles, one small file per feed     (user data)
  data/marks.json              bookmarks and notes, with a copy of each article  (user data)
  data/lock                    held while a reader saves; its generation says what changed
  data/refresh.lock            held while a reader refreshes
  cache/feeds/<feed>.json      per feed: HTTP validators + article metadata      (disposable)
  cache/bodies/<feed>.json     per feed: article HTML and converted Markdown     (disposable)
  cache/status.json            last refresh outcome of every feed                (disposable)
  cache/full/<feed>/<id>.json  full text fetched from an article's page          (disposable)
Marking one article read rewrites one small read file; opening the reader reads the metadata
files only; bodies are read when an article is shown.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.storages import Storage

from reader.errors import LockedError, StoreError
from reader.storage.dirsync import DirSyncBatch

DirSync = Callable[[Path], bool]
"""Asked before a folder is fsynced after a replace: False when the caller fsyncs it later,
once for many files (Store.batched_dir_syncs)."""


def atomic_write_bytes(path: Path, data: bytes, *, durable: bool = True,
                       dir_sync: DirSync | None = None) -> None:
    """Write `data` to `path` so that a crash or a full disk leaves the old file intact.

    Temp file in the same folder, fsync, os.replace, then fsync the folder (unless
    `dir_sync` says that is done later).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if durable and (dir_sync is None or dir_sync(path.parent)):
        _fsync_dir(path.parent)


Signature = tuple[int, int, int] | None
"""(inode, mtime ns, size) of a file, None when there is none: every write replaces the
file (a new inode), so another process's write always changes it."""


def file_signature(path: Path | str) -> Signature:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


# Called with (path, signature) when a file is read or written: the store remembers what it
# holds in memory, to tell later whether another process changed the file.
SeenHandler = Callable[[Path, Signature], None]


def write_or_explain(path: Path, data: bytes, *, durable: bool = True,
                     dir_sync: DirSync | None = None) -> None:
    """atomic_write_bytes, turning an OSError (full disk, permissions) into a StoreError."""
    try:
        atomic_write_bytes(path, data, durable=durable, dir_sync=dir_sync)
    except OSError as exc:
        reason = f"cannot save ({exc.strerror or exc}); the previous version is intact"
        raise StoreError(f"{path}: {reason}", path=path, reason=reason) from None


def _fsync_dir(folder: Path) -> None:
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def aside_name(path: Path) -> Path:
    """A free name beside `path` for a file set aside: `NAME.corrupt-DATE[-N]`."""
    target = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}-{n}")
        n += 1
    return target


def set_aside(path: Path) -> Path:
    """Rename a corrupt file out of the way (never delete it) and return its new name."""
    target = aside_name(path)
    os.replace(path, target)
    return target


# Called with (path, moved_to) whenever a corrupt file is set aside; the library reports it.
CorruptHandler = Callable[[Path, Path], None]


class AtomicJSONStorage(Storage):
    """A TinyDB storage that keeps the data in memory and replaces the file atomically.

    TinyDB's own JSONStorage rewrites its file in place: a full disk mid-write loses it all.
    A file that does not parse is set aside and reported, never silently overwritten.
    """

    def __init__(
        self, path: str, *, durable: bool = True, on_corrupt: CorruptHandler | None = None,
        dir_sync: DirSync | None = None, on_seen: SeenHandler | None = None,
    ):
        self.path = Path(path)
        self.durable = durable
        self.dir_sync = dir_sync
        self.on_corrupt = on_corrupt
        self.on_seen = on_seen
        self._data: dict[str, Any] | None = None

    def read(self) -> dict[str, Any] | None:
        if self._data is None:
            self._data = load_json_file(self.path, self.on_corrupt, tinydb_shape,
                                        self.on_seen)
        return self._data

    def write(self, data: dict[str, Any]) -> None:
        payload = json.dumps(data, separators=(",", ":")).encode("utf-8")
        write_or_explain(self.path, payload, durable=self.durable, dir_sync=self.dir_sync)
        self._data = data
        if self.on_seen is not None:
            self.on_seen(self.path, file_signature(self.path))

    def close(self) -> None:
        self._data = None


# Keys every document of a table must have: a file whose documents lack them is corrupt.
_REQUIRED_KEYS = {name: frozenset(keys) for name, keys in {
    "feeds": ("key", "url"), "read": ("id",), "bookmarks": ("id", "article", "body"),
    "kept": ("id", "article", "body"), "notes": ("id", "article_id"),
    "articles": ("id", "guid"), "bodies": ("id",)}.items()}


def tinydb_shape(data: dict[str, Any]) -> bool:
    """True when data is TinyDB's {table: {doc id: {...}}} with the keys each table needs."""
    for name, table in data.items():
        if not isinstance(table, dict):
            return False
        required = _REQUIRED_KEYS.get(name, frozenset())
        for doc in table.values():
            if not isinstance(doc, dict) or not doc.keys() >= required:  # (a set operation:
                return False                                       # 100k documents at once)
    return True


def mapping_of_objects(data: dict[str, Any]) -> bool:
    """True when every value is a JSON object (status.json: feed key -> status)."""
    return all(isinstance(value, dict) for value in data.values())


def load_json_file(path: Path, on_corrupt: CorruptHandler | None = None,
                   shape: Callable[[dict[str, Any]], bool] | None = None,
                   on_seen: SeenHandler | None = None) -> dict[str, Any] | None:
    """Parse a JSON object file; None when missing; set aside and None when corrupt (does not
    parse, is not an object, or `shape` says its contents are not what the reader wrote).
    `on_seen` hears the signature of the very file that was read (fstat of the open file)."""
    try:
        with open(path, "rb") as handle:
            st = os.fstat(handle.fileno())
            raw = handle.read()
    except FileNotFoundError:
        if on_seen is not None:
            on_seen(path, None)
        return None
    except OSError as exc:
        raise StoreError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if on_seen is not None:
        on_seen(path, (st.st_ino, st.st_mtime_ns, st.st_size))
    try:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        if shape is not None and not shape(data):
            raise ValueError("not the expected shape")
        return data
    except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
        moved = set_aside(path)
        if on_seen is not None:
            on_seen(path, None)
        if on_corrupt is not None:
            on_corrupt(path, moved)
        return None


def open_db(
    path: Path, *, durable: bool = True, on_corrupt: CorruptHandler | None = None,
    dir_sync: DirSync | None = None, on_seen: SeenHandler | None = None,
) -> TinyDB:
    """A TinyDB on an AtomicJSONStorage."""
    return TinyDB(str(path), storage=AtomicJSONStorage, durable=durable, on_corrupt=on_corrupt,
                  dir_sync=dir_sync, on_seen=on_seen)


def table_docs(db: TinyDB, table: str) -> list[dict[str, Any]]:
    """All documents of a table as plain dicts (no TinyDB Document wrappers)."""
    data = db.storage.read() or {}
    return list(data.get(table, {}).values())


def replace_tables(db: TinyDB, tables: dict[str, Iterable[dict[str, Any]]]) -> None:
    """Replace whole tables in one atomic write (TinyDB's own format: {table: {id: doc}})."""
    data = dict(db.storage.read() or {})
    for name, docs in tables.items():
        data[name] = {str(i): doc for i, doc in enumerate(docs, 1)}
    db.storage.write(data)
    db.clear_cache()
    for name in tables:
        # TinyDB tables cache their next id; drop them so they re-read the new contents.
        db._tables.pop(name, None)


WRITE_WAIT = 30.0
"""Seconds a write waits for another reader's write (a cleanup of a big cache) to finish."""

_SLOT = 80  # the lock file holds "pid generation", padded: one pwrite replaces it whole


class FileLock:
    """An exclusive flock on a small file holding the owner's pid: released by the kernel
    when its process dies, so no stale lock survives a crash or a kill."""

    def __init__(self, path: Path, doing: str = "saving"):
        self.path = path
        self.doing = doing
        """What the holder is doing, for the message another reader gets."""
        self._fd: int | None = None

    def acquire(self, wait: float = 0.0) -> str:
        """Take the lock, waiting up to `wait` seconds, else raise LockedError with a clear
        message. Returns the generation the file held (see WriteLock)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:  # a read-only or full data folder: no writer can work here
            raise StoreError(f"{self.path}: cannot take the lock ({exc.strerror or exc}); "
                             "nothing can be saved, reading commands still work") from None
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    os.close(fd)
                    raise
            if time.monotonic() >= deadline:
                owner = _read_slot(fd)[0]
                os.close(fd)
                who = f" (pid {owner})" if owner.isdigit() else ""
                raise LockedError(self._busy_message(who, wait)) from None
            time.sleep(0.01)
        self._fd = fd
        generation = _read_slot(fd)[1]
        _write_slot(fd, str(os.getpid()), generation)
        return generation

    def _busy_message(self, who: str, wait: float) -> str:
        if self.doing == "refreshing":
            return (f"another reader{who} is refreshing the feeds now; its new articles show "
                    "when it is done")
        waited = f" for {wait:.0f} s" if wait >= 1 else ""
        return (f"another reader{who} has been saving{waited} and holds {self.path}; "
                "nothing was changed, try again")

    def release(self, generation: str | None = None) -> None:
        """Let go of the lock (the file stays; it is harmless); `generation`: leave this
        generation in the file (see WriteLock), else keep the one it holds."""
        if self._fd is not None:
            keep = _read_slot(self._fd)[1] if generation is None else generation
            _write_slot(self._fd, "", keep)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        """True while this object holds the lock."""
        return self._fd is not None

    def peek(self) -> str:
        """The generation in the file, read without taking the lock ("" when none)."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return ""
        try:
            return _read_slot(fd)[1]
        finally:
            os.close(fd)

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_slot(fd: int) -> tuple[str, str]:
    """(pid, generation) from a lock file; ("", "") when it cannot be read."""
    try:
        words = os.pread(fd, _SLOT, 0).decode("ascii", "replace").split()
    except OSError:
        return "", ""
    return (words[0] if words else "", words[1] if len(words) > 1 else "")


def _write_slot(fd: int, pid: str, generation: str) -> None:
    # One pwrite of a fixed size: a reader peeking without the lock sees the old or the new
    # text, never half of each. A full disk must not stop the writer: only messages need it.
    text = f"{pid or '-'} {generation}".ljust(_SLOT)[:_SLOT].encode("ascii", "replace")
    try:
        os.pwrite(fd, text, 0)
    except OSError:
        pass


def new_generation() -> str:
    """A generation no other write had: this process's pid, a clock and a counter."""
    global _GENERATIONS
    _GENERATIONS += 1
    return f"{os.getpid()}.{time.time_ns()}.{_GENERATIONS}"


_GENERATIONS = 0


class Store:
    """The reader's files, opened lazily; every write is one atomic file replace."""

    def __init__(self, data_dir: Path, cache_dir: Path):
        self.data_dir = data_dir
        self.cache_dir = cache_dir
        self.problems: list[str] = []
        self._marks_unreadable = ""
        """Why marks.json could not be read ("" when it could): then nothing is saved over it."""
        """Corrupt files found and set aside, as messages for the user."""
        self._subs: TinyDB | None = None
        self._marks: TinyDB | None = None
        self._read_dbs: dict[str, TinyDB] = {}
        self._read_sets: dict[str, set[str]] = {}
        self.dir_batch = DirSyncBatch(_fsync_dir)
        """Cache folders fsynced once at the end of a refresh (see reader.storage.dirsync)."""
        self._seen: dict[Path, Signature] = {}
        """The signature of each file whose contents this process holds in memory."""

    # -- small files: ui.json (the app's choices), queries.json, read/by-rules.json --------
    def load_small(self, name: str, shape: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """A small JSON object of user data (data/NAME); {} when missing, or set aside when
        not of the `shape`."""
        return load_json_file(self.data_dir / name, self._corrupt, shape, self._saw) or {}

    def save_small(self, name: str, data: dict[str, Any]) -> None:
        self._write(self.data_dir / name,
                    json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8"))

    # -- helpers ---------------------------------------------------------------------------
    def _corrupt(self, path: Path, moved: Path) -> None:
        self.problems.append(f"{path} was corrupt; it was moved to {moved} and left untouched")

    def _open(self, path: Path, durable: bool, batched: bool = False) -> TinyDB:
        """`batched`: a disposable cache file whose folder's fsync may be batched."""
        return open_db(path, durable=durable, on_corrupt=self._corrupt,
                       dir_sync=self.dir_batch.dir_sync if batched else None,
                       on_seen=self._saw)

    def _saw(self, path: Path, signature: Signature) -> None:
        self._seen[path] = signature

    def _write(self, path: Path, payload: bytes) -> None:
        write_or_explain(path, payload)
        self._seen[path] = file_signature(path)

    def changed_on_disk(self) -> set[Path]:
        """Files another process replaced since this one read or wrote them; what is held of
        them in memory is dropped, to be read again when next needed. Call it holding the
        write lock (then nobody else writes) after another reader's write."""
        seen = dict(self._seen)  # the app's list thread may read (and note) files meanwhile
        changed = {path for path, signature in seen.items()
                   if file_signature(path) != signature}
        for path in changed:
            self._seen.pop(path, None)
            folder, key = path.parent.name, path.name.removesuffix(".json")
            if path == self.data_dir / "subscriptions.json":
                self._subs = None
            elif path == self.data_dir / "marks.json":
                self._marks, self._marks_unreadable = None, ""
            elif folder == "read" and path.parent.parent == self.data_dir:
                self._read_dbs.pop(key, None)
                self._read_sets.pop(key, None)
        return changed

    @property
    def exists(self) -> bool:
        """True once subscriptions were ever saved (first-run detection); a subscription file
        set aside as corrupt counts: the user's list is there, never replaced by the samples."""
        return (self.data_dir / "subscriptions.json").exists() or any(
            self.data_dir.glob("subscriptions.json.corrupt-*"))

    # -- subscriptions (user data) -----------------------------------------------------------
    @property
    def subscriptions_db(self) -> TinyDB:
        if self._subs is None:
            self._subs = self._open(self.data_dir / "subscriptions.json", durable=True)
        return self._subs

    def load_feeds(self) -> list[dict[str, Any]]:
        """Subscribed feeds in the user's order."""
        return table_docs(self.subscriptions_db, "feeds")

    def remove_stale_temp_files(self) -> int:
        """Delete the temp files (`.NAME.xxxx.tmp`) of writes a kill or a crash interrupted;
        only the holder of the lock may call it (no write of its own is under way). The file
        each was meant to replace is intact: they are only ever renamed over it when whole."""
        removed = 0
        folders = (self.data_dir, self.data_dir / "read", self.cache_dir,
                   self.cache_dir / "feeds", self.cache_dir / "bodies")  # not full/: cleanup's
        for folder in folders:
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                if entry.name.startswith(".") and entry.name.endswith(".tmp") and \
                        entry.is_file(follow_symlinks=False):
                    try:
                        os.unlink(entry.path)
                        removed += 1
                    except OSError:
                        pass  # read-only: left for a later start
        return removed

    def keep_copy_of_subscriptions(self) -> Path:
        """A copy of subscriptions.json as it is now, beside it (`.corrupt-DATE`): entries the
        reader could not read are dropped from the list it keeps, never from this copy."""
        path = self.data_dir / "subscriptions.json"
        target = aside_name(path)
        shutil.copy2(path, target)
        return target

    def save_feeds(self, feeds: list[dict[str, Any]]) -> None:
        """Replace the subscription list (one atomic write)."""
        replace_tables(self.subscriptions_db, {"feeds": feeds})

    # -- read state (user data, one file per feed) --------------------------------------------
    def _read_db(self, feed_key: str) -> TinyDB:
        db = self._read_dbs.get(feed_key)
        if db is None:
            db = self._read_dbs[feed_key] = self._open(
                self.data_dir / "read" / f"{feed_key}.json", durable=True
            )
        return db

    def read_ids(self, feed_key: str) -> set[str]:
        """Ids of the feed's articles the user has read."""
        ids = self._read_sets.get(feed_key)
        if ids is None:
            path = self.data_dir / "read" / f"{feed_key}.json"
            if not path.exists():
                self._seen[path] = None  # created by another reader: read it then
                ids = set()
            else:
                ids = {doc["id"] for doc in table_docs(self._read_db(feed_key), "read")}
            self._read_sets[feed_key] = ids
        return ids

    def set_read(self, feed_key: str, ids: Iterable[str], read: bool) -> bool:
        """Mark ids read or unread; writes only when something changed. True if it wrote."""
        current = self.read_ids(feed_key)
        ids = set(ids)
        new = current | ids if read else current - ids
        if new == current:
            return False
        now = time.time()
        docs = ({"id": i, "at": now} for i in sorted(new))
        replace_tables(self._read_db(feed_key), {"read": docs})
        self._read_sets[feed_key] = new
        return True

    def forget_read(self, feed_key: str, keep: set[str]) -> None:
        """Drop read entries of articles that left the cache (keeps the file small)."""
        current = self.read_ids(feed_key)
        if current - keep:
            self.set_read(feed_key, current - keep, False)

    def delete_read(self, feed_key: str) -> None:
        """Remove a feed's read file (the feed was unsubscribed)."""
        self._read_dbs.pop(feed_key, None)
        self._read_sets.pop(feed_key, None)
        path = self.data_dir / "read" / f"{feed_key}.json"
        path.unlink(missing_ok=True)
        self._seen[path] = None

    # -- bookmarks and notes (user data) -------------------------------------------------------
    @property
    def marks_db(self) -> TinyDB:
        if self._marks is None:
            self._marks = self._open(self.data_dir / "marks.json", durable=True)
        return self._marks

    def _marks_table(self, table: str) -> dict[str, dict[str, Any]]:
        """One table of marks.json. A file that cannot be read (a folder in its place, an I/O
        error) is reported once and read as empty, and nothing is written over it: the app
        once died at start-up on it."""
        if self._marks_unreadable:
            return {}
        try:
            return {doc["id"]: doc for doc in table_docs(self.marks_db, table)}
        except StoreError as exc:
            self._marks_unreadable = str(exc)
            self.problems.append(f"{exc}; bookmarks and notes are not shown, and none is "
                                 "saved over it until it can be read")
            return {}

    def load_bookmarks(self) -> dict[str, dict[str, Any]]:
        """article id -> {id, at, article, body} (a full copy, so it outlives the cache)."""
        return self._marks_table("bookmarks")

    def save_bookmarks(self, bookmarks: dict[str, dict[str, Any]]) -> None:
        self.save_marks(bookmarks=bookmarks)

    def load_notes(self) -> dict[str, dict[str, Any]]:
        """note id -> {id, article_id, text, quote, created, edited}, in the order written."""
        return self._marks_table("notes")

    def load_kept(self) -> dict[str, dict[str, Any]]:
        """article id -> {id, at, article, body}: the copy of each annotated article.

        Separate from the bookmark copies: removing a bookmark never drops a copy that notes
        still need, and deleting the last note never drops a bookmark's copy.
        """
        return self._marks_table("kept")

    def save_marks(self, *, bookmarks: dict[str, dict[str, Any]] | None = None,
                   notes: dict[str, dict[str, Any]] | None = None,
                   kept: dict[str, dict[str, Any]] | None = None) -> None:
        """Replace the given tables of marks.json together, in one atomic write."""
        if self._marks_unreadable:
            raise StoreError(f"{self._marks_unreadable}; not saved, so that it is not "
                             "replaced", path=self.data_dir / "marks.json",
                             reason="marks.json could not be read")
        tables = {name: docs.values() for name, docs in
                  (("bookmarks", bookmarks), ("notes", notes), ("kept", kept))
                  if docs is not None}
        if tables:
            replace_tables(self.marks_db, tables)

    # -- per-feed cache (disposable) ---------------------------------------------------------
    def _feed_db(self, feed_key: str) -> TinyDB:
        """A feed's cache file, read afresh: it is not kept here (the articles service keeps
        what it lists; a refresh of 1,000 feeds kept them all twice), and another process
        may have replaced it since."""
        return self._open(self.cache_dir / "feeds" / f"{feed_key}.json", durable=True,
                          batched=True)

    def load_feed_cache(self, feed_key: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """(meta, article metadata docs) for one feed; empty when not cached yet."""
        path = self.cache_dir / "feeds" / f"{feed_key}.json"
        if not path.exists():
            self._seen[path] = None
            return {}, []
        db = self._feed_db(feed_key)
        meta = table_docs(db, "meta")
        return (meta[0] if meta else {}), table_docs(db, "articles")

    def save_feed_cache(
        self, feed_key: str, meta: dict[str, Any], articles: list[dict[str, Any]]
    ) -> None:
        db = self._feed_db(feed_key)
        db.storage._data = {}  # both of its tables are replaced: nothing to read first
        replace_tables(db, {"meta": [meta], "articles": articles})

    def feed_cache_mtime(self, feed_key: str) -> int | None:
        """Modification time (ns) of a feed's cache file, None when there is none."""
        try:
            return (self.cache_dir / "feeds" / f"{feed_key}.json").stat().st_mtime_ns
        except OSError:
            return None

    def feed_files_signature(self, feed_key: str) -> str:
        """Changes whenever the feed's cached articles, bodies or full texts change (three
        stat calls; os.stat on strings: pathlib costs more than the calls at 1,000 feeds)."""
        cache = os.fspath(self.cache_dir)
        parts = []
        for path in (f"{cache}/feeds/{feed_key}.json", f"{cache}/bodies/{feed_key}.json",
                     f"{cache}/full/{feed_key}"):
            try:
                stat = os.stat(path)
                parts.append(f"{stat.st_mtime_ns}.{stat.st_size}")
            except OSError:
                parts.append("-")
        return "/".join(parts)

    def load_bodies(self, feed_key: str) -> dict[str, dict[str, Any]]:
        """article id -> body doc {id, content_html, summary_html, base_url, md_key, markdown}."""
        path = self.cache_dir / "bodies" / f"{feed_key}.json"
        data = load_json_file(path, self._corrupt, tinydb_shape, self._saw) or {}
        return {doc["id"]: doc for doc in data.get("bodies", {}).values()}

    def has_bodies(self, feed_key: str) -> bool:
        """True when the feed's body file is there (a lost one is restored by a full fetch)."""
        return (self.cache_dir / "bodies" / f"{feed_key}.json").exists()

    def save_bodies(self, feed_key: str, bodies: dict[str, dict[str, Any]]) -> None:
        db = self._open(self.cache_dir / "bodies" / f"{feed_key}.json", durable=True,
                        batched=True)
        db.storage._data = {}
        replace_tables(db, {"bodies": bodies.values()})

    def delete_feed_cache(self, feed_key: str) -> None:
        for sub in ("feeds", "bodies"):
            path = self.cache_dir / sub / f"{feed_key}.json"
            path.unlink(missing_ok=True)
            self._seen[path] = None
        folder = self.cache_dir / "full" / feed_key
        if folder.is_dir():
            for path in folder.iterdir():
                path.unlink(missing_ok=True)
            folder.rmdir()

    # -- full text fetched from article pages (disposable, one small file per article) ------
    def _full_path(self, feed_key: str, article_id: str) -> Path:
        return self.cache_dir / "full" / feed_key / f"{article_id}.json"

    def load_full(self, feed_key: str, article_id: str) -> dict[str, Any] | None:
        """{url, final_url, fetched_at, html, title, error, ...} or None."""
        return load_json_file(self._full_path(feed_key, article_id), self._corrupt)

    def save_full(self, feed_key: str, article_id: str, doc: dict[str, Any]) -> None:
        payload = json.dumps(doc, separators=(",", ":")).encode("utf-8")
        write_or_explain(self._full_path(feed_key, article_id), payload)

    def full_ids(self, feed_key: str) -> set[str]:
        """Ids of a feed's articles with a full-text file (fetched or failed)."""
        try:
            names = os.listdir(self.cache_dir / "full" / feed_key)
        except OSError:
            return set()
        return {n[:-5] for n in names if n.endswith(".json") and not n.startswith(".")}

    def delete_full(self, feed_key: str, article_ids: Iterable[str]) -> None:
        for aid in article_ids:
            self._full_path(feed_key, aid).unlink(missing_ok=True)

    # -- refresh status (disposable) -----------------------------------------------------------
    def load_status(self) -> dict[str, dict[str, Any]]:
        """feed key -> {last_checked, last_success, last_error, last_warning}."""
        return load_json_file(self.cache_dir / "status.json", self._corrupt,
                              mapping_of_objects, self._saw) or {}

    def save_status(self, status: dict[str, dict[str, Any]]) -> None:
        payload = json.dumps(status, separators=(",", ":")).encode()
        self._write(self.cache_dir / "status.json", payload)

    def write_lock(self) -> FileLock:
        """The write lock (not yet taken): held while a reader saves, for a moment each time;
        the generation in it changes with every write, so others know to re-read."""
        return FileLock(self.data_dir / "lock", "saving")

    def refresh_lock(self) -> FileLock:
        """Held for the whole of a refresh: two refreshes never fetch at once."""
        return FileLock(self.data_dir / "refresh.lock", "refreshing")
