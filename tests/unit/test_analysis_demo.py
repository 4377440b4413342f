"""The demo generator's planted patterns (harmmap.demo.PLANTED) are found by harmmap.analysis,
and the demo's background produces no extra waves."""

from __future__ import annotations

import datetime as dt
import math

import h3
import pandas as pd
import pytest

from harmmap import analysis

demo = pytest.importorskip("harmmap.demo", reason="harmmap.demo is not written yet")


@pytest.fixture(scope="module")
def demo_df() -> pd.DataFrame:
    gdf = demo.generate()
    df = pd.DataFrame(gdf.drop(columns="geometry"))
    df["lon"], df["lat"] = gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy()
    return df


def test_planted_energy_waves_found_and_nothing_else(demo_df):
    waves = demo.planted("energy_wave")
    assert waves
    found = analysis.detect_waves(demo_df, group="energy", min_regions=3)
    days = {f.filters.date_from for f in found}
    assert {w.dates[0] for w in waves} <= days
    assert len(days - {w.dates[0] for w in waves}) <= 1      # at most one background day at 5% FDR
    for w in waves:
        f = next(f for f in found if f.filters.date_from == w.dates[0])
        assert set(w.oblasts) <= set(f.filters.admin1)


def test_planted_spike_found(demo_df):
    for s in demo.planted("spike"):
        by = ("admin1", "category") if s.categories else ("admin1",)
        found = analysis.detect_spikes(demo_df, by=by)
        first, last = s.dates[0], s.dates[-1]
        hits = [f for f in found if f.filters.admin1 == s.oblasts[:1]
                and first - dt.timedelta(days=6) <= f.filters.date_from <= last]
        assert hits, f"planted spike {s.label} not found"


def test_planted_repeated_sites_found(demo_df):
    found = analysis.detect_repeats(demo_df, distance_m=150, within_days=None)
    for s in demo.planted("repeated_site"):
        lat, lon = s.site
        near = [f for f in found
                if math.hypot((f.numbers["lon"] - lon) * 111_000 * math.cos(math.radians(lat)),
                              (f.numbers["lat"] - lat) * 111_000) < 150]
        assert near, f"planted site {s.label} not found"
        assert max(f.numbers["strikes"] for f in near) >= len(s.dates)
    quick = analysis.detect_repeats(demo_df, within_hours=6)
    assert quick, "planted same-day re-strikes (times known) not found"


def test_planted_hotspot_found(demo_df):
    for s in demo.planted("hotspot"):
        window = demo_df[(demo_df.date >= pd.Timestamp(s.dates[0])) & (demo_df.date <= pd.Timestamp(s.dates[-1]))]
        found = analysis.detect_hotspots(window, resolution=6)
        cell = h3.latlng_to_cell(s.site[0], s.site[1], 6)
        assert any(cell in f.filters.h3_cells for f in found), f"planted hot spot {s.label} not found"
