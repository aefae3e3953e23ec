"""Folders in folders in the feed list: nested rows, counts summed up the tree, folding."""

from __future__ import annotations

from reader.library import Library
from reader.locations import Paths
from reader.models import View
from reader.ui.app import ReaderApp
from tests.conftest import FeedServer, Route, rss
from tests.ui.conftest import make_library
from tests.ui.test_app import SIZE


def prompts(app: ReaderApp) -> list[str]:
    return [app.feed_list.get_option_at_index(i).prompt.plain
            for i in range(app.feed_list.option_count)]


async def test_nested_folders_fold_and_sum_their_counts(paths: Paths,
                                                        server: FeedServer) -> None:
    server.routes["/me"] = Route(rss("Levant", [("1", "a"), ("2", "b")]))
    server.routes["/sy"] = Route(rss("Syria", [("1", "c")]))
    server.routes["/w"] = Route(rss("World", [("1", "d"), ("2", "e"), ("3", "f")]))
    server.routes["/t"] = Route(rss("Tech", [("1", "g")]))
    library: Library = make_library(paths)
    library.add_feed(server.url("/me"), tags=["news/middle-east"])
    library.add_feed(server.url("/sy"), tags=["news/middle-east/syria", "news/middle-east"])
    library.add_feed(server.url("/w"), tags=["news"])
    library.add_feed(server.url("/t"))
    await library.refresh()
    app = ReaderApp(library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert prompts(app)[5:] == [  # past the five virtual feeds
            "▾ news (6)",  # Syria counted once though it is in two folders
            "  ▾ middle-east (3)",
            "    ▾ syria (1)",
            "      Syria (1)",
            "    Levant (2)",
            "    Syria (1)",
            "  World (3)",
            "Tech (1)",
        ]
        app.focus_pane(app.feed_list)
        app.feed_list.select_view(View("tag", "news/middle-east"))
        await pilot.press("enter")  # opens the folder: everything inside it
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert sorted(a.title for a in app.article_list.articles) == ["a", "b", "c"]
        app.focus_pane(app.feed_list)
        await pilot.press("enter")  # again: folds it
        await pilot.pause()
        assert prompts(app)[5:] == ["▾ news (6)", "  ▸ middle-east (3)", "  World (3)",
                                    "Tech (1)"]
        app.feed_list.select_view(View("tag", "news"))
        await pilot.press("enter")
        await pilot.pause()
        app.focus_pane(app.feed_list)
        await pilot.press("enter")
        await pilot.pause()
        assert prompts(app)[5:] == ["▸ news (6)", "Tech (1)"]
    library.release()
