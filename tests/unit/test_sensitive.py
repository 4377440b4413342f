"""Graphic-description warning and coordinate coarsening."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from harmmap import sensitive


@pytest.mark.parametrize("text, graphic", [
    ("Rescuers recovered charred bodies from the ruins", True),
    ("Тіла були розчленовані вибухом", True),
    ("Найдены обугленные останки", True),
    ("Bodies of three civilians were found", False),       # plain reporting is not hidden
    ("A school was damaged by shelling", False),
    (None, False), ("", False),
])
def test_graphic_descriptions_are_recognised(text, graphic):
    assert sensitive.is_graphic(text) is graphic


def test_coarsened_points_move_less_than_the_grid_and_lose_fine_cells():
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(22, 40, 1000), rng.uniform(44.5, 52, 1000)
    x, y = sensitive.coarsen_lonlat(lon, lat, 5)
    # within half a 5 km cell diagonal (about 3.6 km) of the original
    dy = (y - lat) * 111.32
    dx = (x - lon) * 111.32 * np.cos(np.radians(lat))
    assert np.hypot(dx, dy).max() < 4.5
    assert len(set(zip(x.round(6), y.round(6), strict=True))) < 1000
    gdf = gpd.GeoDataFrame({"geo_precision": ["exact"], "h3_r8": [1]}, geometry=[Point(30.5234, 50.4501)], crs=4326)
    out = sensitive.coarsen_frame(gdf, 5)
    assert "h3_r8" not in out.columns and out["geo_precision"].iloc[0] == "coarsened to ~5 km"
    assert out.geometry.x.iloc[0] != 30.5234 and gdf.geometry.x.iloc[0] == 30.5234


def test_export_command_coarsens_coordinates(tmp_path):
    import subprocess
    import sys

    import pandas as pd

    from tests.conftest import ROOT

    db = tmp_path / "s.duckdb"
    run = lambda *a: subprocess.run([sys.executable, "-m", "harmmap", *a], cwd=ROOT, capture_output=True,  # noqa: E731
                                    text=True, check=True)
    run("demo", "--n", "200", "--db", str(db))
    run("export", "--db", str(db), "-o", str(tmp_path / "exact.csv"))
    run("export", "--db", str(db), "-o", str(tmp_path / "coarse.csv"), "--coarsen-km", "5")
    exact = pd.read_csv(tmp_path / "exact.csv", encoding="utf-8-sig")
    coarse = pd.read_csv(tmp_path / "coarse.csv", encoding="utf-8-sig")
    assert len(exact) == len(coarse) == 200
    assert (coarse["geo_precision"] == "coarsened to ~5 km").all()
    # H3 cells no finer than the grid (hex strings in CSV): resolution 5 for 5 km
    assert {int(str(c)[1], 16) for c in coarse["h3_r8"]} == {5} and {int(str(c)[1], 16) for c in exact["h3_r8"]} == {8}
    assert (coarse[["lon", "lat"]].round(6) != exact[["lon", "lat"]].round(6)).any(axis=1).mean() > 0.9
