"""The /indexers/ page in headless Chromium: it loads with the admin token, and the charts are drawn."""

import re

from tests.indexer_stats.conftest import hours_ago, search
from tests.support.browser import dump_dom, screenshot


async def test_the_page_renders_in_chromium(stats, tmp_path):
    await stats.send([search(1, 200, at=hours_ago(h)) for h in (30, 20, 5, 1)] + [search(2, 800, "failure")])
    await stats.settled(5)
    from services.indexer_stats.repository.searches import refresh_percentiles

    await refresh_percentiles(stats.db)
    await stats.service.stats.refresh()
    token = stats.http.headers["Authorization"].removeprefix("Bearer ")
    base = str(stats.http.base_url).replace("http://", f"http://admin:{token}@")

    dom = await dump_dom(f"{base}/indexers/")
    assert "<h1>Indexers</h1>" in dom
    assert re.findall(r'data-indexer="(\d+)"', dom) == ["1", "2"]
    assert dom.count("<svg") == 6 and dom.count("<polyline") >= 4  # indexer 1's lines in both windows
    assert 'class="down"' in dom  # indexer 2: every search failed

    refused = await dump_dom(str(stats.http.base_url) + "/indexers/")  # no credentials: no page
    assert "<h1>Indexers</h1>" not in refused

    image = await screenshot(f"{base}/indexers/", tmp_path / "indexers.png")
    assert image.stat().st_size > 10_000  # something was drawn
