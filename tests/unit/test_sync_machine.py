"""A Hypothesis state machine over syncing: random interleavings of local changes and notes,
changes from another device and purges (the fake server's own state), syncs, kills (the
library dropped without closing, then opened again from disk), offline periods and broken
answers, folder moves here and there; 20 examples of up to 20 steps per personality (about
10 s each). After a final sync, the reader and the server agree, no local change was lost
(every item and the feed's folder carry the last change made to them, the user's waiting
changes winning over the server's older state) and every note is still on its article."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from reader.config import Settings
from reader.library import Library
from reader.locations import Paths
from reader.sync.greader import long_item_id
from tests.fakes.greader import FakeGReader

ITEMS = 6
FOLDERS = ("News", "Tech", "Later")


class SyncMachine(RuleBasedStateMachine):
    personality = "freshrss"

    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="sync-machine-"))
        self.paths = Paths(self.root / "config", self.root / "data", self.root / "cache")
        self.server = FakeGReader(self.personality).__enter__()
        self.fid = fid = self.server.add_feed("Tech", "News")
        self.ids = self.server.add_items(fid, ITEMS)
        self.folder = "News"
        """The feed's folder on the server, as the model knows it."""
        self.pending_folder: str | None = None
        """A folder change made here, not yet sent."""
        self.offline = False
        self.library = self._open()
        self.library.add_account_blocking("greader", self.server.url, "alice", "secret")
        self.model: dict[int, dict[str, bool]] = {
            i: {"read": False, "starred": False} for i in self.ids}
        """What the server holds, as the model knows it."""
        self.pending: dict[int, dict[str, bool]] = {}
        """Local changes not yet sent."""
        self.synced_once = False
        self.notes: dict[str, int] = {}
        """note id -> the item it is on."""
        self.gone: set[int] = set()
        """Items the server purged."""

    def _open(self) -> Library:
        library = Library(self.paths, Settings(connect_timeout=2, read_timeout=5),
                          offline=self.offline)
        library.acquire()
        return library

    def _local(self) -> dict[str, object]:
        return {a.guid: a for a in self.library.articles()}

    # -- the user on this computer -----------------------------------------------------------
    @rule(n=st.integers(0, ITEMS - 1), read=st.booleans())
    def mark_read(self, n: int, read: bool) -> None:
        article = self._local().get(long_item_id(self.ids[n]))
        if article is None:
            return
        self.library.mark_read(article, read)
        if article.read != read:  # unchanged: nothing to send
            self.pending.setdefault(self.ids[n], {})["read"] = read

    @rule(n=st.integers(0, ITEMS - 1), on=st.booleans())
    def star(self, n: int, on: bool) -> None:
        article = self._local().get(long_item_id(self.ids[n]))
        if article is None:
            return
        if self.library.set_bookmark(article, on):  # unchanged: nothing to send
            self.pending.setdefault(self.ids[n], {})["starred"] = on

    @rule(n=st.integers(0, ITEMS - 1))
    def write_a_note(self, n: int) -> None:
        article = self._local().get(long_item_id(self.ids[n]))
        if article is not None:
            self.notes[self.library.add_note(article, f"on {n}").id] = self.ids[n]

    @rule(folder=st.sampled_from(FOLDERS))
    def move_to_folder(self, folder: str) -> None:
        feeds = self.library.feeds()
        if not feeds:
            return
        old = feeds[0].tags[:1]
        self.library.edit_feed(feeds[0].key, tags=[folder, "mine"])
        if old != [folder]:
            self.pending_folder = folder

    # -- another device ----------------------------------------------------------------------
    @rule(folder=st.sampled_from(FOLDERS))
    def other_device_moves_the_feed(self, folder: str) -> None:
        with self.server.lock:
            self.server.state.feeds[self.fid].category = folder
        self.folder = folder

    @rule(n=st.integers(0, ITEMS - 1))
    def server_purges(self, n: int) -> None:
        eid = self.ids[n]
        if eid not in self.gone:
            with self.server.lock:
                del self.server.state.entries[eid]
            self.gone.add(eid)

    @rule(n=st.integers(0, ITEMS - 1), read=st.booleans(), starred=st.booleans())
    def other_device(self, n: int, read: bool, starred: bool) -> None:
        eid = self.ids[n]
        if eid in self.gone:
            return
        self.server.mark(eid, read=read, starred=starred)
        self.model[eid] = {"read": read, "starred": starred}

    # -- syncs, kills, the network -------------------------------------------------------------
    def _sent(self) -> None:
        for eid, change in self.pending.items():
            self.model[eid].update(change)
        self.pending.clear()
        if self.pending_folder is not None:
            self.folder, self.pending_folder = self.pending_folder, None

    @rule()
    def sync(self) -> None:
        [result] = self.library.sync_blocking()
        if self.offline:
            assert result.status == "offline"
            return
        assert result.status == "ok", result.error
        self._sent()
        self.synced_once = True

    @rule(where=st.sampled_from(["subscription/list", "stream/items/contents"]))
    def broken_answer(self, where: str) -> None:
        if self.offline:
            return
        self.server.fail(where, "truncated")
        [result] = self.library.sync_blocking()
        if result.status == "ok":  # no contents were needed: the fault waits for later
            self.server.faults.clear()
            self._sent()
            return
        assert result.status == "error"
        self._sent()  # the journal went before the broken answer
        self.server.faults.clear()

    @rule()
    def kill(self) -> None:
        # no release(): as if the process died (each write held the lock only a moment)
        self.library = self._open()

    @rule()
    def toggle_network(self) -> None:
        self.offline = not self.offline
        self.library.offline = self.offline

    @invariant()
    def journal_holds_the_waiting_changes(self) -> None:
        waiting = sum(len(c) for c in self.pending.values()) + (self.pending_folder is not None)
        [(_, _, journal)] = self.library.account_status()
        assert (journal == 0) == (waiting == 0)

    def teardown(self) -> None:
        try:
            self.offline = False
            self.library.offline = False
            [result] = self.library.sync_blocking()
            assert result.status == "ok", result.error
            self._sent()
            local = self._local()
            [feed] = self.library.feeds()
            assert self.server.state.feeds[self.fid].category == self.folder
            assert feed.tags[:1] == [self.folder]
            for nid, eid in self.notes.items():  # notes never lost, still on their article
                assert self.library.find_note(nid).article_title == f"Item {eid}"
            for eid in self.ids:
                if eid in self.gone:
                    continue
                entry = self.server.state.entries[eid]
                assert {"read": entry.read, "starred": entry.starred} == self.model[eid]
                article = local[long_item_id(eid)]
                assert (article.read, article.bookmarked) == (entry.read, entry.starred), eid
        finally:
            self.library.release()
            self.server.__exit__(None, None, None)
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.mark.parametrize("personality", ["freshrss", "miniflux"])
def test_sync_state_machine(personality: str) -> None:
    machine = type(f"SyncMachine_{personality}", (SyncMachine,),
                   {"personality": personality})
    test = machine.TestCase
    test.settings = settings(max_examples=20, stateful_step_count=20, deadline=None,
                             suppress_health_check=list(HealthCheck))
    test("runTest").runTest()
