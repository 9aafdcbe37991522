"""The /indexers/ page: server-side SVG charts, no outside resources, the admin token as a Basic password."""

import base64
import re
import xml.etree.ElementTree as ET

from libs.web.charts import Series, line_chart
from tests.indexer_stats.conftest import hours_ago, search


def basic(token: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"admin:{token}".encode()).decode()}


async def test_the_page_shows_every_indexer_and_six_charts(stats):
    await stats.send([search(1, 200, at=hours_ago(30)), search(1, 300), search(3, 900, "failure")])
    await stats.settled(3)
    from services.indexer_stats.repository.searches import refresh_percentiles

    await refresh_percentiles(stats.db)
    await stats.service.stats.refresh()
    token = stats.http.headers["Authorization"].removeprefix("Bearer ")
    response = await stats.http.get("/indexers/", headers=basic(token))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    html = response.text
    assert html.count("<svg") == 6 and 'data-window="24h"' in html and 'data-window="168h"' in html
    assert re.findall(r'data-indexer="(\d+)"', html) == ["1", "3"]
    assert not re.search(r'(src|href)="https?://', html)  # nothing from elsewhere
    for svg in re.findall(r"<svg.*?</svg>", html, re.S):
        ET.fromstring(svg)  # each chart is well-formed SVG
    seven_days = html.split('data-window="168h"')[1]
    assert "polyline" in seven_days  # two hours of indexer 1 in the 7-day window make a line


async def test_the_page_asks_the_browser_for_the_token(stats):
    response = await stats.http.get("/indexers/", headers={"Authorization": ""})
    assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Basic")
    assert (await stats.http.get("/indexers/", headers=basic("wrong"))).status_code == 403
    assert (await stats.http.get("/indexers/", headers={"Authorization": "Basic !!"})).status_code == 403
    redirect = await stats.http.get("/indexers", follow_redirects=False)
    assert redirect.status_code == 308 and redirect.headers["location"] == "/indexers/"


def test_a_chart_leaves_gaps_and_escapes_names():
    start, end = hours_ago(3), hours_ago(0)
    svg = line_chart(
        "t",
        [Series("<b>&x", [(hours_ago(3), 1.0), (hours_ago(2), None), (hours_ago(1), 2.0), (hours_ago(0.5), 3.0)])],
        unit=" ms",
        start=start,
        end=end,
    )
    ET.fromstring(svg)
    assert "&lt;b&gt;&amp;x" in svg and svg.count("<circle") == 1 and svg.count("<polyline") == 1
    assert "no searches" in line_chart("t", [], unit="", start=start, end=end, empty="no searches")
