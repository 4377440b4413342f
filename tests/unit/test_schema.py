"""The canonical incident table: conform() gives the columns and dtypes, validate() names each problem per row."""

from __future__ import annotations

import datetime as dt

import h3
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from harmmap import schema


def good(n: int = 3) -> pd.DataFrame:
    return pd.DataFrame({
        "incident_id": [f"t:{i}" for i in range(n)], "source": ["t"] * n,
        "date": ["2022-03-01"] * n, "lon": [30.52 + i / 100 for i in range(n)], "lat": [50.45] * n,
        "categories": [["education"]] * n, "description": ["school hit"] * n,
    })


def test_conform_gives_every_column_in_order_with_its_dtype():
    gdf = schema.conform(good())
    assert list(gdf.columns) == schema.COLUMN_NAMES
    assert gdf.crs.to_epsg() == 4326
    assert str(gdf["date"].dtype).startswith("datetime64")
    assert gdf["h3_r8"].dtype == np.int64
    assert schema.validate(gdf) == []


def test_h3_cells_nest_the_point_cell_at_the_finest_resolution():
    """The finest cell contains the point; coarser ones are its parents (so counts nest across resolutions)."""
    rng = np.random.default_rng(7)
    lat, lon = rng.uniform(44, 52.5, 500), rng.uniform(22, 40.5, 500)
    cells = schema.h3_cells(lat, lon)
    fine = max(schema.H3_RESOLUTIONS)
    assert cells[f"h3_r{fine}"].tolist() == [h3.str_to_int(h3.latlng_to_cell(a, o, fine))
                                            for a, o in zip(lat, lon, strict=True)]
    for r in schema.H3_RESOLUTIONS:
        want = [h3.str_to_int(h3.cell_to_parent(h3.int_to_str(int(c)), r)) for c in cells[f"h3_r{fine}"]]
        assert cells[f"h3_r{r}"].tolist() == want
        assert all(h3.get_resolution(h3.int_to_str(int(c))) == r for c in cells[f"h3_r{r}"][:20])


def test_h3_cells_of_missing_or_impossible_coordinates_are_zero():
    cells = schema.h3_cells([np.nan, 95.0, 50.0], [30.0, 30.0, np.inf])
    assert all(cells[c].tolist() == [0, 0, 0] for c in schema.H3_COLUMNS)


@pytest.mark.parametrize("column, value, message", [
    ("incident_id", "", "missing id"),
    ("source", "", "missing source"),
    ("date", pd.NaT, "missing or unparseable date"),
    ("date", pd.Timestamp("2031-01-01"), "in the future"),
    ("date_precision", "fortnight", "must be one of"),
    ("geo_precision", "planet", "must be one of"),
    ("geometry", None, "no coordinates"),
    ("geometry", LineString([(30, 50), (31, 50)]), "is not a Point"),
    ("geometry", Point(200, 50), "out of range"),
    ("category_confidence", 1.5, "not between 0 and 1"),
    ("categories", "education", "must be a list"),
    ("fatalities", -1, "negative count"),
])
def test_validate_names_the_row_the_column_and_the_problem(column, value, message):
    gdf = schema.conform(good())
    gdf[column] = gdf[column].astype(object)
    gdf.at[gdf.index[1], column] = value
    problems = schema.validate(gdf, today=dt.date(2026, 1, 1))
    assert [(p.row, p.column) for p in problems] == [(1, column)], problems
    assert message in problems[0].message


def test_validate_finds_duplicate_ids_and_missing_columns():
    df = good()
    df.loc[2, "incident_id"] = "t:0"
    problems = schema.validate(schema.conform(df))
    assert [(p.row, p.column) for p in problems] == [(2, "incident_id")]
    assert "duplicate id 't:0'" in problems[0].message
    assert schema.validate(schema.conform(good()).drop(columns=["source"]))[0].message == "column is missing"
