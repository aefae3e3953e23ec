"""Server accounts on disk: the list (data/accounts.json), each account's token (a 0600 file)
and sync state, and the journal of local changes not yet sent (see `journal`).

Layout:
  data/accounts.json              [{name, kind, url, user, added_at}]         (user data)
  data/sync/<name>/token          the auth token, mode 0600; never the password
  data/sync/<name>/state.json     last sync, last error, Retry-After, feed map  (user data)
  data/sync/<name>/journal.jsonl  local changes waiting for the next sync      (user data)
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from reader.errors import LibraryError, StoreError
from reader.storage.store import load_json_file, write_or_explain

ACCOUNT_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9@._-]{0,63}")
"""An account name names a folder: letters, digits and @ . _ - only."""
KINDS = ("greader",)


@dataclass
class Account:
    """A server account the reader syncs with."""

    name: str
    """The user's name for it (a folder name: see ACCOUNT_NAME_RE)."""
    kind: str
    """The protocol: "greader" (Google Reader API: FreshRSS, Miniflux, ...)."""
    url: str
    """The API's address (FreshRSS: https://HOST/api/greader.php; Miniflux: https://HOST)."""
    user: str
    added_at: float = 0.0


@dataclass
class SyncState:
    """What an account's last syncs left behind (state.json)."""

    last_sync: float = 0.0
    """When a sync last succeeded (epoch seconds); 0: never."""
    last_attempt: float = 0.0
    last_error: str = ""
    """Why the last sync failed ("" when it succeeded)."""
    retry_after: float = 0.0
    """Not synced again before this time: the server's long Retry-After."""
    feeds: dict[str, str] = field(default_factory=dict)
    """Our feed key -> the server's stream id, of every feed ever synced (kept after the
    server drops one, so a kept article still knows where its state goes)."""
    starred: list[str] = field(default_factory=list)
    """The server's starred items at the last sync (one that leaves the list was unstarred
    elsewhere, or purged: a contents request tells which)."""
    unusable: list[str] = field(default_factory=list)
    """Items asked for whose contents did not come, or came without a feed of the list:
    not asked for again while the subscription list stays `unusable_for`."""
    unusable_for: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SyncState:
        state = cls()
        for name, default in asdict(cls()).items():
            value = data.get(name, default)
            if type(value) is type(default) or (isinstance(default, float)
                                                 and isinstance(value, int)):
                setattr(state, name, value)
        state.feeds = {k: v for k, v in state.feeds.items()
                       if isinstance(k, str) and isinstance(v, str)}
        return state


class AccountStore:
    """The accounts' files under the data folder."""

    def __init__(self, data_dir: Path, problems: list[str] | None = None) -> None:
        self.data_dir = data_dir
        self.problems: list[str] = problems if problems is not None else []
        """Corrupt files found and set aside (the store's list: the CLI and app show it)."""

    @property
    def list_path(self) -> Path:
        return self.data_dir / "accounts.json"

    def folder(self, name: str) -> Path:
        return self.data_dir / "sync" / name

    def _corrupt(self, path: Path, moved: Path) -> None:
        self.problems.append(f"{path} was corrupt; it was moved to {moved} and left untouched")

    # -- the list ---------------------------------------------------------------------------
    def load(self) -> list[Account]:
        data = load_json_file(self.list_path, self._corrupt,
                              lambda d: isinstance(d.get("accounts", []), list)) or {}
        out = []
        for doc in data.get("accounts", []):
            try:
                account = Account(**{k: doc[k] for k in ("name", "kind", "url", "user")},
                                  added_at=float(doc.get("added_at", 0)))
            except (KeyError, TypeError, ValueError):
                continue
            if ACCOUNT_NAME_RE.fullmatch(account.name) and account.kind in KINDS:
                out.append(account)
        return out

    def save(self, accounts: list[Account]) -> None:
        payload = json.dumps({"accounts": [asdict(a) for a in accounts]}, indent=1)
        write_or_explain(self.list_path, payload.encode("utf-8"))

    def find(self, name: str) -> Account:
        for account in self.load():
            if account.name == name:
                return account
        raise LibraryError(f"{name}: no such account (see `reader account list`)")

    # -- the token: a file only its owner reads -----------------------------------------------
    def token(self, name: str) -> str:
        try:
            return (self.folder(name) / "token").read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    def save_token(self, name: str, token: str) -> None:
        """Write the token so that no other user can read it, not even for an instant: the
        file is created 0600 and replaced atomically."""
        folder = self.folder(name)
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
        tmp = folder / f".token.{os.getpid()}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(token + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, folder / "token")
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StoreError(f"{folder / 'token'}: cannot save the token "
                             f"({exc.strerror or exc})") from None

    # -- sync state ---------------------------------------------------------------------------
    def state(self, name: str) -> SyncState:
        data = load_json_file(self.folder(name) / "state.json", self._corrupt) or {}
        return SyncState.from_dict(data)

    def save_state(self, name: str, state: SyncState) -> None:
        payload = json.dumps(asdict(state), separators=(",", ":"))
        write_or_explain(self.folder(name) / "state.json", payload.encode("utf-8"))

    def remove(self, name: str) -> None:
        """Forget an account's files (token, state, journal)."""
        folder = self.folder(name)
        if folder.is_dir():
            for path in folder.iterdir():
                path.unlink(missing_ok=True)
            folder.rmdir()


def new_account(kind: str, url: str, user: str, name: str, existing: list[Account]) -> Account:
    """A checked new account; LibraryError (one line) for a bad kind, URL, name or a twin."""
    import urllib.parse

    if kind not in KINDS:
        raise LibraryError(f"{kind}: unknown account kind (known: {', '.join(KINDS)})")
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LibraryError(f"{url}: not a server address (http:// or https://)")
    if parts.username or parts.password:
        raise LibraryError("give the address without a user name or password in it: the user "
                           "goes in --user, the password is asked for (and never kept)")
    if not user.strip():
        raise LibraryError("an account needs a user name (--user NAME)")
    name = name or f"{user.strip()}@{parts.hostname}"
    if not ACCOUNT_NAME_RE.fullmatch(name):
        raise LibraryError(f"{name}: an account name may hold letters, digits and @ . _ - "
                           "only (choose one with --name)")
    if any(a.name == name for a in existing):
        raise LibraryError(f"{name}: an account of this name exists already")
    return Account(name=name, kind=kind, url=url.strip().rstrip("/"), user=user.strip(),
                   added_at=time.time())
