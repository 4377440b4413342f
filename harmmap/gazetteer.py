"""Admin names across spellings and scripts; boundaries; point-in-polygon.

Canonical oblast (admin1) names are short English names as Ukraine romanises them today
("Kharkiv", "Zaporizhzhia", "Odesa", "Kyiv City"). ``display_name`` adds "Oblast" where it belongs.
"""

from __future__ import annotations

# canonical name -> ISO 3166-2 code (as in geoBoundaries shapeISO)
OBLASTS: dict[str, str] = {
    "Cherkasy": "UA-71", "Chernihiv": "UA-74", "Chernivtsi": "UA-77", "Crimea": "UA-43",
    "Dnipropetrovsk": "UA-12", "Donetsk": "UA-14", "Ivano-Frankivsk": "UA-26", "Kharkiv": "UA-63",
    "Kherson": "UA-65", "Khmelnytskyi": "UA-68", "Kirovohrad": "UA-35", "Kyiv": "UA-32",
    "Kyiv City": "UA-30", "Luhansk": "UA-09", "Lviv": "UA-46", "Mykolaiv": "UA-48", "Odesa": "UA-51",
    "Poltava": "UA-53", "Rivne": "UA-56", "Sevastopol": "UA-40", "Sumy": "UA-59", "Ternopil": "UA-61",
    "Vinnytsia": "UA-05", "Volyn": "UA-07", "Zakarpattia": "UA-21", "Zaporizhzhia": "UA-23",
    "Zhytomyr": "UA-18",
}
ISO_TO_OBLAST = {v: k for k, v in OBLASTS.items()}


def display_name(admin1: str) -> str:
    """'Kharkiv' -> 'Kharkiv Oblast'; 'Kyiv City', 'Crimea', 'Sevastopol' stay as they are."""
    if admin1 in ("Kyiv City", "Sevastopol"):
        return admin1
    if admin1 == "Crimea":
        return "Autonomous Republic of Crimea"
    return f"{admin1} Oblast" if admin1 in OBLASTS else admin1


# ------------------------------------------------------------------------------------------------
# names across spellings and scripts
# ------------------------------------------------------------------------------------------------
import difflib  # noqa: E402
import functools  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import unicodedata  # noqa: E402
from pathlib import Path  # noqa: E402

from harmmap import paths  # noqa: E402

GAZETTEER_DIR = paths.DATA / "gazetteer"
_STOP = {"oblast", "oblasts", "oblasti", "oblast'", "obl", "olast", "obalst", "oblas", "oblst", "region",
         "province", "reg", "ukraine", "область", "обл", "області", "облать", "україна", "украина",
         "автономна", "республіка", "республика", "m", "м", "г", "місто", "город", "gorod"}
_APOS = str.maketrans("", "", "'’ʼ`´‘ʹ\"")


def _key(name: str) -> str:
    """Matching key: lower case, no accents, apostrophes, punctuation, or 'oblast'-like words."""
    s = unicodedata.normalize("NFKD", str(name).lower().translate(_APOS))
    s = "".join(c for c in s if not unicodedata.combining(c))
    tokens = [t for t in re.split(r"[^\w]+", s) if t and t not in _STOP]
    return "".join(tokens)


@functools.lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, str | None], list[str]]:
    import csv

    table: dict[str, str | None] = {}
    for canon in OBLASTS:
        table[_key(canon)] = canon
    with open(GAZETTEER_DIR / "admin1_variants.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            table[_key(row["variant"])] = row["canonical"]
    for iso, canon in ISO_TO_OBLAST.items():
        table[_key(iso)] = canon
    with open(GAZETTEER_DIR / "not_ukraine.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            table.setdefault(_key(row["variant"]), None)
    # "Crimea" appears as "Autonomous Republic of Crimea": drop the words that are not a name
    table[_key("Autonomous Republic of Crimea")] = "Crimea"
    return table, sorted(table)


@functools.lru_cache(maxsize=4096)
def normalize_admin1(name) -> str | None:
    """A source's oblast name -> the canonical admin1 name, or None when it is not a Ukrainian oblast.

    Tolerates case, accents, apostrophes, hyphens, "Oblast"/"obl."/"область"/"обл.", word order
    ("Oblast Donetsk"), Ukrainian adjectival forms, Russian, older transliterations, ISO codes
    ("UA-63"), a trailing ", Ukraine", and small typos ("Kharviv Oblast").

    Example
    -------
    >>> [normalize_admin1(x) for x in ["Kharkov", "Kharkivs'ka oblast", "Харківська область",
    ...                                "Харьковская обл.", "Charkov", "UA-63"]]
    ['Kharkiv', 'Kharkiv', 'Kharkiv', 'Kharkiv', 'Kharkiv', 'Kharkiv']
    >>> normalize_admin1("Belgorod Oblast") is None
    True
    """
    if name is None or (isinstance(name, float) and name != name):
        return None
    text = str(name).strip()
    if not text:
        return None
    if text.upper() in ISO_TO_OBLAST:
        return ISO_TO_OBLAST[text.upper()]
    table, keys = _tables()
    k = _key(text)
    if not k:
        return None
    if k in table:
        return table[k]
    if "," in text:  # "Luhansk Oblast, Ukraine", "Postoyalye Dvory, Kurskaya"
        for part in text.split(","):
            kk = _key(part)
            if kk in table:
                return table[kk]
    if len(k) >= 5:
        cutoff = 0.8 if len(k) >= 7 else 0.86
        m = difflib.get_close_matches(k, keys, n=1, cutoff=cutoff)
        if m:
            return table[m[0]]
    return None


def normalize_admin1_series(values):
    """Vectorised :func:`normalize_admin1` (each distinct spelling is looked up once)."""
    import pandas as pd

    s = pd.Series(values, dtype="object")
    uniq = {v: normalize_admin1(v) for v in s.dropna().unique()}
    return s.map(uniq).astype("string")


# ------------------------------------------------------------------------------------------------
# boundaries: configured by `python -m harmmap boundaries load|fetch`
# ------------------------------------------------------------------------------------------------
NAME_COLUMNS = ("shapeName", "ADM1_EN", "ADM2_EN", "NAME_1", "NAME_2", "name_en", "name:en", "NAME_EN",
                "admin1Name_en", "admin2Name_en", "name", "NAME", "Name", "oblast", "region")
PARENT_COLUMNS = ("ADM1_EN", "NAME_1", "admin1Name_en", "admin1", "oblast", "ADM1_PCODE", "shapeGroup_1")


def boundaries_dir() -> Path:
    """Where configured boundaries live: ``$HARMMAP_BOUNDARIES_DIR`` or data/cache/boundaries/."""
    env = os.environ.get("HARMMAP_BOUNDARIES_DIR")
    return Path(env) if env else paths.DATA / "cache" / "boundaries"


def _boundaries_path(level: int) -> Path:
    return boundaries_dir() / f"adm{int(level)}.parquet"


def boundaries_key(level: int) -> tuple[str, float]:
    """(path, modification time) of the configured boundaries: a cache key for derived geometry."""
    p = _boundaries_path(level)
    try:
        return str(p), p.stat().st_mtime
    except OSError:
        return str(p), -1.0


def boundaries(level: int = 1):
    """The configured admin boundaries (GeoDataFrame, EPSG:4326) or None when none are configured.

    Level 1 has ``admin1`` (canonical), ``name`` (the file's own) and ``geometry``; level 2 has
    ``admin2``, ``admin1`` (when the file says or it could be located) and ``geometry``.

    Example
    -------
    >>> b = boundaries(1)
    >>> b is None or "admin1" in b.columns
    True
    """
    return _read_boundaries(*boundaries_key(level))


@functools.lru_cache(maxsize=4)
def _read_boundaries(path: str, mtime: float):
    if mtime < 0:
        return None
    import geopandas as gpd

    return gpd.read_parquet(path)


def _name_column(gdf, level: int) -> str:
    prefer = [c for c in NAME_COLUMNS if c in gdf.columns]
    if level == 2:
        prefer = [c for c in prefer if "1" not in c] or prefer
    else:
        prefer = [c for c in prefer if "2" not in c] or prefer
    if not prefer:
        strs = [c for c in gdf.columns if c != "geometry" and gdf[c].dtype == object or
                str(gdf[c].dtype) in ("string", "str")]
        if not strs:
            raise ValueError("no name column found (expected shapeName, ADM1_EN, NAME_1, name...)")
        return strs[0]
    return prefer[0]


def load_boundaries(src, level: int, *, name_column: str | None = None) -> dict:
    """Copy a boundaries file (any GIS format GDAL reads, also a zipped shapefile) into the cache dir,
    adding a canonical ``admin1`` (level 1) or ``admin2`` (level 2) column.

    Returns a report: ``{path, level, features, name_column, matched, unmatched: [names]}``.

    Example
    -------
    >>> load_boundaries("geoBoundaries-UKR-ADM1.geojson", 1)  # doctest: +SKIP
    {'path': '.../adm1.parquet', 'level': 1, 'features': 27, 'matched': 27, 'unmatched': []}
    """
    import geopandas as gpd
    import pandas as pd

    level = int(level)
    if level not in (1, 2):
        raise ValueError("level must be 1 or 2")
    src = Path(src)
    if not src.exists():
        raise FileNotFoundError(f"{src}: no such file")
    uri = f"/vsizip/{src}" if src.suffix.lower() == ".zip" else str(src)
    try:
        gdf = gpd.read_file(uri)
    except Exception as exc:  # noqa: BLE001 - GDAL's many errors, one message
        raise ValueError(f"{src}: cannot read boundaries: {exc}") from None
    if gdf.crs is None:
        gdf = gdf.set_crs("EPSG:4326")
    elif gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs("EPSG:4326")
    col = name_column or _name_column(gdf, level)
    if col not in gdf.columns:
        raise ValueError(f"{src}: no column {col!r}; columns are {list(gdf.columns)}")
    out = gpd.GeoDataFrame({"name": gdf[col].astype("string")}, geometry=gdf.geometry.values, crs="EPSG:4326")
    import shapely

    out["geometry"] = shapely.make_valid(out.geometry.values)
    unmatched: list[str] = []
    if level == 1:
        adm = pd.Series([None] * len(gdf), dtype="object")
        if "shapeISO" in gdf.columns:
            adm = gdf["shapeISO"].map(lambda v: ISO_TO_OBLAST.get(str(v).upper()))
        named = normalize_admin1_series(gdf[col])
        out["admin1"] = pd.Series(adm.where(adm.notna(), named), dtype="string").values
        unmatched = [str(n) for n, a in zip(out["name"], out["admin1"], strict=False) if pd.isna(a)]
    else:
        out["admin2"] = out["name"]
        parent = next((c for c in PARENT_COLUMNS if c in gdf.columns and c != col), None)
        if parent is not None:
            out["admin1"] = normalize_admin1_series(gdf[parent]).values
        else:
            b1 = boundaries(1)
            out["admin1"] = pd.Series([None] * len(out), dtype="string")
            if b1 is not None:
                pts = gpd.GeoDataFrame(geometry=out.geometry.representative_point(), crs="EPSG:4326")
                j = gpd.sjoin(pts, b1[["admin1", "geometry"]], how="left", predicate="within")
                j = j[~j.index.duplicated(keep="first")]
                out["admin1"] = j["admin1"].astype("string").values
    dest = _boundaries_path(level)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".tmp")
    out.to_parquet(tmp)
    os.replace(tmp, dest)
    _read_boundaries.cache_clear()
    return {"path": str(dest), "level": level, "source_file": str(src), "features": int(len(out)),
            "name_column": col, "matched": int(len(out) - len(unmatched)), "unmatched": unmatched}


def locate(lon, lat, level: int = 1, bounds=None):
    """Point-in-polygon (vectorised): the admin name containing each point, or NA (sea, abroad).

    Returns a DataFrame with ``admin1`` (and ``admin2`` for level 2), indexed 0..n-1.
    """
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    b = boundaries(level) if bounds is None else bounds
    n = len(lon)
    cols = ["admin1"] if level == 1 else ["admin2", "admin1"]
    if b is None or n == 0:
        return pd.DataFrame({c: pd.Series([pd.NA] * n, dtype="string") for c in cols})
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(np.asarray(lon, float), np.asarray(lat, float)),
                           crs="EPSG:4326")
    keep = [c for c in cols if c in b.columns]
    j = gpd.sjoin(pts, b[keep + ["geometry"]], how="left", predicate="within")
    j = j[~j.index.duplicated(keep="first")].sort_index()
    return pd.DataFrame({c: (j[c].astype("string").to_numpy() if c in j.columns else
                             pd.array([pd.NA] * n, dtype="string")) for c in cols})


TOWNS_CSV = paths.DATA / "demo" / "towns.csv"


@functools.lru_cache(maxsize=1)
def _towns() -> dict[str, list[tuple[str, str, float, float]]]:
    """Place key -> [(English name, oblast, lat, lon)] from data/demo/towns.csv (real towns, English,
    Ukrainian and Russian names)."""
    import csv

    out: dict[str, list[tuple[str, str, float, float]]] = {}
    with open(TOWNS_CSV, encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            entry = (row["name_en"], row["oblast"], float(row["lat"]), float(row["lon"]))
            for col in ("name_en", "name_uk", "name_ru"):
                k = _key(row[col])
                if k and entry not in out.setdefault(k, []):
                    out[k].append(entry)
    return out


def place_point(name, admin1: str | None = None) -> tuple[tuple[str, str, float, float] | None, str]:
    """A town's name (English, Ukrainian or Russian; "м. Харків", "Kharkiv city") -> ((name, oblast,
    lat, lon), "") from the towns HarmMap knows (``data/demo/towns.csv``, about 225), or (None, why).
    ``admin1`` (any spelling) picks among towns of the same name.

    Example
    -------
    >>> place_point("м. Харків")[0][:2]
    ('Kharkiv', 'Kharkiv')
    >>> place_point("Nowhere-upon-Dnipro")[0] is None
    True
    """
    k = _key(name) if isinstance(name, str) else ""
    if not k:
        return None, "no place name"
    if re.search(r"(?i)\b(?:oblast|region|province|область|области|області|обл)\b", name):
        return None, f"place {name!r} names a region, not a town"
    hits = _towns().get(k, [])
    canon = normalize_admin1(admin1) if isinstance(admin1, str) and admin1.strip() else None
    if canon:
        hits = [h for h in hits if h[1] == canon] or hits
    if not hits:
        towns = len({e for v in _towns().values() for e in v})
        return None, f"place {name!r} is not among the {towns} towns HarmMap knows by name (data/demo/towns.csv)"
    if len({(h[1], h[2], h[3]) for h in hits}) > 1:
        return None, f"place {name!r} names towns in {', '.join(sorted({h[1] for h in hits}))}: give its oblast"
    return hits[0], ""

