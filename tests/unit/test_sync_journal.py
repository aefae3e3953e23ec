"""The journal of local changes: durable appends, a line a kill cut short, accepted changes
leaving it while changes recorded meanwhile stay."""

from __future__ import annotations

import stat
from pathlib import Path

from reader.sync.journal import Journal, latest_item_changes

ITEM = "tag:google.com,2005:reader/item/%016x"


def test_a_line_cut_short_by_a_kill_is_skipped_and_the_next_one_stands_alone(
        tmp_path: Path) -> None:
    journal = Journal(tmp_path / "sync" / "home" / "journal.jsonl")
    journal.append("read", [ITEM % 1, ITEM % 2])
    with open(journal.path, "ab") as handle:
        handle.write(b'{"seq":3,"op":"star","tar')  # killed in the middle of a write
    journal.append("star", [ITEM % 3])
    changes = journal.changes()
    assert [(c.seq, c.op, c.target) for c in changes] == [
        (1, "read", ITEM % 1), (2, "read", ITEM % 2), (3, "star", ITEM % 3)]
    assert stat.S_IMODE(journal.path.stat().st_mode) == 0o600


def test_drop_keeps_what_was_recorded_meanwhile(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    syncing, app = Journal(path), Journal(path)
    syncing.append("read", [ITEM % 1])
    sent = [c.seq for c in syncing.changes()]
    app.append("unread", [ITEM % 2])  # another reader, while the sync talked to the server
    syncing.drop(sent)
    assert [(c.op, c.target) for c in Journal(path).changes()] == [("unread", ITEM % 2)]
    assert app.changes()[0].seq == 2


def test_the_last_change_of_an_item_is_the_one_sent(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    journal.append("read", [ITEM % 1])
    journal.append("star", [ITEM % 1])
    journal.append("unread", [ITEM % 1])
    latest = latest_item_changes(journal.changes())
    assert {k: c.op for k, c in latest.items()} == {(ITEM % 1, "read"): "unread",
                                                   (ITEM % 1, "starred"): "star"}
    assert journal.pending("read")[ITEM % 1].op == "unread"
