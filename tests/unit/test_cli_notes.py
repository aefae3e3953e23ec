"""The notes commands as a script would use them: output, --json shape, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reader.cli import main
from reader.locations import Paths
from reader.storage import store as files
from reader.storage.store import FileLock
from tests.conftest import FeedServer, Route, rss

NOTE_KEYS = {"id", "article_id", "article_title", "article_link", "feed_title", "text", "quote",
             "created", "edited"}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def ids(paths: Paths, server: FeedServer, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    """Title -> article id of a refreshed two-article feed."""
    server.routes["/a"] = Route(rss("Feed A", [("1", "one"), ("2", "two")]))
    assert run(capsys, "add", server.url("/a"), "--title", "Mine")[0] == 0
    assert run(capsys, "refresh")[0] == 0
    code, out, _ = run(capsys, "articles", "--json")
    return {a["title"]: a["id"] for a in json.loads(out)}


def test_add_list_edit_delete(ids: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    one = ids["one"]
    code, out, err = run(capsys, "note", "add", one[:6], "--text", "first line\nsecond line",
                         "--quote", "Body of one")
    assert code == 0, err
    note_id = out.strip()
    assert len(note_id) == 12 and int(note_id, 16) >= 0  # just the id, for scripts

    code, out, _ = run(capsys, "notes", "--json")
    [note] = json.loads(out)
    assert set(note) == NOTE_KEYS
    assert (note["id"], note["article_id"], note["article_title"], note["feed_title"]) == (
        note_id, one, "one", "Mine")
    assert note["text"] == "first line\nsecond line" and note["quote"] == "Body of one"
    assert note["article_link"] == "https://example.com/1"
    assert note["created"] == note["edited"] and note["created"] > 0

    code, out, _ = run(capsys, "notes")
    assert code == 0 and note_id in out and one in out and "> Body of one" in out
    assert "first line second line" in out

    code, out, _ = run(capsys, "note", "edit", note_id[:6], "--text", "changed")
    assert code == 0 and out.strip() == f"edited {note_id}"
    [note] = json.loads(run(capsys, "notes", "--json")[1])
    assert note["text"] == "changed" and note["quote"] == "Body of one"
    assert note["edited"] >= note["created"]

    code, out, _ = run(capsys, "articles", "--annotated", "--json")
    assert [a["id"] for a in json.loads(out)] == [one]
    code, out, _ = run(capsys, "articles", "--search", "changed")
    assert one in out and ids["two"] not in out

    code, out, _ = run(capsys, "note", "delete", note_id)
    assert code == 0 and out.strip() == f"deleted {note_id}"
    assert json.loads(run(capsys, "notes", "--json")[1]) == []
    code, out, _ = run(capsys, "articles", "--annotated")
    assert code == 0 and out == ""


def test_errors_are_one_line_and_exit_2(ids: dict[str, str],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    for argv, message in (
        (("note", "add", "zzzzzz", "--text", "x"), "error: zzzzzz: no such article"),
        (("note", "add", ids["one"], "--text", " "), "error: a note needs some text"),
        (("note", "edit", "abcdef", "--text", "x"), "error: abcdef: no such note"),
        (("note", "delete", "abcdef"), "error: abcdef: no such note"),
    ):
        code, out, err = run(capsys, *argv)
        assert code == 2 and out == "" and err.startswith(message), (argv, err)
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    for argv in (("note",), ("note", "add", ids["one"]), ("note", "frob"),
                 ("notes", "export")):
        with pytest.raises(SystemExit) as info:
            main(list(argv))
        assert info.value.code == 2
    capsys.readouterr()


def test_writers_wait_for_the_write_lock_then_say_busy(
        ids: dict[str, str], paths: Paths, capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Another reader holding the write lock past the wait: each write says `busy` (exit 4)
    and changes nothing; reading and exporting still work; once it lets go, writes work."""
    note_id = run(capsys, "note", "add", ids["one"], "--text", "kept")[1].strip()
    monkeypatch.setattr(files, "WRITE_WAIT", 0.2)
    holder = FileLock(paths.data_dir / "lock")
    holder.acquire()
    try:
        for argv in (("note", "add", ids["two"], "--text", "x"),
                     ("note", "edit", note_id, "--text", "y"), ("note", "delete", note_id)):
            code, _, err = run(capsys, *argv)
            assert code == 4 and err.startswith("busy: another reader") and "saving" in err
        code, out, _ = run(capsys, "notes", "--json")  # reading and exporting still work
        assert code == 0 and [n["text"] for n in json.loads(out)] == ["kept"]
        code, out, _ = run(capsys, "notes", "export", str(tmp_path / "out"))
        assert code == 0
    finally:
        holder.release()
    assert run(capsys, "note", "edit", note_id, "--text", "y")[0] == 0
    assert [n["text"] for n in json.loads(run(capsys, "notes", "--json")[1])] == ["y"]


def test_export(ids: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    run(capsys, "note", "add", ids["one"], "--text", "my note", "--quote", "the passage")
    run(capsys, "bookmark", ids["two"])
    out_dir = tmp_path / "vault"
    code, out, err = run(capsys, "notes", "export", str(out_dir))
    assert code == 0, err
    assert out.strip() == f"exported 2 files to {out_dir.resolve()}"
    files = {p.name: p.read_text() for p in out_dir.iterdir()}
    assert set(files) == {f"one-{ids['one'][:6]}.md", f"two-{ids['two'][:6]}.md"}
    one = files[f"one-{ids['one'][:6]}.md"]
    assert "> the passage\n\nmy note\n" in one and "## Article" not in one
    assert 'bookmarked: true' in files[f"two-{ids['two'][:6]}.md"]
    code, out, _ = run(capsys, "notes", "export", str(out_dir), "--with-article")
    assert code == 0 and len(list(out_dir.iterdir())) == 2
    assert "## Article" in (out_dir / f"one-{ids['one'][:6]}.md").read_text()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, out, err = run(capsys, "notes", "export", str(blocker))
    assert code == 2 and err.startswith(f"error: {blocker}: cannot export there")


def test_empty_notes_list(paths: Paths, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "notes")
    assert code == 0 and out.startswith("no notes")
    assert json.loads(run(capsys, "notes", "--json")[1]) == []
