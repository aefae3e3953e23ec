"""One error hierarchy: everything the reader reports to its user is a ReaderError."""

from __future__ import annotations

import errno
import os

import pytest

from reader import errors
from reader.config import Settings
from reader.library import Library
from reader.locations import Paths
from reader.storage import store as store_module


def test_every_reported_error_has_the_one_root() -> None:
    for name in ("ConfigError", "StoreError", "LockedError", "LibraryError",
                 "SubscriptionListError", "ParseError", "ExtractError"):
        assert issubclass(getattr(errors, name), errors.ReaderError), name
    from reader.cli import CommandError

    assert issubclass(CommandError, errors.ReaderError)


def test_a_store_error_keeps_its_path_apart_from_its_reason(tmp_path) -> None:  # noqa: ANN001
    error = errors.StoreError("/x/marks.json: cannot save (full)", path=tmp_path,
                              reason="cannot save (full)")
    assert (error.path, error.reason, str(error)) == (
        tmp_path, "cannot save (full)", "/x/marks.json: cannot save (full)")
    assert errors.LibraryError("no such feed").reason == "no such feed"


@pytest.mark.parametrize("change", ["add", "remove"])
def test_a_failed_subscription_write_changes_nothing_in_memory(
        paths: Paths, tmp_path, monkeypatch: pytest.MonkeyPatch, change: str) -> None:  # noqa: ANN001
    library = Library(paths, Settings())
    library.acquire()
    feed = library.add_feed("https://a.example/feed.xml")

    def no_space(fd: int, *args: object, **kwargs: object) -> object:
        os.close(fd)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_module.os, "fdopen", no_space)
    with pytest.raises(errors.StoreError, match="No space left on device"):
        if change == "add":
            library.add_feed("https://b.example/feed.xml")
        else:
            library.remove_feed(feed.key)
    monkeypatch.undo()
    assert [f.key for f in library.feeds()] == [feed.key]
    library.release()
    assert [f.key for f in Library(paths, Settings()).feeds()] == [feed.key]
