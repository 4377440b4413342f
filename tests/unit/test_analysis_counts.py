"""The analyses on grouped counts (a row standing for ``incidents`` of them, categories as the store's bit mask)
find what they find on the incidents themselves: the Patterns page reads counts (issue 8)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from harmmap import analysis
from harmmap.analysis._common import cat_lists, in_categories
from harmmap.analysis.synth import null_incidents
from harmmap.query import Filters

BITS = {"unclassified": 0, "energy": 1, "water": 2, "gas_heating": 3, "residential": 4, "health": 5,
        "education": 6, "transport": 7, "commercial": 8}


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    df = null_incidents(1500, seed=3, days=200, oblasts=8, h3=True)
    rng = np.random.default_rng(1)
    # a planted wave and spike, some multi-label and unclassified incidents, some month-dated ones
    extra = df.sample(80, random_state=2).assign(date=pd.Timestamp("2022-06-01"), categories=[["energy"]] * 80)
    df = pd.concat([df, extra], ignore_index=True)
    pick = rng.random(len(df))
    df["categories"] = [["energy", "water"] if p < 0.1 else [] if p > 0.95 else c
                        for p, c in zip(pick, df["categories"], strict=True)]
    df["date_precision"] = np.where(rng.random(len(df)) < 0.05, "month", "day")
    df["eff_mask"] = [sum(1 << BITS[c] for c in lst) or 1 for lst in df["categories"]]
    return df


def grouped(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    g = df.groupby(by, observed=True).size().rename("incidents").reset_index()
    g = g.sample(frac=1.0, random_state=0).reset_index(drop=True)        # the store gives no order
    for c in ("admin1", "date_precision"):
        if c in g:
            g[c] = g[c].astype("category")
    g.attrs["category_bits"] = dict(BITS)
    return g


def same(a: list, b: list) -> bool:
    return [(f.title, f.filters.to_params(), f.numbers) for f in a] == \
        [(f.title, f.filters.to_params(), f.numbers) for f in b]


def test_mask_decodes_like_the_lists(rows):
    m = rows.drop(columns="categories")
    m.attrs["category_bits"] = dict(BITS)
    assert [sorted(x) for x in cat_lists(rows)] == cat_lists(m).tolist()
    for cats in (("energy",), ("unclassified",), ("water", "health")):
        assert (in_categories(m, cats) == in_categories(rows, cats)).all()


def test_keyed_analyses_on_counts_find_the_same(rows):
    keys = grouped(rows, ["date", "date_precision", "admin1", "eff_mask"])
    assert len(keys) < len(rows) and keys["incidents"].sum() == len(rows)
    f = Filters(date_from=pd.Timestamp("2022-03-07").date())
    assert analysis.detect_spikes(rows, by=("admin1",), base=f)
    for by in (("admin1",), ("admin1", "group"), ("admin1", "category"), ("group",)):
        assert same(analysis.detect_spikes(keys, by=by, base=f), analysis.detect_spikes(rows, by=by, base=f))
    found = analysis.detect_waves(rows, group="utilities", min_regions=2, base=f)
    assert found and same(analysis.detect_waves(keys, group="utilities", min_regions=2, base=f), found)
    assert analysis.daily_regions(keys, baseline_days=30).equals(analysis.daily_regions(rows, baseline_days=30))
    for of in ("category", "group"):
        a, b = analysis.compare(keys, of=of, base=f), analysis.compare(rows, of=of, base=f)
        assert a.counts.equals(b.counts) and a.p == pytest.approx(b.p) and same(a.findings, b.findings)
    a, b = ("2022-03-07", "2022-05-01"), ("2022-05-02", "2022-06-30")
    for by in ("category", "admin1", None):
        ta, fa = analysis.period_vs_period(keys, a, b, by=by, base=f)
        tb, fb = analysis.period_vs_period(rows, a, b, by=by, base=f)
        assert ta.equals(tb) and same(fa, fb)


def test_hot_spots_on_cell_counts_find_the_same(rows):
    for res in (5, 6):
        cells = grouped(rows, [f"h3_r{res}"])
        assert same(analysis.detect_hotspots(cells, resolution=res), analysis.detect_hotspots(rows, resolution=res))
    steps = rows.assign(date=rows["date"].dt.to_period("M").dt.to_timestamp())
    cells = grouped(steps, ["h3_r5", "date"])
    a = analysis.emerging_hotspots(cells, resolution=5, freq="M")
    b = analysis.emerging_hotspots(rows, resolution=5, freq="M")
    assert a.equals(b) and same(analysis.emerging_findings(a), analysis.emerging_findings(b))
