"""A trial's status and target sample size over its versions, drawn as inline SVG.

Pure: takes data, returns SVG text; every value from a register is escaped here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

WIDTH, HEIGHT = 640, 180
LEFT, RIGHT = 40, 40  # room for the first and last labels
STATUS_TOP, STATUS_HEIGHT = 24, 26
SIZE_TOP, SIZE_HEIGHT = 100, 50
COLOURS = {
    "recruiting": "#2e7d32",
    "not_yet_recruiting": "#7cb342",
    "enrolling_by_invitation": "#558b2f",
    "active_not_recruiting": "#1565c0",
    "authorised": "#00838f",
    "ongoing": "#00838f",
    "completed": "#455a64",
    "ended": "#455a64",
    "suspended": "#f9a825",
    "terminated": "#c62828",
    "withdrawn": "#6a1b9a",
}


@dataclass(frozen=True, slots=True)
class Point:
    at: datetime
    version: int
    status: str | None  # the shared vocabulary, for the colour
    status_text: str | None  # as the register writes it, for the label
    target_size: int | None


def _x(i: int, n: int) -> float:
    if n <= 1:
        return (WIDTH - LEFT - RIGHT) / 2 + LEFT
    return LEFT + i * (WIDTH - LEFT - RIGHT) / (n - 1)


def svg(points: Sequence[Point]) -> str:
    """Status as coloured bands (one per run of versions with the same status) above the
    target sample size as a stepped line with its values."""
    n = len(points)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="Status and target sample '
        'size over the versions" style="font-family:Arial,Helvetica,sans-serif;'
        'font-size:11px">',
        '<text x="0" y="14" fill="#333">Status</text>',
        f'<text x="0" y="{SIZE_TOP - 24}" fill="#333">Target sample size</text>',
    ]
    start = 0
    for i in range(1, n + 1):
        if i < n and points[i].status_text == points[start].status_text:
            continue
        x0 = _x(start, n) if start else 0
        x1 = _x(i, n) if i < n else WIDTH
        if n > 1 and i < n:
            x1 = (_x(i - 1, n) + _x(i, n)) / 2
        if start and n > 1:
            x0 = (_x(start - 1, n) + _x(start, n)) / 2
        colour = COLOURS.get(points[start].status or "", "#9e9e9e")
        label = escape(points[start].status_text or "(none)")
        parts.append(
            f'<rect x="{x0:.1f}" y="{STATUS_TOP}" width="{max(x1 - x0, 1):.1f}" '
            f'height="{STATUS_HEIGHT}" fill="{colour}"><title>{label}</title></rect>'
        )
        parts.append(f'<text x="{x0 + 4:.1f}" y="{STATUS_TOP + 17}" fill="#fff">{label}</text>')
        start = i
    sizes = [p.target_size for p in points if p.target_size is not None]
    if sizes:
        low, high = min(sizes), max(sizes)
        span = (high - low) or 1
        previous: tuple[float, float] | None = None
        for i, p in enumerate(points):
            if p.target_size is None:
                continue
            x = _x(i, n)
            y = SIZE_TOP + SIZE_HEIGHT - (p.target_size - low) / span * SIZE_HEIGHT
            if previous is not None:
                parts.append(
                    f'<polyline points="{previous[0]:.1f},{previous[1]:.1f} '
                    f'{x:.1f},{previous[1]:.1f} {x:.1f},{y:.1f}" fill="none" '
                    'stroke="#1565c0" stroke-width="2"/>'
                )
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#1565c0"/>')
            # Beside the point, not over it: the step's vertical line runs through the point's
            # x. The last label goes to its left, inside the drawing; a white halo keeps it
            # clear of any line it still meets.
            last = i == n - 1
            parts.append(
                f'<text x="{x - 6 if last else x + 6:.1f}" y="{y - 5:.1f}" fill="#1565c0" '
                f'text-anchor="{"end" if last else "start"}" stroke="#fff" stroke-width="3" '
                f'paint-order="stroke">{p.target_size}</text>'
            )
            previous = (x, y)
    for i, p in enumerate(points):
        parts.append(
            f'<text x="{_x(i, n):.1f}" y="{HEIGHT - 4}" fill="#666" '
            f'text-anchor="middle">v{p.version} {p.at:%Y-%m-%d}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
