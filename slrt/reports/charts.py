"""Charts drawn on the server as SVG: no script, no library, and colours set through SVG
attributes rather than style attributes (the content security policy forbids inline styles).
Every chart is drawn beside a table with the same numbers, which is what screen readers read."""

from __future__ import annotations

from markupsafe import Markup, escape

BAR = "#0f5e5a"
BAR_ALT = "#8fc4bd"
INK = "#1c2530"
MUTED = "#5b6672"
WIDTH = 320


def _short(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bars(rows: list[tuple[str, int]], limit: int = 8) -> Markup:
    """Horizontal bars, largest first: a label above each bar and its number at the end."""
    rows = rows[:limit]
    if not rows:
        return Markup("")
    top = max(n for _l, n in rows) or 1
    step = 30
    height = step * len(rows) + 4
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-hidden="true" focusable="false" preserveAspectRatio="xMinYMin meet">'
    ]
    for i, (label, n) in enumerate(rows):
        y = i * step
        w = max(round((WIDTH - 48) * n / top), 2 if n else 0)
        parts.append(f'<text x="0" y="{y + 11}" font-size="11" fill="{INK}">{escape(_short(label))}</text>')
        parts.append(f'<rect x="0" y="{y + 15}" width="{w}" height="10" rx="2" fill="{BAR}"/>')
        parts.append(f'<text x="{w + 4}" y="{y + 24}" font-size="10" fill="{MUTED}">{n}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - labels are escaped above, numbers are ours


def columns(rows: list[tuple[str, int, int]], legend: tuple[str, str]) -> Markup:
    """Paired columns over time (e.g. cases and referrals per month), oldest on the left."""
    if not rows:
        return Markup("")
    top = max(max(a, b) for _l, a, b in rows) or 1
    chart_h, base = 120, 140
    slot = (WIDTH - 10) / len(rows)
    bar = max(min(slot / 2 - 2, 14), 2)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} 176" width="100%" role="img" aria-hidden="true" '
        f'focusable="false" preserveAspectRatio="xMinYMin meet">',
        f'<line x1="0" y1="{base}" x2="{WIDTH}" y2="{base}" stroke="{MUTED}" stroke-width="0.5"/>',
    ]
    every = max(1, len(rows) // 6)
    for i, (label, a, b) in enumerate(rows):
        x = 5 + i * slot + (slot - 2 * bar - 1) / 2
        for j, (n, colour) in enumerate(((a, BAR), (b, BAR_ALT))):
            h = round(chart_h * n / top, 1)
            parts.append(
                f'<rect x="{x + j * (bar + 1):.1f}" y="{base - h}" width="{bar:.1f}" '
                f'height="{h}" fill="{colour}"/>'
            )
        if i % every == 0:
            parts.append(
                f'<text x="{5 + i * slot:.1f}" y="{base + 13}" font-size="9" '
                f'fill="{MUTED}">{escape(label)}</text>'
            )
    parts.append(f'<rect x="0" y="163" width="10" height="10" fill="{BAR}"/>')
    parts.append(f'<text x="14" y="172" font-size="10" fill="{INK}">{escape(legend[0])}</text>')
    parts.append(f'<rect x="120" y="163" width="10" height="10" fill="{BAR_ALT}"/>')
    parts.append(f'<text x="134" y="172" font-size="10" fill="{INK}">{escape(legend[1])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - labels are escaped above, numbers are ours
