"""`python -m harmmap boundaries load FILE --level 1|2` / `boundaries fetch UKR`: configure the admin
boundaries used for point-in-polygon regions and the study area.

Boundaries are cached in $HARMMAP_BOUNDARIES_DIR (default data/cache/boundaries/). ``fetch``
downloads geoBoundaries (gbOpen) ADM1 and ADM2; offline it fails with one line and status 2.
"""

from __future__ import annotations

import json
import sys

GEOBOUNDARIES_API = "https://www.geoboundaries.org/api/current/gbOpen/{iso}/{level}/"


def add_parser(sub):
    p = sub.add_parser("boundaries", help="configure admin boundaries (load a file or fetch geoBoundaries)",
                       description=__doc__.splitlines()[0])
    s = p.add_subparsers(dest="action", required=True)
    ld = s.add_parser("load", help="copy a boundaries file into the cache and normalise its names")
    ld.add_argument("file")
    ld.add_argument("--level", type=int, choices=(1, 2), required=True)
    ld.add_argument("--name-column", default=None, help="the column holding the names (default: guessed)")
    ld.add_argument("--json", action="store_true")
    fe = s.add_parser("fetch", help="download geoBoundaries ADM1 and ADM2 (needs the internet)")
    fe.add_argument("iso", nargs="?", default="UKR")
    fe.add_argument("--timeout", type=float, default=30.0)
    fe.add_argument("--json", action="store_true")
    s.add_parser("show", help="say which boundaries are configured")
    return p


def run(args) -> int:
    from harmmap import gazetteer

    if args.action == "show":
        for level in (1, 2):
            b = gazetteer.boundaries(level)
            print(f"level {level}: " + ("none" if b is None else f"{len(b)} features in "
                                        f"{gazetteer.boundaries_key(level)[0]}"))
        return 0
    if args.action == "load":
        try:
            rep = gazetteer.load_boundaries(args.file, args.level, name_column=args.name_column)
        except (ValueError, FileNotFoundError, OSError) as exc:
            msg = str(exc) if args.file in str(exc) else f"{args.file}: {exc}"
            print(f"harmmap boundaries: error: {msg}", file=sys.stderr)
            return 2
        _say(rep, args.json)
        return 0
    return _fetch(args)


def _say(rep: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(rep, ensure_ascii=False))
        return
    print(f"level {rep['level']}: {rep['features']} features from {rep['source_file']} -> {rep['path']} "
          f"(names from {rep['name_column']!r}; matched {rep['matched']})")
    if rep["unmatched"]:
        print(f"  names not matched to an oblast: {', '.join(rep['unmatched'][:10])}")


def _fetch(args) -> int:
    import tempfile
    import urllib.error
    import urllib.request
    from pathlib import Path

    from harmmap import gazetteer

    iso = args.iso.upper()
    reps = []
    try:
        for level in (1, 2):
            url = GEOBOUNDARIES_API.format(iso=iso, level=f"ADM{level}")
            with urllib.request.urlopen(url, timeout=args.timeout) as resp:  # noqa: S310 - fixed https URL
                meta = json.loads(resp.read().decode("utf-8"))
            gj = meta.get("simplifiedGeometryGeoJSON") or meta.get("gjDownloadURL")
            if not gj:
                raise ValueError(f"geoBoundaries gave no GeoJSON link for {iso} ADM{level}")
            with urllib.request.urlopen(gj, timeout=args.timeout) as resp:  # noqa: S310
                body = resp.read()
            with tempfile.TemporaryDirectory() as tmp:
                p = Path(tmp) / f"geoBoundaries-{iso}-ADM{level}.geojson"
                p.write_bytes(body)
                reps.append(gazetteer.load_boundaries(p, level))
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        print(f"harmmap boundaries: error: cannot download geoBoundaries {iso} (offline? {reason}); "
              "load a file instead: python -m harmmap boundaries load FILE --level 1", file=sys.stderr)
        return 2
    except (ValueError, json.JSONDecodeError) as exc:
        print(f"harmmap boundaries: error: geoBoundaries {iso}: {exc}", file=sys.stderr)
        return 2
    for rep in reps:
        _say(rep, args.json)
    return 0
