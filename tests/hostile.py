"""Hostile text: payloads and a small data set that carries them in every text field (one builder for the
unit tests and the browser test).

Each payload, if it ran, would set ``window.__pwned``; each must show as text (issues 5 and 9). The data
set goes into a store two ways: a canonical frame written with ``store.write_incidents`` (every field
under our control: description, location, admin names, event type, source name, URLs, actor, weapon,
classifier evidence) and a CSV read through the real importer (``harmmap.ingest.ingest_file``).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pandas as pd

PWNED = "window.__pwned=1"

#: name -> payload; every one would set window.__pwned if it were run (or followed, for links)
PAYLOADS: dict[str, str] = {
    "script": f"<script>{PWNED}</script>",
    "img_onerror": f'<img src=x onerror="{PWNED}">',
    "svg_break_attr": f'"><svg onload={PWNED}>',
    "js_url": f"javascript:{PWNED}",
    "js_url_mixed_case": f" JaVaScRiPt:{PWNED}",
    "data_url": f"data:text/html,<script>{PWNED}</script>",
    "formula": '=HYPERLINK("http://evil","x")',
    "formula_plus": "+cmd|' /C calc'!A0",
    "formula_at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "markdown_link": f"[click me](javascript:{PWNED})",
    "markdown_image": f"![x](javascript:{PWNED})",
    "iframe": f"<iframe src=\"javascript:{PWNED}\"></iframe>",
    "close_tags": f"</td></tr></table></div><img src=x onerror={PWNED}>",
    "style_break": f"</style><script>{PWNED}</script>",
    "script_break": f"</script><script>{PWNED}</script>",
    "template": f"{{{{constructor.constructor('{PWNED}')()}}}}",
    "entity": f"&lt;script&gt;{PWNED}&lt;/script&gt;",
    "details_ontoggle": f"<details open ontoggle={PWNED}>",
}

#: real-language text (Ukrainian, Russian, emoji) that must come through intact
TEXTS = {
    "uk": "Обстріл школи № 5 у Харкові, пошкоджено спортзал 🏫💥",
    "ru": "Удар по больнице в Херсоне, «погибли» двое 🚑",
    "emoji": "Енергетика ⚡🔌 — підстанція знеструмлена",
}

#: a graphic phrase (data/graphic_terms.txt): the last record's description is hidden until the analyst asks
GRAPHIC = "обвуглені тіла біля під'їзду"

# towns far enough apart to click one by one on the country map
_PLACES = [(49.99, 36.23), (46.64, 32.61), (50.45, 30.52), (46.48, 30.72), (48.46, 35.05), (47.84, 35.14),
           (51.50, 31.29), (49.59, 34.55), (50.91, 34.80), (48.92, 24.71), (49.84, 24.03), (47.91, 33.39)]

SOURCE_NAMES = [PAYLOADS["img_onerror"], PAYLOADS["markdown_link"], PAYLOADS["formula"]]


def records() -> list[dict]:
    """Twelve canonical incidents whose every text field carries a payload or non-Latin text."""
    names = list(PAYLOADS)
    out = []
    for i, (lat, lon) in enumerate(_PLACES):
        def p(k: int, i: int = i) -> str:
            return PAYLOADS[names[(i + k) % len(names)]]

        out.append({
            "incident_id": f"hostile:{i + 1:03d}",
            "source": SOURCE_NAMES[i % len(SOURCE_NAMES)],
            "date": pd.Timestamp(dt.date(2023, 1, 2) + dt.timedelta(days=7 * i)),
            "lat": lat, "lon": lon,
            "location": f"{p(0)} {TEXTS['uk'] if i % 2 else TEXTS['ru']}" if i else PAYLOADS["script"],
            "admin1": p(1), "admin2": p(2), "admin1_raw": p(3),
            "description": (f"{PAYLOADS['script']} {p(4)} {TEXTS['uk']} {TEXTS['ru']} {TEXTS['emoji']} "
                            f"{PAYLOADS['formula']}" + (f" {GRAPHIC}" if i == len(_PLACES) - 1 else "")),
            "event_type": p(5), "actor": p(6), "weapon": p(7),
            "categories": [["education", "health", "energy", "residential"][i % 4]],
            "category_confidence": 0.8,
            "category_evidence": f"text: '{p(8)}' (term {p(9)})",
            "fatalities": i % 3, "injuries": None,
            "source_urls": [PAYLOADS["js_url"], PAYLOADS["js_url_mixed_case"], PAYLOADS["data_url"],
                            f"https://example.org/report?q={i}&x=\"><script>{PWNED}</script>", p(10)],
        })
    return out


def frame():
    """The records as a canonical GeoDataFrame."""
    from harmmap import schema

    return schema.conform(pd.DataFrame(records()))


def write_csv(path: Path) -> Path:
    """A CSV of three hostile rows for the table importer (description, place, oblast, type, URL)."""
    rows = [
        {"id": "csv-1", "date": "2023-05-01", "latitude": 50.62, "longitude": 26.25,
         "description": f"{PAYLOADS['img_onerror']} {TEXTS['uk']}", "location": PAYLOADS["svg_break_attr"],
         "oblast": "Рівненська область", "event_type": PAYLOADS["formula"], "source_url": PAYLOADS["js_url"]},
        {"id": "csv-2", "date": "2023-05-08", "latitude": 48.29, "longitude": 25.94,
         "description": f"{PAYLOADS['markdown_link']} {TEXTS['ru']}", "location": TEXTS["emoji"],
         "oblast": PAYLOADS["script"], "event_type": PAYLOADS["template"],
         "source_url": "https://example.org/ok"},
        {"id": "csv-3", "date": "2023-05-15", "latitude": 49.23, "longitude": 28.47,
         "description": PAYLOADS["formula_plus"], "location": PAYLOADS["close_tags"], "oblast": "Vinnytsia",
         "event_type": "Shelling", "source_url": PAYLOADS["data_url"]},
    ]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def build_store(url: str, tmp: Path) -> dict:
    """Fill the (empty) store at ``url`` with the hostile data set; returns counts (closes the store)."""
    from harmmap.ingest import ingest_file
    from harmmap.query import Filters
    from harmmap.store import open_store

    store = open_store(url)
    try:
        written = store.write_incidents(frame(), dataset=PAYLOADS["img_onerror"])
        report = ingest_file(write_csv(tmp / "hostile.csv"), store, source="csv" + PAYLOADS["script"],
                             rejects_dir=tmp / "rejects")
        return {"canonical": int(written), "csv_read": int(report["read"]), "csv_loaded": int(report["loaded"]),
                "total": int(store.count(Filters()))}
    finally:
        store.close()
