"""The command line of server accounts: `reader account ...` and `reader sync`.

The password is read from a prompt (getpass) or from READER_PASSWORD, never from the
command line (argv is visible to every user of the computer). `reader sync` exits as
`reader refresh` does: 0 ok, 1 an account failed, 2 usage or config, 3 offline.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import time
from typing import Any

from reader.errors import ReaderError
from reader.library import Account, Library, SyncResult
from reader.textutil import one_line, plural

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_OFFLINE = 0, 1, 2, 3


class PasswordError(ReaderError):
    """No password could be had (no terminal, no READER_PASSWORD)."""


def add_parsers(sub: Any) -> None:
    """`account` and `sync` on the main parser's subcommands."""
    p = sub.add_parser("account", help="server accounts to sync with (FreshRSS, Miniflux, "
                                       "any Google Reader API server)")
    actions = p.add_subparsers(dest="account_action", metavar="ACTION", required=True)
    e = actions.add_parser("add", help="add an account; asks for the password (or reads "
                                       "READER_PASSWORD) and keeps only the server's token")
    e.add_argument("kind", choices=["greader"], help="the protocol: greader")
    e.add_argument("url", help="the API address (FreshRSS: https://HOST/api/greader.php; "
                               "Miniflux: https://HOST)")
    e.add_argument("--user", required=True, help="the user name on the server")
    e.add_argument("--name", default="", help="the account's name here (default USER@HOST)")
    e = actions.add_parser("list", help="the accounts, when each last synced and why it "
                                        "failed")
    e.add_argument("--json", action="store_true")
    e = actions.add_parser("remove", help="forget an account and its feeds (bookmarked and "
                                          "annotated articles are kept)")
    e.add_argument("name")
    e.add_argument("--yes", action="store_true", help="do not ask")
    e = actions.add_parser("login", help="sign in again (the server refused the saved token)")
    e.add_argument("name")
    e = actions.add_parser("subscribe", help="subscribe to a feed on the server (sent at the "
                                             "next sync)")
    e.add_argument("name")
    e.add_argument("url")
    e.add_argument("--folder", default="", help="the server folder to put it in")
    p = sub.add_parser("sync", help="sync server accounts now (all by default): send local "
                                    "changes, bring the server's feeds, articles, read and "
                                    "starred state")
    p.add_argument("names", nargs="*", metavar="NAME")
    p.add_argument("--json", action="store_true")
    p.add_argument("--no-full-text", action="store_true",
                   help="do not fetch the full text of new articles of full-text feeds")


def _err(message: str) -> None:
    print(one_line(message), file=sys.stderr)


def _when(stamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp)) if stamp else "never"


def read_password(prompt: str) -> str:
    """READER_PASSWORD, else a prompt on the terminal; PasswordError when neither."""
    password = os.environ.get("READER_PASSWORD")
    if password:
        return password
    if not sys.stdin.isatty():
        raise PasswordError("no password: run this in a terminal to be asked, or set "
                            "READER_PASSWORD")
    password = getpass.getpass(prompt)
    if not password:
        raise PasswordError("no password given; nothing changed")
    return password


def prompt_password(account: Account) -> str | None:
    """A sync's re-login: READER_PASSWORD, else a prompt when on a terminal, else None."""
    try:
        return read_password(f"password of {account.user} on {account.url}: ")
    except PasswordError:
        return None


def cmd_account(args: argparse.Namespace, library: Library) -> int:
    action = args.account_action
    if action == "list":
        return _list(args, library)
    library.acquire()
    if action == "add":
        if args.url.lower().startswith("http://"):
            _err("warning: http:// sends the password and every article unencrypted; use "
                 "https:// unless the server is on this computer or your own network")
        password = read_password(f"password of {args.user} on {args.url}: ")
        account = library.add_account_blocking(args.kind, args.url, args.user, password,
                                               args.name)
        print(f"added account {account.name} ({account.url}); sync it with: reader sync")
    elif action == "login":
        library.login_account_blocking(args.name, read_password(f"password for {args.name}: "))
        print(f"signed in to {args.name}")
    elif action == "subscribe":
        library.subscribe_on_server(args.name, args.url, args.folder)
        print(f"{args.url}: will be subscribed on {args.name} at the next sync")
    else:
        return _remove(args, library)
    return EXIT_OK


def _list(args: argparse.Namespace, library: Library) -> int:
    feeds = library.feeds()
    rows = []
    for account, state, waiting in library.account_status():
        rows.append({"name": account.name, "kind": account.kind, "url": account.url,
                     "user": account.user,
                     "feeds": sum(f.account == account.name for f in feeds),
                     "last_sync": state.last_sync or None,
                     "last_attempt": state.last_attempt or None,
                     "last_error": state.last_error or None, "waiting_changes": waiting})
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    if not rows:
        print("no accounts; add one with: reader account add greader URL --user NAME")
    for row in rows:
        state = f"synced {_when(row['last_sync'] or 0)}"
        if row["last_error"]:
            state += f"; last sync failed: {row['last_error'].removeprefix(row['name'] + ': ')}"
        if row["waiting_changes"]:
            state += f"; {plural(row['waiting_changes'], 'change')} waiting to be sent"
        print(f"{row['name']}  {row['url']}  {plural(row['feeds'], 'feed')}\n    {state}")
    return EXIT_OK


def _remove(args: argparse.Namespace, library: Library) -> int:
    feeds = [f for f in library.feeds() if f.account == args.name]
    [status] = [s for s in library.account_status() if s[0].name == args.name] or [None]
    if status is None:
        _err(f"error: {args.name}: no such account (see `reader account list`)")
        return EXIT_USAGE
    if not args.yes:
        if not sys.stdin.isatty():
            _err("error: removing an account asks first; run it in a terminal or add --yes")
            return EXIT_USAGE
        lost = f"; {plural(status[2], 'change')} not yet sent will be lost" if status[2] else ""
        answer = input(f"remove {args.name} and its {plural(len(feeds), 'feed')}? bookmarked "
                       f"and annotated articles are kept{lost} [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing removed")
            return EXIT_OK
    removed, waiting = library.remove_account(args.name)
    print(f"removed account {args.name} and {plural(len(removed), 'feed')}; bookmarked and "
          "annotated articles are kept" + (f"; {plural(waiting, 'change')} not sent"
                                           if waiting else ""))
    return EXIT_OK


def _progress(done: int, total: int, result: SyncResult) -> None:
    sys.stderr.write(f"\r\x1b[Ksyncing {done}/{total}")
    sys.stderr.flush()


def _items(account: str, done: int, total: int) -> None:
    sys.stderr.write(f"\r\x1b[Ksyncing {account}: articles {done}/{total}")
    sys.stderr.flush()


def _full_text(library: Library, results: list[SyncResult], show: bool) -> list[Any]:
    """The full text of the new articles of full-text feeds, as after a refresh."""
    new_ids = [i for r in results for i in r.new_ids]
    if not new_ids or library.offline:
        return []
    targets = library.full_text_targets(new_ids)

    def progress(done: int, total: int, result: Any) -> None:
        sys.stderr.write(f"\r\x1b[Kfull text {done}/{total}")
        sys.stderr.flush()

    found = library.fetch_full_blocking(targets, progress if show else None) if targets else []
    if show and targets:
        sys.stderr.write("\r\x1b[K")
    return found


def cmd_sync(args: argparse.Namespace, library: Library) -> int:
    library.acquire()
    if not library.accounts():
        _err("no accounts; add one with: reader account add greader URL --user NAME")
        return EXIT_OK
    show = sys.stderr.isatty() and not args.json
    results = library.sync_blocking(args.names or None, _progress if show else None,
                                    prompt_password, _items if show else None)
    if show:
        sys.stderr.write("\r\x1b[K")
    failed = [r for r in results if r.status == "error"]
    offline = [r for r in results if r.status == "offline"]
    full = [] if args.no_full_text else _full_text(library, results, show)
    if args.json:
        print(json.dumps({"full_text": [{"id": r.article_id, "status": r.status,
                                         "error": r.error or None} for r in full],
                          "accounts": [
            {"name": r.account, "status": r.status, "error": r.error or None, "new": r.new,
             "sent": r.sent, "feeds_added": r.feeds_added, "feeds_removed": r.feeds_removed,
             "read_changed": r.read_changed, "stars_changed": r.stars_changed,
             "requests": r.requests, "warnings": r.warnings or []} for r in results],
            "failed": len(failed), "offline": len(offline)}, ensure_ascii=False, indent=2))
    else:
        for r in results:
            for warning in r.warnings or []:
                _err(f"warning: {r.account}: {warning}")
            if r.status in ("error", "waiting"):
                _err(f"{'error' if r.status == 'error' else 'waiting'}: {r.error}")
            elif r.status == "offline":
                _err(f"offline: {r.account}: " + ("not synced" if library.offline else
                                                  f"{r.error}; nothing changed"))
            else:
                print(f"{r.account}: {plural(r.new, 'new article')}, {r.sent} local "
                      f"{'change' if r.sent == 1 else 'changes'} sent, {r.read_changed} read "
                      f"and {r.stars_changed} star changes from the server"
                      + (f", {plural(r.feeds_added, 'feed')} added" if r.feeds_added else "")
                      + (f", {plural(r.feeds_removed, 'feed')} removed"
                         if r.feeds_removed else ""), flush=True)
        if full:
            bad = [r for r in full if r.status == "error"]
            print(f"full text of new articles: {sum(r.status == 'ok' for r in full)} fetched"
                  + (f", {len(bad)} failed" if bad else ""))
    if failed:
        return EXIT_FAILED
    if offline and not library.offline and len(offline) == len(results):
        return EXIT_OFFLINE
    return EXIT_OK


def synced_first(refresh: Any) -> Any:
    """`reader sync-offline`: the accounts are synced first (their new articles are then
    there to get ready for offline reading), then `refresh` (the CLI's handler) runs. A
    failed sync is said on stderr and makes the exit code 1 when the refresh's is 0."""
    def handler(args: argparse.Namespace, library: Library) -> int:
        library.acquire()
        failed = []
        if library.accounts() and not library.offline:
            show = sys.stderr.isatty() and not args.json
            results = library.sync_blocking(None, _progress if show else None,
                                            prompt_password, _items if show else None)
            if show:
                sys.stderr.write("\r\x1b[K")
            failed = [r for r in results if r.status == "error"]
            for r in results:
                if r.status != "ok":
                    _err(f"sync: {r.error}")
        code = refresh(args, library)
        return EXIT_FAILED if failed and code == EXIT_OK else code
    return handler


COMMANDS = {"account": cmd_account, "sync": cmd_sync}
