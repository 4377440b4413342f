"""Sensitive records: a warning before graphic descriptions, and coarser coordinates in exports and shared views.

Example
-------
>>> is_graphic("Rescuers recovered charred bodies from the school")
True
>>> is_graphic("A school was damaged")
False
>>> coarsen_point(50.4501, 30.5234, km=5)
(50.46, 30.5)
"""

from __future__ import annotations

import functools
import math
import re

import numpy as np

from harmmap import paths

__all__ = ["graphic_terms", "is_graphic", "coarsen_point", "coarsen_lonlat", "coarsen_frame"]


@functools.lru_cache(maxsize=1)
def _pattern() -> re.Pattern:
    stems = graphic_terms()
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(s) for s in stems) + ")", re.IGNORECASE)


def graphic_terms() -> list[str]:
    """The stems of data/graphic_terms.txt."""
    lines = (paths.DATA / "graphic_terms.txt").read_text(encoding="utf-8").splitlines()
    return [ln.strip().lower() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def is_graphic(text) -> bool:
    """Does the text describe bodies or injuries in a way a reader should be warned about?"""
    return isinstance(text, str) and bool(_pattern().search(text))


def _step_deg(km: float, lat: float = 49.0) -> tuple[float, float]:
    dlat = km / 111.32
    dlon = km / (111.32 * max(math.cos(math.radians(lat)), 0.1))
    return dlat, dlon


def coarsen_lonlat(lon, lat, km: float) -> tuple[np.ndarray, np.ndarray]:
    """Snap coordinates to the centres of a grid of about ``km`` (at Ukraine's latitude), so that an exported
    or shared point says the area, not the building. ``km <= 0`` leaves them as they are."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if not km or km <= 0:
        return lon, lat
    dlat, dlon = _step_deg(km)
    return (np.floor(lon / dlon) + 0.5) * dlon, (np.floor(lat / dlat) + 0.5) * dlat


def coarsen_point(lat: float, lon: float, km: float) -> tuple[float, float]:
    x, y = coarsen_lonlat([lon], [lat], km)
    return round(float(y[0]), 2), round(float(x[0]), 2)


def coarsen_frame(gdf, km: float):
    """A copy of a GeoDataFrame of points (or a frame with lon/lat) with coarsened coordinates and
    ``geo_precision`` set to say so."""
    import geopandas as gpd

    out = gdf.copy()
    if not km or km <= 0 or len(out) == 0:
        return out
    if isinstance(out, gpd.GeoDataFrame) and out.geometry is not None:
        x, y = coarsen_lonlat(out.geometry.x, out.geometry.y, km)
        out = out.set_geometry(gpd.points_from_xy(x, y, crs=out.crs))
    if "lon" in out.columns and "lat" in out.columns:
        out["lon"], out["lat"] = coarsen_lonlat(out["lon"], out["lat"], km)
    if "geo_precision" in out.columns:
        out["geo_precision"] = f"coarsened to ~{km:g} km"
    if "footprint_wkt" in out.columns:
        out["footprint_wkt"] = None         # the exact outline of a non-point feature
    for c in [c for c in out.columns if c.startswith("h3_r")]:
        out = out.drop(columns=c)           # finer cells would give the exact place away
    return out
