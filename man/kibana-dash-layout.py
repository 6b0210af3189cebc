#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Draw the dashboard of a saved-objects file as an SVG: Kibana's 48-column
grid, each panel at its gridData with its visualization's title and type.

usage: kibana-dash --output - | man/kibana-dash-layout.py > man/kibana-dash-layout.svg

The committed man/kibana-dash-layout.svg is this script's drawing of the
default objects; tests/cli/kibana-dash.bats checks that it still is.
Python 3 standard library only; the output is the same for the same input.
"""

import json
import sys
from xml.sax.saxutils import escape

COL = 20  # pixels per grid column (48 columns: 960 px)
ROW = 14  # pixels per grid row (Kibana: 20 px; squeezed to fit a README)
PAD = 10
FILL = {
    "input_control_vis": "#e8f1fb",
    "line": "#eaf6ec",
    "tile_map": "#fdeee6",
    "pie": "#f3ecfa",
    "gauge": "#fdf7e1",
}


def main():
    objs = [json.loads(line) for line in sys.stdin if line.strip()]
    by_id = {(o["type"], o["id"]): o for o in objs}
    dash = [o for o in objs if o["type"] == "dashboard"][0]
    refs = {r["name"]: r for r in dash["references"]}
    panels = json.loads(dash["attributes"]["panelsJSON"])
    rows = max(p["gridData"]["y"] + p["gridData"]["h"] for p in panels)
    width = 48 * COL + 2 * PAD
    height = rows * ROW + 2 * PAD + 30
    out = []
    out.append('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
               'viewBox="0 0 %d %d" font-family="sans-serif">' % (width, height, width, height))
    out.append('<rect width="%d" height="%d" fill="#ffffff"/>' % (width, height))
    out.append('<text x="%d" y="%d" font-size="16" font-weight="bold" fill="#1a1c21">%s</text>'
               % (PAD, PAD + 16, escape(dash["attributes"]["title"])))
    top = PAD + 30
    # the 48 columns, faintly
    for c in range(0, 49, 6):
        x = PAD + c * COL
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#eef0f3"/>'
                   % (x, top, x, top + rows * ROW))
    for p in panels:
        g = p["gridData"]
        r = refs[p["panelRefName"]]
        vis = by_id[(r["type"], r["id"])]
        vs = json.loads(vis["attributes"]["visState"])
        x, y = PAD + g["x"] * COL + 2, top + g["y"] * ROW + 2
        w, h = g["w"] * COL - 4, g["h"] * ROW - 4
        out.append('<rect x="%d" y="%d" width="%d" height="%d" rx="4" fill="%s" '
                   'stroke="#98a2b3"/>' % (x, y, w, h, FILL.get(vs["type"], "#f5f7fa")))
        out.append('<text x="%d" y="%d" font-size="14" fill="#1a1c21">%s</text>'
                   % (x + 10, y + 20, escape(vis["attributes"]["title"])))
        out.append('<text x="%d" y="%d" font-size="12" fill="#535966">%s, %d x %d at (%d,%d)</text>'
                   % (x + 10, y + 38, escape(vs["type"]), g["w"], g["h"], g["x"], g["y"]))
    out.append("</svg>")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
