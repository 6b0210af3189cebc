#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Draw the dashboard of a saved-objects file as an SVG: Kibana's 48-column
grid with a ruler of its columns, each panel at its gridData with its
visualization's title, type and what it aggregates.

usage: kibana-dash --output - | man/kibana-dash-layout.py > man/kibana-dash-layout.svg

The committed man/kibana-dash-layout.svg is this script's drawing of the
default objects; tests/cli/kibana-dash.bats checks that it still is.
Python 3 standard library only; the output is the same for the same input.
"""

import json
import sys
import textwrap
from xml.sax.saxutils import escape

COL = 20  # pixels per grid column (48 columns: 960 px)
ROW = 14  # pixels per grid row (Kibana: 20 px; squeezed to fit a README)
PAD = 10
HEAD = 50  # the title and the ruler above the grid
CHAR = {14: 7.6, 12: 6.6}  # a wide estimate of a character's width, px
FILL = {
    "input_control_vis": "#e8f1fb",
    "line": "#eaf6ec",
    "tile_map": "#fdeee6",
    "pie": "#f3ecfa",
    "gauge": "#fdf7e1",
}


def fit(text, font, width):
    """text, cut with an ellipsis to fit width pixels at font px."""
    n = int(width / CHAR[font])
    return text if len(text) <= n else text[:max(n - 1, 1)].rstrip() + "\u2026"


def wrap(text, font, width, most):
    """text in at most `most` lines of width pixels; the last one cut."""
    n = int(width / CHAR[font])
    lines = textwrap.wrap(text, n) or [""]
    if len(lines) > most:
        lines = lines[:most - 1] + [fit(" ".join(lines[most - 1:]), font, width)]
    return lines


def bands(vs):
    """A gauge's colour bands, low to high: [(from, to, colour)]."""
    p = vs["params"].get("gauge", {})
    r = p.get("colorsRange", [])
    if not r or p.get("colorSchema") != "Green to Red":
        return []
    colours = ["#54b399", "#d6bf57", "#e7664c"][:len(r)] if len(r) == 3 else []
    if p.get("invertColors"):
        colours.reverse()
    return [(b["from"], b["to"], c) for b, c in zip(r, colours)]


def summary(vs):
    """What the visualization shows, from its visState: "avg vehicle_speed
    by date_histogram timestamp, terms vin"."""
    if vs["type"] == "input_control_vis":
        return "list of " + ", ".join(c["fieldName"] for c in vs["params"]["controls"])
    metrics, buckets = [], []
    for a in vs["aggs"]:
        f = a.get("params", {}).get("field")
        what = a["type"] + (" " + f if f else "")
        (metrics if a["schema"] == "metric" else buckets).append(what)
    return ", ".join(metrics) + (" by " + ", ".join(buckets) if buckets else "")


def main():
    objs = [json.loads(line) for line in sys.stdin if line.strip()]
    by_id = {(o["type"], o["id"]): o for o in objs}
    dash = [o for o in objs if o["type"] == "dashboard"][0]
    refs = {r["name"]: r for r in dash["references"]}
    panels = json.loads(dash["attributes"]["panelsJSON"])
    rows = max(p["gridData"]["y"] + p["gridData"]["h"] for p in panels)
    width = 48 * COL + 2 * PAD
    height = rows * ROW + 2 * PAD + HEAD
    out = []
    out.append('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
               'viewBox="0 0 %d %d" font-family="sans-serif">' % (width, height, width, height))
    out.append('<rect width="%d" height="%d" fill="#ffffff"/>' % (width, height))
    out.append('<text x="%d" y="%d" font-size="16" font-weight="bold" fill="#1a1c21">%s</text>'
               % (PAD, PAD + 16, escape(fit(dash["attributes"]["title"], 14, width / 2))))
    out.append('<text x="%d" y="%d" font-size="12" text-anchor="end" fill="#535966">'
               'Kibana dashboard, 48-column grid</text>' % (width - PAD, PAD + 16))
    top = PAD + HEAD
    # a ruler of the 48 columns
    out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#98a2b3"/>'
               % (PAD, top - 4, PAD + 48 * COL, top - 4))
    for c in range(0, 49, 6):
        x = PAD + c * COL
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#98a2b3"/>'
                   % (x, top - 9, x, top - 4))
        anchor = "start" if c == 0 else "end" if c == 48 else "middle"
        out.append('<text x="%d" y="%d" font-size="10" text-anchor="%s" fill="#535966">%d</text>'
                   % (x, top - 12, anchor, c))
    for p in panels:
        g = p["gridData"]
        r = refs[p["panelRefName"]]
        vis = by_id[(r["type"], r["id"])]
        vs = json.loads(vis["attributes"]["visState"])
        x, y = PAD + g["x"] * COL + 2, top + g["y"] * ROW + 2
        w, h = g["w"] * COL - 4, g["h"] * ROW - 4
        out.append('<rect x="%d" y="%d" width="%d" height="%d" rx="4" fill="%s" '
                   'stroke="#98a2b3"/>' % (x, y, w, h, FILL.get(vs["type"], "#f5f7fa")))
        ty = y + 20
        for line in wrap(vis["attributes"]["title"], 14, w - 20, 2 if h >= 90 else 1):
            out.append('<text x="%d" y="%d" font-size="14" fill="#1a1c21">%s</text>'
                       % (x + 10, ty, escape(line)))
            ty += 18
        out.append('<text x="%d" y="%d" font-size="12" fill="#535966">%s, %d x %d at (%d,%d)</text>'
                   % (x + 10, ty, escape(vs["type"]), g["w"], g["h"], g["x"], g["y"]))
        if ty + 18 <= y + h - 6:
            out.append('<text x="%d" y="%d" font-size="12" fill="#535966">%s</text>'
                       % (x + 10, ty + 18, escape(fit(summary(vs), 12, w - 20))))
        bx = x + 10
        if bands(vs) and ty + 44 <= y + h - 6:
            for lo, hi, colour in bands(vs):
                out.append('<rect x="%d" y="%d" width="70" height="16" rx="2" fill="%s"/>'
                           % (bx, ty + 30, colour))
                out.append('<text x="%d" y="%d" font-size="11" text-anchor="middle" '
                           'fill="#1a1c21">%s to %s</text>' % (bx + 35, ty + 42, lo, hi))
                bx += 74
    out.append("</svg>")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
