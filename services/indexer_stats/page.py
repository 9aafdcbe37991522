"""The /indexers/ page: a table of every indexer and charts of p50/p95 response time and success rate per
hour, over 24 hours and 7 days. Server-side HTML and SVG; nothing loaded from elsewhere."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from html import escape

from libs.schemas.indexer_admin import IndexerView
from libs.web.charts import Series, line_chart

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#111;background:#fafafa}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse;background:#fff}th,td{padding:6px 10px;border-bottom:1px solid #e5e7eb;text-align:right}
th:first-child,td:first-child{text-align:left}
.operational{color:#16a34a}.degraded{color:#d97706}.down{color:#dc2626}
.chart{background:#fff;border:1px solid #e5e7eb;margin:8px 8px 0 0;max-width:100%}
.chart-title{font-weight:600;font-size:13px}.tick,.legend{font-size:11px;fill:#4b5563}.legend{font-weight:600}
.axis{stroke:#9ca3af}.empty{fill:#9ca3af}
"""


def _cell(value: object, suffix: str = "") -> str:
    return "–" if value is None else f"{escape(str(value))}{suffix}"


def _success_rate(hour) -> float | None:
    return 100.0 * hour.successful_requests / hour.total_requests if hour.total_requests else None


def _sources(view: IndexerView) -> str:
    """Who searched it: stream-proxy, and each application through Prowlarr, with its grabs."""
    parts = []
    for s in view.sources:
        text = f"{escape(s.source)}: {s.searches24h} searches"
        if s.avg_ms is not None:
            text += f", {s.avg_ms} ms"
        if s.grabs24h:
            text += f", {s.grabs24h} grabs"
        parts.append(text)
    return "<br>".join(parts) or "—"


def render(views: list[IndexerView], hourly: list, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    rows = "".join(
        f'<tr data-indexer="{v.id}"><td>{escape(v.name)}</td><td class="{v.status}">{v.status}</td>'
        f"<td>{'yes' if v.enabled else 'no'}</td><td>{v.requests24h}</td><td>{_cell(v.success_rate, ' %')}</td>"
        f"<td>{_cell(v.avg_ms, ' ms')}</td><td>{_cell(v.p50_ms, ' ms')}</td><td>{_cell(v.p95_ms, ' ms')}</td>"
        f'<td>{v.suggested_timeout_ms} ms</td><td class="sources">{_sources(v)}</td></tr>'
        for v in views
    )
    sections = []
    for label, hours in (("Last 24 hours", 24), ("Last 7 days", 24 * 7)):
        start = now - timedelta(hours=hours)
        by_indexer: dict[str, list] = defaultdict(list)
        for r in hourly:
            if r.hour_bucket > start:
                by_indexer[r.indexer_name].append(r)

        def series(pick, by_indexer=by_indexer) -> list[Series]:
            return [Series(name, [(r.hour_bucket, pick(r)) for r in rows]) for name, rows in by_indexer.items()]

        measures = [
            ("p50 response time", lambda r: r.p50_response_time, " ms"),
            ("p95 response time", lambda r: r.p95_response_time, " ms"),
            (
                "success rate",
                lambda r: 100.0 * r.successful_requests / r.total_requests if r.total_requests else None,
                " %",
            ),
        ]
        charts = [
            line_chart(title, series(pick), unit=unit, start=start, end=now, empty="no searches")
            for title, pick, unit in measures
        ]
        sections.append(f'<section data-window="{hours}h"><h2>{label}</h2>{"".join(charts)}</section>')
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>Chillproxy · indexers</title><style>{_STYLE}</style></head><body>"
        "<h1>Indexers</h1>"
        "<table><thead><tr><th>Indexer</th><th>Status</th><th>Enabled</th><th>Searches 24 h</th><th>Success</th>"
        f"<th>Average</th><th>p50</th><th>p95</th><th>Timeout</th><th>Searched by (24 h)</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        f"{''.join(sections)}"
        f'<p><small>Updated {now:%Y-%m-%d %H:%M:%S} UTC · JSON: <a href="api/indexers">api/indexers</a>, '
        '<a href="api/global">api/global</a></small></p></body></html>'
    )
