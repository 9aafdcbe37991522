"""Charts drawn on the server as inline SVG: no script, no CDN, readable without JavaScript (the indexer and
pool admin pages)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape

PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563")


@dataclass(frozen=True)
class Series:
    label: str
    points: list[tuple[datetime, float | None]]  # None: no data that hour (a gap in the line)


def line_chart(
    title: str,
    series: list[Series],
    *,
    unit: str,
    start: datetime,
    end: datetime,
    width: int = 720,
    height: int = 260,
    empty: str = "no data",
    time_format: str = "%d %b %H:%M",
) -> str:
    """One SVG line chart; time on x from `start` to `end`, values on y from 0 to the largest."""
    left, right, top, bottom = 56, 12, 28, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for s in series for _, v in s.points if v is not None]
    top_value = max(values, default=0.0) or 1.0
    span = max((end - start).total_seconds(), 1.0)

    def x(moment: datetime) -> float:
        return left + plot_w * (moment - start).total_seconds() / span

    def y(value: float) -> float:
        return top + plot_h * (1 - value / top_value)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" role="img" '
        f'aria-label="{escape(title)}" class="chart">',
        f'<text x="{left}" y="18" class="chart-title">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" class="axis"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" class="axis"/>',
    ]
    for fraction in (0.0, 0.5, 1.0):
        value = top_value * fraction
        parts.append(
            f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" class="tick">{value:,.0f}{unit}</text>'
        )
    for moment, anchor in ((start, "start"), (end, "end")):
        parts.append(
            f'<text x="{x(moment):.1f}" y="{height - 12}" text-anchor="{anchor}" class="tick">'
            f"{moment.strftime(time_format)}</text>"
        )
    for index, s in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        segment: list[str] = []
        segments: list[list[str]] = []
        for moment, value in s.points:
            if value is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            segment.append(f"{x(moment):.1f},{y(value):.1f}")
        if segment:
            segments.append(segment)
        for points in segments:
            if len(points) == 1:
                cx, cy = points[0].split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="2.5" fill="{color}"/>')
            else:
                parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(points)}"/>')
        parts.append(
            f'<text x="{left + 8 + 150 * index}" y="{top + 12}" style="fill:{color}" class="legend">'
            f"{escape(s.label)}</text>"
        )
    if not values:
        middle = f'x="{left + plot_w / 2}" y="{top + plot_h / 2}"'
        parts.append(f'<text {middle} text-anchor="middle" class="empty">{escape(empty)}</text>')
    parts.append("</svg>")
    return "".join(parts)
