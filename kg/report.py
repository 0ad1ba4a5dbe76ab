"""A self-contained visual report of recurring issues: one HTML file, inline CSS and SVG.

Why one file with nothing external: it is mailed, archived and opened offline by people who
do not run the tool, so it must need no network, no fonts and no scripts (it has no script at
all). Every chart is SVG drawn here from ``kg.analytics`` results, which are read from the
store by SPARQL.

Layout: an index (authorities sorted by number of recurring themes, each linked to its
section), a national section (most recurrent themes, authorities by recurring themes, longest
and most frequent chains, the inspector network picture, similar authorities, themes raised
together) and one section per authority (timeline of visits, theme x year heatmap of what it
was told to improve, judgement history per framework, recurring issues with a quote from each
visit and where the quote stands in its source file, and the inspectors). Long lists show the
top N and summarise the rest, so the file stays readable for hundreds of reports.
"""

from __future__ import annotations

import html
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import networkx as nx
import pyoxigraph as ox

from kg import families
from kg.analytics import (
    AnalyticsError,
    Include,
    InspectorNetwork,
    Item,
    Judgement,
    Projection,
    Quote,
    RecurrenceChain,
    Visit,
    authority_similarity,
    chains_by_authority,
    inspector_network,
    load,
    longest_running,
    most_frequent,
    quotes_for,
    recurrence_chains,
    recurrent_themes,
    resolve_authority,
    theme_cooccurrence,
)
from kg.errors import quoted
from kg.version import __version__

# Grade notation (1 outstanding .. 4 inadequate) -> cell colour.
GRADE_COLOURS = {1: "#1a9850", 2: "#91cf60", 3: "#fee08b", 4: "#d73027"}

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
 margin:0;color:#1b1b1b;background:#fafafa;line-height:1.45}
main{max-width:1000px;margin:0 auto;padding:1rem 1.5rem 4rem}
header{background:#1d3557;color:#fff;padding:1.2rem 1.5rem}
header h1{margin:0 0 .3rem;font-size:1.5rem} header p{margin:0;opacity:.9}
h2{border-bottom:2px solid #1d3557;padding-bottom:.2rem;margin-top:2.5rem}
h3{margin:1.6rem 0 .5rem;color:#1d3557} h4{margin:1rem 0 .3rem}
section.authority{background:#fff;border:1px solid #ddd;border-radius:6px;padding:0 1.2rem 1rem;
 margin:2rem 0}
table{border-collapse:collapse;margin:.4rem 0;font-size:.92rem}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#eef2f7;white-space:nowrap} td.num,th.num{text-align:right}
.grade{font-size:.85rem;white-space:nowrap} .nowrap{white-space:nowrap}
.note{color:#555;font-size:.9rem} .back{font-size:.85rem}
ol.chain{padding-left:1.2rem} ol.chain li{margin:.35rem 0}
q{font-style:italic} q::before{content:"\\201C"} q::after{content:"\\201D"}
cite{display:block;font-style:normal;font-size:.8rem;color:#555}
.facts span{display:inline-block;margin-right:1.2rem}
svg{max-width:100%;height:auto;display:block;margin:.3rem 0}
svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
details summary{cursor:pointer;color:#1d3557;margin:.4rem 0}
code{font-size:.8rem;color:#555;word-break:break-all}
"""


@dataclass(frozen=True)
class ReportSummary:
    """What a written report holds (for the command's closing line and for tests)."""

    path: Path | None
    authorities: int
    visits: int
    chains: int
    bytes: int
    seconds: float


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _gss(authority_iri: str) -> str:
    return authority_iri.rsplit("/", 1)[-1]


def anchor(authority_iri: str) -> str:
    """The id of an authority's section: ``authority-<GSS code>``."""
    return "authority-" + _gss(authority_iri)


def _kind(kind: str) -> str:
    return families.label(kind)


def _clip(text: str, width: int = 42) -> str:
    """A label short enough for a chart axis (the full text goes in the tooltip)."""
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


# ------------------------------------------------------------------------------- charts


def bar_chart(
    rows: Sequence[tuple[str, float, str | None, str]],
    *,
    title: str,
    unit: str,
    colour: str = "#457b9d",
    width: int = 900,
) -> str:
    """A horizontal bar chart: (label, value, link target or None, note) per row."""
    if not rows:
        return '<p class="note">Nothing to show.</p>'
    label_w, row_h, note_w = 300, 22, 240
    top = max(v for _, v, _, _ in rows) or 1
    bar_w = width - label_w - note_w
    height = row_h * len(rows) + 8
    parts = [
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{_e(title)}"><title>{_e(title)}</title>'
    ]
    for i, (label, value, href, note) in enumerate(rows):
        y = 4 + i * row_h
        w = max(1.0, bar_w * value / top)
        text = (
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="13">'
            f"{_e(_clip(label))}<title>{_e(label)}</title></text>"
        )
        if href:
            text = f'<a href="#{_e(href)}">{text}</a>'
        parts.append(text)
        parts.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" '
            f'fill="{colour}"><title>{_e(label)}: {value:g} {_e(unit)}</title></rect>'
        )
        parts.append(
            f'<text x="{label_w + w + 5:.1f}" y="{y + 15}" font-size="12">'
            f"{value:g} {_e(note)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def heatmap(
    data: Projection, items: Iterable[Item], *, title: str, max_rows: int = 25, key: str = "heatmap"
) -> str:
    """Theme x year: how many recommendations (or findings) raised each theme each year.

    Empty cells are one patterned rectangle per row (``key`` makes the pattern's id unique in
    the page), so a national report does not carry tens of thousands of blank squares."""
    counts: dict[str, Counter[int]] = defaultdict(Counter)
    for item in items:
        year = data.visits[item.visit].year
        for theme in item.themes:
            counts[theme][year] += 1
    if not counts:
        return '<p class="note">No recommendations in this period.</p>'
    visit_years = [v.year for v in data.visits.values()]
    years = list(range(min(visit_years), max(visit_years) + 1))
    themes = sorted(counts, key=lambda t: (-sum(counts[t].values()), data.theme_label(t)))
    hidden = themes[max_rows:]
    themes = themes[:max_rows]
    top = max(max(c.values()) for c in counts.values())
    label_w, cell, head = 300, max(24, min(40, 600 // len(years))), 24
    width, height = label_w + cell * len(years) + 10, head + cell * len(themes) + 6
    pattern = f"cells-{key}"
    parts = [
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{_e(title)}"><title>{_e(title)}</title>'
        f'<defs><pattern id="{pattern}" x="{label_w}" y="{head}" width="{cell}" '
        f'height="{cell}" patternUnits="userSpaceOnUse"><rect width="{cell - 2}" '
        f'height="{cell - 2}" fill="#f4f4f4"/></pattern></defs>'
    ]
    every = 1 if cell >= 30 else 2
    for j, year in enumerate(years):
        if j % every == 0 or year == years[-1]:
            x = label_w + j * cell + (cell - 2) / 2
            parts.append(
                f'<text x="{x:.0f}" y="{head - 8}" font-size="11" '
                f'text-anchor="middle">{year}</text>'
            )
    for i, theme in enumerate(themes):
        y = head + i * cell
        parts.append(
            f'<text x="{label_w - 6}" y="{y + cell / 2 + 4:.0f}" font-size="12" '
            f'text-anchor="end">{_e(_clip(data.theme_label(theme)))}'
            f"<title>{_e(data.theme_label(theme))}</title></text>"
            f'<rect x="{label_w}" y="{y}" width="{cell * len(years)}" height="{cell}" '
            f'fill="url(#{pattern})"/>'
        )
        for j, year in enumerate(years):
            n = counts[theme][year]
            if n == 0:
                continue
            shade = _red(n / top)
            tip = f"{data.theme_label(theme)}, {year}: {_plural(n, 'item')}"
            parts.append(
                f'<rect x="{label_w + j * cell}" y="{y}" width="{cell - 2}" '
                f'height="{cell - 2}" fill="{shade}" data-theme="{_e(theme)}">'
                f"<title>{_e(tip)}</title></rect>"
            )
            ink = "#fff" if n / top > 0.55 else "#222"
            parts.append(
                f'<text x="{label_w + j * cell + (cell - 2) / 2:.0f}" '
                f'y="{y + cell / 2 + 3:.0f}" font-size="11" text-anchor="middle" '
                f'fill="{ink}">{n}</text>'
            )
    parts.append("</svg>")
    if hidden:
        parts.append(
            f'<p class="note">and {_plural(len(hidden), "more theme")} raised less '
            f"often: {_e(', '.join(data.theme_label(t) for t in hidden))}.</p>"
        )
    return "".join(parts)


def _red(fraction: float) -> str:
    """White to dark red."""
    f = 0.2 + 0.8 * max(0.0, min(1.0, fraction))
    r, g, b = 255 - int(f * (255 - 165)), 255 - int(f * 255), 255 - int(f * (255 - 38))
    return f"#{r:02x}{g:02x}{b:02x}"


def timeline(visits: Sequence[Visit], *, title: str, width: int = 900) -> str:
    """Visits on a time axis, coloured by kind; labels staggered so they do not overlap."""
    if not visits:
        return '<p class="note">No visits in this period.</p>'
    first, last = visits[0].year, visits[-1].year + 1
    left, right = 20, width - 20
    span = max(1, last - first)

    def x_of(v: Visit) -> float:
        parts = [int(p) for p in v.start[:10].split("-")] + [7, 1]
        return left + (right - left) * (parts[0] - first + (parts[1] - 1) / 12) / span

    rows = 4
    axis = 40
    parts = [f'<line x1="{left}" y1="{axis}" x2="{right}" y2="{axis}" stroke="#888"/>']
    for year in range(first, last + 1):
        x = left + (right - left) * (year - first) / span
        parts.append(
            f'<line x1="{x:.1f}" y1="{axis - 4}" x2="{x:.1f}" y2="{axis + 4}" '
            f'stroke="#888"/><text x="{x:.1f}" y="{axis - 10}" font-size="11" '
            f'text-anchor="middle">{year}</text>'
        )
    ends: list[float] = [-1e9] * rows
    used = 1
    for v in visits:
        x = x_of(v)
        label = f"{v.start} {_kind(v.kind)}"
        w = 6.2 * len(label)
        # Labels run right of their mark, or left of it near the right edge.
        start, anchor_at = (x, "start") if x + w <= width else (x - w, "end")
        row = next(
            (r for r in range(rows) if ends[r] < start - 6), min(range(rows), key=ends.__getitem__)
        )
        ends[row] = start + w
        used = max(used, row + 1)
        y = axis + 22 + row * 26
        colour = families.BY_KIND[v.kind].colour if v.kind in families.BY_KIND else "#555"
        parts.append(
            f'<g data-visit="{_e(v.iri)}"><title>{_e(label)}</title>'
            f'<line x1="{x:.1f}" y1="{axis}" x2="{x:.1f}" y2="{y - 8}" '
            f'stroke="{colour}" stroke-dasharray="2,2"/>'
            f'<circle cx="{x:.1f}" cy="{axis}" r="6" fill="{colour}"/>'
            f'<text x="{x:.1f}" y="{y}" font-size="11" fill="{colour}" '
            f'text-anchor="{anchor_at}">{_e(label)}</text></g>'
        )
    height = axis + 30 + used * 26
    return (
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{_e(title)}"><title>{_e(title)}</title>'
        + "".join(parts)
        + "</svg>"
    )


def spring_layout(
    graph: nx.Graph, seed: int = 42, iterations: int = 120
) -> dict[str, tuple[float, float]]:
    """Fruchterman-Reingold force layout in plain Python, seeded: the same graph always gets
    the same picture. (networkx's ``spring_layout`` needs numpy, which the project does not
    otherwise depend on; the pictures here have at most a few dozen nodes.)"""
    import random

    nodes = sorted(graph.nodes)
    rng = random.Random(seed)
    pos = {n: [rng.random(), rng.random()] for n in nodes}
    k = 1.4 / math.sqrt(len(nodes))
    edges = [(u, v, min(3.0, float(a.get("weight", 1)))) for u, v, a in graph.edges(data=True)]
    temperature = 0.1
    for _ in range(iterations):
        move = {n: [0.0, 0.0] for n in nodes}
        for i, u in enumerate(nodes):
            pu, mu = pos[u], move[u]
            for v in nodes[i + 1 :]:
                dx, dy = pu[0] - pos[v][0], pu[1] - pos[v][1]
                d2 = max(dx * dx + dy * dy, 1e-6)
                f = k * k / d2  # repulsion k^2/d, along the unit vector (dx, dy)/d
                mu[0] += dx * f
                mu[1] += dy * f
                move[v][0] -= dx * f
                move[v][1] -= dy * f
        for u, v, w in edges:
            dx, dy = pos[u][0] - pos[v][0], pos[u][1] - pos[v][1]
            d = math.sqrt(dx * dx + dy * dy) or 1e-3
            f = w * d / k  # attraction d^2/k, along the unit vector
            move[u][0] -= dx * f
            move[u][1] -= dy * f
            move[v][0] += dx * f
            move[v][1] += dy * f
        for n in nodes:
            mx, my = move[n]
            length = math.sqrt(mx * mx + my * my) or 1e-9
            step = min(length, temperature)
            pos[n][0] += mx / length * step
            pos[n][1] += my / length * step
        temperature = max(0.002, temperature * 0.96)
    return {n: (p[0], p[1]) for n, p in pos.items()}


def packed_layout(graph: nx.Graph, seed: int = 42) -> tuple[dict[str, tuple[float, float]], float]:
    """Positions in the unit square and the height/width ratio they need: each connected
    component gets a seeded spring layout in a box whose side grows with the square root of
    its size, and the boxes are packed in rows (largest first), so small components do not
    drift to the far corners as they do in one spring layout of the whole graph."""
    components = sorted(
        (sorted(c) for c in nx.connected_components(graph)), key=lambda c: (-len(c), c[0])
    )
    total = sum(len(c) for c in components)
    row_width = max(math.sqrt(len(components[0])), 1.3 * math.sqrt(total))
    boxes: list[tuple[list[str], float, float, float]] = []  # nodes, x, y, side
    x = y = row_height = 0.0
    for nodes in components:
        side = math.sqrt(len(nodes)) if len(nodes) > 1 else 0.8
        if x > 0 and x + side > row_width + 1e-9:
            x, y, row_height = 0.0, y + row_height, 0.0
        boxes.append((nodes, x, y, side))
        x += side
        row_height = max(row_height, side)
    width = max(bx + side for _, bx, _, side in boxes)
    height = y + row_height
    positions: dict[str, tuple[float, float]] = {}
    for nodes, bx, by, side in boxes:
        sub = graph.subgraph(nodes)
        raw = spring_layout(sub, seed=seed) if len(nodes) > 1 else {nodes[0]: (0.0, 0.0)}
        xs = [p[0] for p in raw.values()]
        ys = [p[1] for p in raw.values()]
        for n, (px, py) in raw.items():
            fx = (px - min(xs)) / ((max(xs) - min(xs)) or 1) if len(nodes) > 1 else 0.5
            fy = (py - min(ys)) / ((max(ys) - min(ys)) or 1) if len(nodes) > 1 else 0.5
            # 15% margin inside each box keeps neighbouring components apart.
            positions[n] = (
                (bx + side * (0.15 + 0.7 * fx)) / width,
                (by + side * (0.15 + 0.7 * fy)) / height,
            )
    return positions, height / width


def network_picture(
    network: InspectorNetwork,
    *,
    title: str,
    max_inspectors: int = 40,
    max_authorities: int = 15,
    width: int = 900,
    height: int = 620,
) -> str:
    """The inspector network (co-inspection edges), drawn with a seeded spring layout so the
    same graph always gives the same picture. Authorities are drawn (as squares, linked to
    their inspectors) when there are few enough of them to stay readable."""
    graph = network.graph
    inspectors = sorted(
        (n for n, a in graph.nodes(data=True) if a["type"] == "inspector"),
        key=lambda n: (-graph.nodes[n]["visits"], graph.nodes[n]["label"]),
    )
    shown = inspectors[:max_inspectors]
    authorities = sorted(
        {a for n in shown for a in graph.neighbors(n) if graph.nodes[a]["type"] == "authority"}
    )
    with_authorities = len(authorities) <= max_authorities
    nodes = shown + (authorities if with_authorities else [])
    if not nodes:
        return '<p class="note">No inspectors in this period.</p>'
    sub = graph.subgraph(nodes)
    pos, aspect = packed_layout(sub)
    pad = 70
    height = max(260, min(height, int((width - 2 * pad) * aspect) + 60))

    def xy(n: str) -> tuple[float, float]:
        return pad + pos[n][0] * (width - 2 * pad), 30 + pos[n][1] * (height - 60)

    parts = [
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{_e(title)}"><title>{_e(title)}</title>'
    ]
    for u, v, a in sorted(sub.edges(data=True), key=lambda e: (e[0], e[1])):
        (x1, y1), (x2, y2) = xy(u), xy(v)
        colour = "#9bb7d4" if a["relation"] == "co-inspected" else "#e0b0a0"
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            f'stroke="{colour}" stroke-width="{min(6, 0.8 + a["weight"]):.1f}">'
            f"<title>{_e(sub.nodes[u]['label'])} – {_e(sub.nodes[v]['label'])}: "
            f"{_plural(a['weight'], 'visit')}</title></line>"
        )
    label_limit = 25
    most = max([sub.nodes[n]["visits"] for n in shown] + [1])
    for rank, n in enumerate(nodes):
        a = sub.nodes[n]
        x, y = xy(n)
        if a["type"] == "authority":
            parts.append(
                f'<g data-iri="{_e(n)}"><a href="#{anchor(n)}"><rect x="{x - 7:.1f}" '
                f'y="{y - 7:.1f}" width="14" height="14" fill="#e76f51"/>'
                f'<text x="{x:.1f}" y="{y + 20:.1f}" font-size="12" font-weight="600" '
                f'text-anchor="middle">{_e(a["label"])}</text></a>'
                f"<title>{_e(a['label'])}</title></g>"
            )
            continue
        r = 4 + 12 * math.sqrt(a["visits"] / most)
        fill = "#1d3557" if a["lead_visits"] else "#457b9d"
        label = (
            (
                f'<text x="{x:.1f}" y="{y - r - 3:.1f}" font-size="11" text-anchor="middle">'
                f"{_e(a['label'])}</text>"
            )
            if rank < label_limit
            else ""
        )
        parts.append(
            f'<g data-iri="{_e(n)}"><circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" '
            f'fill="{fill}"><title>{_e(a["label"])}: '
            f"{_plural(a['visits'], 'visit')}, lead on {a['lead_visits']}</title>"
            f"</circle>{label}</g>"
        )
    parts.append("</svg>")
    notes = [
        f"{len(shown)} of {_plural(len(inspectors), 'inspector')} "
        "(most visits first; circle area by visits; dark: led at least one visit)"
    ]
    if with_authorities:
        notes.append("squares: authorities, linked to the inspectors who visited them")
    else:
        notes.append(f"{len(authorities)} authorities visited by them are not drawn")
    notes.append("lines between inspectors: visits made together (thicker: more)")
    parts.append(f'<p class="note">{_e("; ".join(notes))}.</p>')
    return "".join(parts)


# ------------------------------------------------------------------------------ sections


def _quote_html(item: Item, quotes: dict[str, tuple[Quote, ...]]) -> str:
    """The item's words from its first source, with file name and character offsets."""
    found = quotes.get(item.iri, ())
    if not found:
        return "<cite>(no quote: the graph records no position for it)</cite>"
    first, others = found[0], found[1:]
    where = (
        f'<span class="source">{_e(first.file_name)}</span>, characters '
        f'<span class="position">{first.start}–{first.end}</span>'
    )
    also = "".join(f"; also {_e(q.file_name)}, characters {q.start}–{q.end}" for q in others)
    return f"<q>{_e(first.exact)}</q><cite>{where}{also}</cite>"


def _pick(items: Sequence[Item]) -> Item:
    """The quote to show for a visit: a recommendation if there is one, else a finding."""
    return min(items, key=lambda i: (i.told_by != "recommendation", i.iri))


def _chain_html(chain: RecurrenceChain, quotes: dict[str, tuple[Quote, ...]]) -> str:
    gaps = ", ".join(f"{g:g}" for g in chain.gaps)
    head = (
        f'<h4 data-theme="{_e(chain.theme)}">{_e(chain.theme_label)}: '
        f"{chain.first_year} → {chain.last_year} "
        f'<span class="note">({_plural(chain.visits, "visit")}; '
        f"{'gap' if len(chain.gaps) == 1 else 'gaps'} of {gaps} years)</span></h4>"
    )
    links = []
    for link in chain.links:
        item = _pick(link.items)
        how = "recommendation" if item.told_by == "recommendation" else "weakness finding"
        links.append(
            f'<li data-visit="{_e(link.visit.iri)}"><b>{_e(link.visit.start)}</b> '
            f"{_e(_kind(link.visit.kind))} ({how}): {_quote_html(item, quotes)}</li>"
        )
    return head + '<ol class="chain">' + "".join(links) + "</ol>"


def _judgements_html(data: Projection, visits: Sequence[Visit], shown: int = 8) -> str:
    """One table per framework: areas down (overall effectiveness first; past ``shown`` rows
    the rest fold away), that framework's visits across, grades in cells."""
    mine = {v.iri for v in visits}
    by_scale: dict[str, list] = defaultdict(list)
    for j in data.judgements:
        if j.visit in mine:
            by_scale[j.scale_label or j.scale or "other"].append(j)
    if not by_scale:
        return (
            '<p class="note">No graded judgements in this period (focused and monitoring '
            "visits are not graded).</p>"
        )
    out = []
    for scale, judgements in sorted(
        by_scale.items(), key=lambda kv: min(data.visits[j.visit].start for j in kv[1])
    ):
        cols = sorted({j.visit for j in judgements}, key=lambda v: data.visits[v].start)
        rows: dict[str, dict[str, Judgement]] = {}
        for j in sorted(judgements, key=lambda j: (j.section or "", j.iri)):
            area = f"{j.section}: {j.area}" if j.section else j.area
            rows.setdefault(area, {})[j.visit] = j
        overall = sorted(rows, key=lambda a: ("overall effectiveness" not in a.lower(), a))
        head = "".join(f"<th>{_e(data.visits[v].start)}</th>" for v in cols)
        body: list[str] = []
        for area in overall:
            cells = []
            for v in cols:
                cell = rows[area].get(v)
                if cell is None:
                    cells.append("<td></td>")
                else:
                    colour = GRADE_COLOURS.get(cell.notation or 0, "#eee")
                    cells.append(
                        f'<td class="grade" style="background:{colour}" '
                        f'data-grade="{_e(cell.grade)}">{_e(cell.grade_label)}</td>'
                    )
            body.append(f"<tr><td>{_e(area)}</td>{''.join(cells)}</tr>")
        header = f"<tr><th>judgement area</th>{head}</tr>"
        out.append(f"<h4>{_e(scale)}</h4><table>{header}{''.join(body[:shown])}</table>")
        if len(body) > shown:
            out.append(
                f"<details><summary>{_plural(len(body) - shown, 'more judgement area')}"
                f"</summary><table>{header}{''.join(body[shown:])}</table></details>"
            )
    return "".join(out)


@dataclass
class _SectionData:
    """Everything the sections share, grouped by authority once (not re-filtered per
    section: at national scale that was most of the rendering time)."""

    data: Projection
    include: Include
    top: int
    network: InspectorNetwork
    quotes: dict[str, tuple[Quote, ...]]
    chains_of: dict[str, list[RecurrenceChain]]
    visits_of: dict[str, list[Visit]]
    told_of: dict[str, list[Item]]
    leads: set[tuple[str, str]]
    inspectors_of: dict[str, dict[str, list[Visit]]]  # authority -> inspector -> visits

    @classmethod
    def make(
        cls,
        data: Projection,
        include: Include,
        top: int,
        network: InspectorNetwork,
        quotes: dict[str, tuple[Quote, ...]],
        chains: Iterable[RecurrenceChain],
    ) -> _SectionData:
        chains_of: dict[str, list[RecurrenceChain]] = defaultdict(list)
        for chain in chains:
            chains_of[chain.authority].append(chain)
        visits_of: dict[str, list[Visit]] = defaultdict(list)
        for v in sorted(data.visits.values(), key=lambda v: (v.start, v.iri)):
            visits_of[v.authority].append(v)
        told_of: dict[str, list[Item]] = defaultdict(list)
        for item in data.told(include):
            told_of[data.visits[item.visit].authority].append(item)
        leads = {(r.visit, r.inspector) for r in data.inspectors if r.lead}
        inspectors_of: dict[str, dict[str, list[Visit]]] = defaultdict(dict)
        for inspector in network.inspectors:
            for iri in inspector.visits:
                visit = data.visits[iri]
                inspectors_of[visit.authority].setdefault(inspector.iri, []).append(visit)
        return cls(
            data, include, top, network, quotes, chains_of, visits_of, told_of, leads, inspectors_of
        )


def _inspectors_html(ctx: _SectionData, authority: str) -> str:
    rows = []
    here = ctx.inspectors_of.get(authority, {})
    for inspector in ctx.network.inspectors:
        visits = here.get(inspector.iri)
        if not visits:
            continue
        cells = ", ".join(
            f"{v.start} {_kind(v.kind)}"
            + (" (lead)" if (v.iri, inspector.iri) in ctx.leads else "")
            for v in visits
        )
        elsewhere = len(inspector.authorities) - 1
        rows.append(
            (
                -len(visits),
                inspector.name,
                f'<tr data-iri="{_e(inspector.iri)}"><td>{_e(inspector.name)}</td>'
                f'<td class="num">{len(visits)}</td><td>{_e(cells)}</td>'
                f'<td class="num">{elsewhere}</td></tr>',
            )
        )
    if not rows:
        return '<p class="note">No inspectors named in this period.</p>'
    rows.sort()
    return (
        "<table><tr><th>inspector</th><th class=num>visits here</th><th>visits</th>"
        "<th class=num>other authorities visited</th></tr>"
        + "".join(r for _, _, r in rows)
        + "</table>"
    )


# How the report names the partner bodies (kg.vocab.BODIES).
_BODY_LABELS = {
    "board": "safeguarding board",
    "health": "NHS bodies",
    "police": "police",
    "partners": "partner agencies",
}


def _partners_html(ctx: _SectionData, authority: str, shown: int = 12) -> str:
    """The points of its safeguarding board and other partners, apart from the council's:
    the recommendations addressed only to them, and (with weaknesses) the weakness findings
    of a review of the board. None of them is counted above."""
    visits = ctx.data.visits
    points = [p for p in ctx.data.partner_items if visits[p.visit].authority == authority]
    if not points:
        return ""
    rows = [
        f'<tr data-iri="{_e(p.iri)}"><td class="nowrap">{_e(visits[p.visit].start)}</td>'
        f"<td>{_e(_kind(visits[p.visit].kind))}</td>"
        f"<td>{_e(', '.join(_BODY_LABELS.get(b, b) for b in p.bodies))}</td>"
        f"<td>{'recommendation' if p.told_by == 'recommendation' else 'weakness finding'}</td>"
        f"<td>{_e(p.text)}</td></tr>"
        for p in points
    ]
    header = "<tr><th>visit</th><th>kind</th><th>told / about</th><th>item</th><th>text</th></tr>"
    out = [
        '<h3 class="partners">Its safeguarding board and partners</h3>'
        f'<p class="note">{_plural(len(points), "item")} addressed to the safeguarding board or '
        "other partner bodies and not to the council (\u201cThe LSCB should\u2026\u201d, "
        "\u201cNHS \u2026 should\u2026\u201d), or found by a review of the board: not counted "
        "above as what the council was told.</p>",
        f'<table class="partners">{header}{"".join(rows[:shown])}</table>',
    ]
    if len(rows) > shown:
        out.append(
            f"<details><summary>{_plural(len(rows) - shown, 'more item')}</summary>"
            f'<table class="partners">{header}{"".join(rows[shown:])}</table></details>'
        )
    return "".join(out)


def _authority_section(ctx: _SectionData, authority: str) -> str:
    data, include, top, quotes = ctx.data, ctx.include, ctx.top, ctx.quotes
    chains, network = ctx.chains_of.get(authority, []), ctx.network
    visits = ctx.visits_of[authority]
    name = visits[0].authority_name
    told = ctx.told_of.get(authority, [])
    what = (
        "recommendations"
        if include == "recommendations"
        else "recommendations and weakness findings"
    )
    repeats = [r for r in network.repeat_visits if r.authority == authority]
    parts = [
        f'<section class="authority" id="{anchor(authority)}" data-iri="{_e(authority)}">',
        f"<h2>{_e(name)}</h2>",
        '<a class="back" href="#index">↑ index</a>',
        f'<p class="facts"><span>{_plural(len(visits), "visit")}, {visits[0].year}–'
        f"{visits[-1].year}</span><span>{_plural(len(told), 'item')} of {what}</span>"
        f"<span>{_plural(len(chains), 'recurring theme')}</span></p>",
        f"<h3>Timeline of visits</h3>{timeline(visits, title=f'Visits to {name}')}",
        f"<h3>What it was told to improve, by theme and year</h3>"
        f'<p class="note">Number of {what} raising each theme, by year of the visit.</p>'
        + heatmap(
            data, told, title=f"Themes {name} was told to improve, by year", key=_gss(authority)
        ),
        f"<h3>Judgement history</h3>{_judgements_html(data, visits)}",
        "<h3>Recurring issues</h3>",
    ]
    if chains:
        parts.append(
            '<p class="note">Themes raised at two or more visits, most visits first; '
            "one quote from each visit, with its source file and character "
            "positions in the file's clean text.</p>"
        )
        parts.extend(_chain_html(c, quotes) for c in chains[:top])
        if len(chains) > top:
            parts.append(
                f"<details><summary>{_plural(len(chains) - top, 'more recurring theme')}"
                "</summary>" + "".join(_chain_html(c, quotes) for c in chains[top:]) + "</details>"
            )
    else:
        parts.append(
            '<p class="note">No theme was raised at more than one visit in this period.</p>'
        )
    parts.append(_partners_html(ctx, authority))
    parts.append(f"<h3>Inspectors</h3>{_inspectors_html(ctx, authority)}")
    if repeats:
        parts.append(
            '<p class="note">Seen this authority more than once: '
            + _e("; ".join(f"{r.name} ({', '.join(v.start for v in r.visits)})" for r in repeats))
            + ".</p>"
        )
    parts.append("</section>")
    return "\n".join(parts)


def _chain_table(chains: Sequence[RecurrenceChain]) -> str:
    rows = "".join(
        f'<tr><td><a href="#{anchor(c.authority)}">{_e(c.authority_name)}</a></td>'
        f'<td>{_e(c.theme_label)}</td><td class="nowrap">{c.first_year} → {c.last_year}</td>'
        f'<td class="num">{c.visits}</td><td>{_e(", ".join(map(str, c.years)))}</td></tr>'
        for c in chains
    )
    return (
        "<table><tr><th>authority</th><th>theme</th><th>first → last</th>"
        f"<th class=num>visits</th><th>years</th></tr>{rows}</table>"
    )


def _national_section(
    data: Projection,
    chains: Sequence[RecurrenceChain],
    network: InspectorNetwork,
    include: Include,
    top: int,
) -> str:
    themes = recurrent_themes(chains)
    per_authority = chains_by_authority(chains)
    with_visits = {v.authority for v in data.visits.values()}
    parts = [
        '<section id="national"><h2>National picture</h2>',
        f'<p class="facts"><span>{_plural(len(data.visits), "visit")}</span>'
        f"<span>{_plural(len(with_visits), 'authority', 'authorities')}</span>"
        f"<span>{_plural(len(chains), 'recurring chain')}</span>"
        f"<span>{_plural(len(network.inspectors), 'inspector')}</span></p>",
        "<h3>Most recurrent themes</h3>"
        '<p class="note">Number of authorities told about the theme at two or more '
        "visits.</p>",
    ]
    parts.append(
        bar_chart(
            [
                (
                    t.theme_label,
                    t.authorities,
                    None,
                    f"({_plural(t.visits, 'visit')}, up to {t.longest_span} years)",
                )
                for t in themes[:top]
            ],
            title="Most recurrent themes",
            unit="authorities",
        )
    )
    if len(themes) > top:
        parts.append(f'<p class="note">and {_plural(len(themes) - top, "more theme")}.</p>')
    parts.append("<h3>Authorities by number of recurring themes</h3>")
    parts.append(
        bar_chart(
            [
                (a.authority_name, len(a.chains), anchor(a.authority), "themes")
                for a in per_authority[:top]
            ],
            title="Authorities by number of recurring themes",
            unit="themes",
            colour="#e76f51",
        )
    )
    rest = per_authority[top:]
    none = len(with_visits) - len(per_authority)
    if rest or none:
        spread = f"{rest[-1].chains.__len__()}–{len(rest[0].chains)}" if rest else ""
        parts.append(
            '<p class="note">'
            + _e(
                (
                    f"and {_plural(len(rest), 'more authority', 'more authorities')} with "
                    f"{spread} recurring themes each"
                    if rest
                    else ""
                )
                + ("; " if rest and none else "")
                + (f"{_plural(none, 'authority', 'authorities')} with none" if none else "")
            )
            + ".</p>"
        )
    parts.append(
        "<h3>Longest-running recurring issues</h3>" + _chain_table(longest_running(chains, top))
    )
    parts.append(
        "<h3>Most frequent recurring issues</h3>" + _chain_table(most_frequent(chains, top))
    )
    parts.append(
        "<h3>Inspector network</h3>"
        + network_picture(network, title="Inspectors linked by shared visits")
    )
    repeats = network.repeat_visits
    parts.append("<h4>Inspectors who have seen an authority more than once</h4>")
    if repeats:
        rows = "".join(
            f'<tr><td>{_e(r.name)}</td><td><a href="#{anchor(r.authority)}">'
            f'{_e(r.authority_name)}</a></td><td class="num">{len(r.visits)}</td>'
            f"<td>{_e(', '.join(v.start for v in r.visits))}</td></tr>"
            for r in repeats[:top]
        )
        parts.append(
            "<table><tr><th>inspector</th><th>authority</th><th class=num>visits</th>"
            f"<th>dates</th></tr>{rows}</table>"
        )
        if len(repeats) > top:
            parts.append(f'<p class="note">and {len(repeats) - top} more.</p>')
    else:
        parts.append('<p class="note">None in this period.</p>')
    similar = authority_similarity(data, include, limit=top)
    parts.append(
        "<h3>Authorities told similar things</h3><p class=note>Cosine similarity of "
        "theme profiles (visits raising each theme) over the period; 1 = the same "
        "mix of themes.</p>"
    )
    if similar:
        rows = "".join(
            f'<tr><td><a href="#{anchor(s.a)}">{_e(s.a_name)}</a></td>'
            f'<td><a href="#{anchor(s.b)}">{_e(s.b_name)}</a></td>'
            f'<td class="num">{s.score:.2f}</td>'
            f"<td>{_e(', '.join(data.theme_label(t) for t in s.shared_themes[:5]))}</td></tr>"
            for s in similar[:top]
        )
        parts.append(
            "<table><tr><th>authority</th><th>authority</th><th class=num>cosine</th>"
            f"<th>main shared themes</th></tr>{rows}</table>"
        )
    else:
        parts.append('<p class="note">Fewer than two authorities with themes.</p>')
    pairs = theme_cooccurrence(data, include)
    parts.append("<h3>Themes raised together</h3>")
    if pairs:
        rows = "".join(
            f"<tr><td>{_e(c.a_label)}</td><td>{_e(c.b_label)}</td>"
            f'<td class="num">{c.items}</td><td class="num">{c.visits}</td></tr>'
            for c in pairs[:top]
        )
        parts.append(
            "<table><tr><th>theme</th><th>theme</th><th class=num>same "
            "recommendation</th><th class=num>same visit</th></tr>"
            f"{rows}</table>"
        )
    parts.append("</section>")
    return "\n".join(parts)


def _index(ctx: _SectionData, authorities: Sequence[str]) -> str:
    rows = []
    for a in authorities:
        visits = ctx.visits_of[a]
        chains = ctx.chains_of.get(a, [])
        top = ", ".join(c.theme_label for c in chains[:3])
        rows.append(
            f'<tr><td><a href="#{anchor(a)}">{_e(visits[0].authority_name)}</a></td>'
            f'<td class="num">{len(visits)}</td><td>{visits[0].year}–{visits[-1].year}'
            f'</td><td class="num">{len(chains)}</td><td>{_e(top)}</td></tr>'
        )
    return (
        '<section id="index"><h2>Authorities</h2><p class="note">Most recurring themes '
        "first; each name links to its section.</p><table><tr><th>authority</th>"
        "<th class=num>visits</th><th>years</th><th class=num>recurring themes</th>"
        f"<th>most recurrent</th></tr>{''.join(rows)}</table></section>"
    )


def render(
    store: ox.Store,
    *,
    authority: str | None = None,
    from_year: int | None = None,
    to_year: int | None = None,
    include: Include = "recommendations",
    top: int = 15,
) -> str:
    """The report as one HTML document. ``authority`` (a name or GSS code) limits the
    per-authority sections to that authority; the national section always covers every
    authority in the period."""
    return _render(store, authority, from_year, to_year, include, top)[0]


def _render(
    store: ox.Store,
    authority: str | None,
    from_year: int | None,
    to_year: int | None,
    include: Include,
    top: int,
) -> tuple[str, int, int, int]:
    """``render``, with the numbers of authority sections, visits and recurring chains."""
    selected = resolve_authority(authority) if authority else None
    data = load(store, from_year=from_year, to_year=to_year, include=include)
    chains = recurrence_chains(data, include)
    network = inspector_network(data)
    chains_of: dict[str, list[RecurrenceChain]] = defaultdict(list)
    for chain in chains:
        chains_of[chain.authority].append(chain)
    all_authorities = {v.authority for v in data.visits.values()}
    if selected is not None and selected not in all_authorities:
        period = _period(from_year, to_year)
        raise AnalyticsError(f"--authority {quoted(authority)}: no visits in the graph{period}")
    names = data.authority_names()
    shown = sorted(
        [selected] if selected else all_authorities,
        key=lambda a: (-len(chains_of.get(a, [])), names[a]),
    )
    quotes = quotes_for(
        store,
        (
            _pick(link.items).iri
            for a in shown
            for chain in chains_of.get(a, [])
            for link in chain.links
        ),
    )
    ctx = _SectionData.make(data, include, top, network, quotes, chains)
    sections = [_authority_section(ctx, a) for a in sorted(shown, key=lambda a: names[a])]
    period = _period(from_year, to_year) or " (all years)"
    title = "Recurring issues in Ofsted inspections of children's services"
    if selected:
        title += f": {names[selected]}"
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    told = (
        "recommendations"
        if include == "recommendations"
        else "recommendations and weakness findings"
    )
    document = "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(title)}</title><style>{CSS}</style></head><body>",
            f"<header><h1>{_e(title)}</h1><p>Visits{_e(period)}; what counts as being told: "
            f"{_e(told)}. Generated {generated} by kg {__version__} from the knowledge graph."
            "</p></header><main>",
            '<nav><a href="#national">National picture</a> · <a href="#index">Authorities</a>'
            "</nav>",
            _national_section(data, chains, network, include, top),
            _index(ctx, shown),
            *sections,
            "</main></body></html>",
        ]
    )
    visits = sum(1 for v in data.visits.values() if v.authority in shown)
    return document, len(shown), visits, sum(len(chains_of.get(a, [])) for a in shown)


def _period(from_year: int | None, to_year: int | None) -> str:
    if from_year is None and to_year is None:
        return ""
    if to_year is None:
        return f" from {from_year}"
    if from_year is None:
        return f" up to {to_year}"
    return f" from {from_year} to {to_year}"


def write_report(
    store: ox.Store,
    output: Path,
    *,
    authority: str | None = None,
    from_year: int | None = None,
    to_year: int | None = None,
    include: Include = "recommendations",
    top: int = 15,
) -> ReportSummary:
    """Render the report and write it to ``output`` (UTF-8)."""
    import time

    started = time.perf_counter()
    document, authorities, visits, chains = _render(
        store, authority, from_year, to_year, include, top
    )
    try:
        output.write_text(document, encoding="utf-8")
    except OSError as error:
        raise AnalyticsError(
            f"{output}: cannot write the report ({error.strerror or error})"
        ) from None
    return ReportSummary(
        output,
        authorities,
        visits,
        chains,
        len(document.encode("utf-8")),
        time.perf_counter() - started,
    )
