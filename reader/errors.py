"""Every error the reader reports to its user, under one root: `ReaderError`.

`str(exc)` is the whole message for the user (one line, naming the file or feed). The CLI
prints it as `error: ...` and exits 2; the app shows `reason` in its status line. Exceptions
that never leave a module (control flow inside the fast parser or the fetcher) are not here.
Imports nothing from the reader: this is the ground floor.
"""

from __future__ import annotations

from pathlib import Path


class ReaderError(Exception):
    """A request the reader cannot carry out; the message is for the user."""

    path: Path | None = None
    """The file the error is about, when there is one."""

    @property
    def reason(self) -> str:
        """The message without the file's path (for a one-line status)."""
        return str(self)


class ConfigError(ReaderError):
    """The config file is broken; the message names the file and, where known, the line."""


class StoreError(ReaderError):
    """A storage problem the user must hear about (the message names the file)."""

    def __init__(self, message: str, *, path: Path | None = None, reason: str = "") -> None:
        super().__init__(message)
        self.path = path
        self._reason = reason

    @property
    def reason(self) -> str:
        return self._reason or str(self)


class LockedError(StoreError):
    """Another reader holds the lock."""


class LibraryError(ReaderError):
    """A request the library cannot carry out (no such feed, a note without text, ...)."""


class SubscriptionListError(ReaderError):
    """The file is not a subscription list (OPML, newsboat urls) we can read."""


class ParseError(ReaderError):
    """The bytes are not a feed we can read."""


class ExtractError(ReaderError):
    """The page has no usable article; str(exc) is the reason, in words for the user, saying
    what was seen, e.g. "not an HTML page (application/pdf)", "no article text found on the
    page (it asks you to sign in: a login wall)"."""


class SyncError(ReaderError):
    """A sync with a server account failed; nothing stored changed for what failed. The
    message is one line naming the account and the reason."""

    def __init__(self, message: str, *, offline: bool = False, retry_after: float = 0.0,
                 auth: bool = False) -> None:
        super().__init__(message)
        self.offline = offline
        """Nothing answered (refused, DNS, timeout): the reader is offline."""
        self.retry_after = retry_after
        """The server asked not to be asked again before this time (epoch seconds)."""
        self.auth = auth
        """The server refused the login or the saved token."""
