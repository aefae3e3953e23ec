"""Pictures for offline reading (issue 18): sync-offline fetches them with [images] offline =
true, cache-info counts them."""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.cli import main
from reader.locations import Paths
from tests.conftest import FeedServer, Route
from tests.hostile.test_images import _feed_with_pictures, picture


def test_sync_offline_fetches_pictures_when_asked(paths: Paths, server: FeedServer,
                                                  tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    server.routes["/a.png"] = Route(picture(80, 60), headers={"Content-Type": "image/png"})
    server.routes["/b.png"] = Route(b"not a picture", headers={"Content-Type": "image/png"})
    feed = tmp_path / "pics.xml"
    feed.write_bytes(_feed_with_pictures([server.url("/a.png"), server.url("/b.png")]))
    assert main(["add", str(feed)]) == 0
    assert main(["sync-offline"]) == 0
    out = capsys.readouterr().out
    assert "pictures" not in out and not server.hits  # not asked for: nothing fetched
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text("[images]\noffline = true\n")
    assert main(["sync-offline"]) == 0
    out = capsys.readouterr().out
    assert "pictures: 1 fetched, 1 failed" in out
    assert main(["sync-offline"]) == 0  # nothing missing any more (the failure is remembered)
    assert "pictures" not in capsys.readouterr().out
    assert len(server.hits) == 2
    assert main(["cache-info"]) == 0
    assert ", pictures " in capsys.readouterr().out
