"""The journal of local changes to a server account: every read, unread, star, unstar,
subscribe, unsubscribe and folder change made between syncs, one JSON line each.

A change is appended and fsynced before the app or the CLI shows it done, so it survives a
kill; a line a kill cut short is skipped when read. The next sync sends the changes and the
ones the server accepted are removed (one atomic rewrite); until then they win over the
server's state, so a sync never undoes what the user did.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from reader.errors import StoreError
from reader.storage.store import write_or_explain

ITEM_OPS = {"read": ("a", "read"), "unread": ("r", "read"), "star": ("a", "starred"),
            "unstar": ("r", "starred")}
"""Item changes: op -> (edit-tag add or remove, which state)."""
FEED_OPS = ("subscribe", "unsubscribe", "folder")


@dataclass(frozen=True)
class Change:
    """One local change."""

    seq: int
    """Its place in the journal (increasing)."""
    op: str
    """read, unread, star, unstar, subscribe, unsubscribe or folder."""
    target: str
    """The item id (long form) for item changes; the stream id (`feed/...`) otherwise."""
    value: str = ""
    """subscribe: the title; folder: the new folder ("" for none)."""
    old: str = ""
    """folder: the folder it leaves."""
    at: float = 0.0

    @property
    def kind(self) -> str:
        """What it changes: "read", "starred", or "feed"."""
        return ITEM_OPS[self.op][1] if self.op in ITEM_OPS else "feed"

    def to_json(self) -> str:
        return json.dumps({"seq": self.seq, "op": self.op, "target": self.target,
                           "value": self.value, "old": self.old, "at": self.at},
                          separators=(",", ":"))


def _parse(line: str) -> Change | None:
    try:
        doc = json.loads(line)
        change = Change(seq=int(doc["seq"]), op=str(doc["op"]), target=str(doc["target"]),
                        value=str(doc.get("value", "")), old=str(doc.get("old", "")),
                        at=float(doc.get("at", 0)))
    except (ValueError, KeyError, TypeError):
        return None
    return change if change.op in ITEM_OPS or change.op in FEED_OPS else None


class Journal:
    """One account's journal file (data/sync/<name>/journal.jsonl)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def changes(self) -> list[Change]:
        """Every change not yet accepted by the server, oldest first, as on disk now (another
        reader may have added some: nothing is remembered between calls)."""
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot read: {exc.strerror or exc}") from None
        found = (_parse(line) for line in text.splitlines() if line.strip())
        return [c for c in found if c is not None]

    def append(self, op: str, targets: Iterable[str], value: str = "", old: str = "") -> None:
        """Record changes durably (append, fsync) before they are made locally; StoreError
        (one line) when they cannot be: then the caller makes no change either."""
        targets = list(targets)
        if not targets:
            return
        try:
            seq = self._last_seq() + 1
            now = time.time()
            new = [Change(seq + n, op, t, value, old, now) for n, t in enumerate(targets)]
            data = "".join(c.to_json() + "\n" for c in new).encode("utf-8")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                if os.fstat(fd).st_size and not self._ends_with_newline():
                    data = b"\n" + data  # a line a kill cut short stays on its own line
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot record the change for the next sync "
                             f"({exc.strerror or exc}); nothing was changed") from None

    def _last_seq(self) -> int:
        """The seq of the last whole change, read from the file's tail (appending 10,000
        marks one by one must not read the journal 10,000 times)."""
        try:
            with open(self.path, "rb") as handle:
                size = handle.seek(0, os.SEEK_END)
                handle.seek(max(0, size - 4096))
                tail = handle.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return 0
        for line in reversed(tail.splitlines()):
            change = _parse(line)
            if change is not None:
                return change.seq
        changes = self.changes()  # no whole line in the tail: a very long or broken one
        return max((c.seq for c in changes), default=0)

    def _ends_with_newline(self) -> bool:
        with open(self.path, "rb") as handle:
            handle.seek(-1, os.SEEK_END)
            return handle.read(1) == b"\n"

    def drop(self, accepted: Iterable[int]) -> None:
        """Remove the changes the server accepted (by seq), in one atomic rewrite; changes
        recorded meanwhile stay."""
        done = set(accepted)
        if not done:
            return
        keep = [c for c in self.changes() if c.seq not in done]
        write_or_explain(self.path, "".join(c.to_json() + "\n" for c in keep).encode("utf-8"))

    def pending(self, kind: str, changes: list[Change] | None = None) -> dict[str, Change]:
        """target -> its latest change of `kind` ("read", "starred", "feed") among `changes`
        (default: the journal as on disk)."""
        out: dict[str, Change] = {}
        for change in self.changes() if changes is None else changes:
            if change.kind == kind:
                out[change.target] = change
        return out


def latest_item_changes(changes: list[Change]) -> dict[tuple[str, str], Change]:
    """(item, kind) -> the last change: read then unread sends only unread."""
    out: dict[tuple[str, str], Change] = {}
    for change in changes:
        if change.op in ITEM_OPS:
            out[(change.target, change.kind)] = change
    return out
