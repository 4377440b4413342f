"""harmmap.demo: the synthetic demo data set and ``python -m harmmap demo``."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from harmmap import demo, schema
from harmmap.gazetteer import ISO_TO_OBLAST, OBLASTS
from harmmap.taxonomy import load_taxonomy

FRONT_LINE = ("Donetsk", "Kharkiv", "Zaporizhzhia", "Kherson", "Dnipropetrovsk", "Mykolaiv", "Sumy")
UK_ONLY = re.compile("[іїєґІЇЄҐ]")
RU_ONLY = re.compile("[ыэъёЫЭЪЁ]")
CYR = re.compile("[а-яА-Я]")


@pytest.fixture(scope="module")
def gdf() -> gpd.GeoDataFrame:
    return demo.generate()


@pytest.fixture(scope="module")
def metric(gdf) -> gpd.GeoSeries:
    return gdf.geometry.to_crs(6381)   # Ukraine TM zone 7 (metres)


def _lang(text: str) -> str:
    if not CYR.search(text):
        return "en"
    if UK_ONLY.search(text) or "'" in text and not RU_ONLY.search(text):
        return "uk"
    return "ru" if RU_ONLY.search(text) or not UK_ONLY.search(text) else "uk"


# --- determinism ----------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_same_seed_gives_the_same_bytes(tmp_path, suffix):
    a = demo.write(tmp_path / f"a{suffix}", n=4000, seed=11)
    b = demo.write(tmp_path / f"b{suffix}", n=4000, seed=11)
    assert demo.sha256(a) == demo.sha256(b)


def test_different_seed_differs(tmp_path):
    a = demo.write(tmp_path / "a.parquet", n=4000, seed=11)
    b = demo.write(tmp_path / "b.parquet", n=4000, seed=12)
    assert demo.sha256(a) != demo.sha256(b)
    ga, gb = demo.generate(3000, 1), demo.generate(3000, 2)
    assert not ga["description"].equals(gb["description"])


def test_same_seed_gives_the_same_frame(gdf):
    again = demo.generate()
    pd.testing.assert_frame_equal(pd.DataFrame(gdf.drop(columns="geometry")),
                                  pd.DataFrame(again.drop(columns="geometry")))
    assert gdf.geometry.equals(again.geometry)


def test_parquet_round_trips(tmp_path):
    g = demo.generate(3000, 5)
    p = demo.write(tmp_path / "d.parquet", gdf=g)
    back = gpd.read_parquet(p)
    assert list(back.columns) == schema.COLUMN_NAMES
    assert back["incident_id"].tolist() == g["incident_id"].tolist()
    assert [list(x) for x in back["categories"]] == g["categories"].tolist()


def test_csv_has_lon_lat_and_json_lists(tmp_path):
    p = demo.write(tmp_path / "d.csv", n=2000, seed=5)
    df = pd.read_csv(p, dtype=str, keep_default_na=False)
    assert {"lon", "lat"} <= set(df.columns) and "geometry" not in df.columns
    assert json.loads(df["source_labels"].iat[0]) == ["synthetic"]
    assert all(isinstance(json.loads(v), list) for v in df["categories"])


def test_write_rejects_unknown_format(tmp_path):
    with pytest.raises(ValueError, match="unsupported output format"):
        demo.write(tmp_path / "d.xlsx", n=10)


# --- shape of the data ----------------------------------------------------------------------------

def test_default_size_and_valid_schema(gdf):
    assert len(gdf) == demo.DEFAULT_N == 25_000
    assert list(gdf.columns) == schema.COLUMN_NAMES
    assert gdf["incident_id"].is_unique
    # validate() checks row by row (slow): a smaller data set goes through the same code
    assert schema.validate(demo.generate(5000, 17)) == []


def test_small_and_empty_sizes():
    assert len(demo.generate(0)) == 0
    g = demo.generate(50, 1)
    assert len(g) == 50 and schema.validate(g) == []
    with pytest.raises(ValueError, match="0 or more"):
        demo.generate(-1)


def test_provenance_columns(gdf):
    assert (gdf["source"] == "demo").all()
    assert demo.SYNTHETIC_NOTE == "Synthetic demo data"
    assert gdf["incident_id"].iat[0] == "demo:000001"
    assert gdf["incident_id"].str.fullmatch(r"demo:\d{6}").all()
    assert gdf["incident_id"].is_unique
    assert all(u == [f"https://example.org/harmmap-demo/{i[5:]}"]
               for u, i in zip(gdf["source_urls"], gdf["incident_id"], strict=True))
    assert all(v == ["synthetic"] for v in gdf["source_labels"])
    assert (gdf["category_confidence"] == 1.0).all()
    expect = ["; ".join(f"synthetic: generated as '{c}'" for c in cats) for cats in gdf["categories"]]
    assert gdf["category_evidence"].tolist() == expect


def test_every_category_present_in_a_plausible_mix(gdf):
    counts = gdf["categories"].explode().value_counts()
    assert set(load_taxonomy().categories) <= set(counts.index)
    assert set(counts.index) <= set(load_taxonomy().categories)
    assert counts.idxmax() == "residential"
    assert counts["energy"] > counts["water"] > counts["humanitarian"]
    multi = gdf["categories"].map(len) > 1
    assert 0.05 < multi.mean() < 0.2
    assert any(set(c) == {"residential", "education"} for c in gdf["categories"])


def test_every_oblast_present_and_front_line_has_more(gdf):
    counts = gdf["admin1"].value_counts()
    assert set(counts.index) == set(OBLASTS)
    rear = counts.drop(list(FRONT_LINE))
    assert counts[list(FRONT_LINE)].min() > rear.max()
    assert counts[list(FRONT_LINE)].sum() > 0.6 * len(gdf)


def test_invasion_phase_in_the_north_then_east_and_south(gdf):
    north = gdf["admin1"].isin(["Kyiv", "Kyiv City", "Chernihiv", "Sumy", "Kharkiv"])
    early = gdf["date"] < "2022-04-01"
    later = gdf["date"] >= "2023-01-01"
    assert north[early].mean() > 0.5
    assert north[later].mean() < north[early].mean() - 0.2
    assert (gdf.loc[gdf["admin1"] == "Chernihiv", "date"] < "2022-04-07").mean() > 0.2


def test_date_range_and_precision(gdf):
    assert gdf["date"].min() == pd.Timestamp(demo.START)
    assert gdf["date"].max() <= pd.Timestamp(demo.END)
    assert gdf["date"].max() >= pd.Timestamp(demo.END) - pd.Timedelta(days=7)
    prec = gdf["date_precision"].value_counts(normalize=True)
    assert set(prec.index) == {"day", "week"} and prec["day"] > 0.85
    assert (gdf.loc[gdf["date_precision"] == "week", "time"].isna()).all()


def test_times_are_hh_mm_for_a_share(gdf):
    t = gdf["time"].dropna()
    assert 0.3 < len(t) / len(gdf) < 0.7
    assert t.str.fullmatch(r"([01]\d|2[0-3]):[0-5]\d").all()


def test_casualties(gdf):
    f, i = gdf["fatalities"], gdf["injuries"]
    assert 0.15 < f.isna().mean() < 0.25
    known = f.dropna()
    assert (known <= 3).mean() > 0.95
    assert known.max() >= 10      # rare mass-casualty events
    assert (f.dropna() >= 0).all() and (i.dropna() >= 0).all()


def test_weapons_event_types_and_actor(gdf):
    assert set(gdf["weapon"]) == {w[0] for w in demo.WEAPONS}
    assert set(gdf["event_type"]) == {"Shelling/artillery/missile attack", "Air/drone strike"}
    assert (gdf["actor"] == "Russian Armed Forces").mean() > 0.85
    front = gdf["admin1"].isin(demo.FRONT)
    rear = ~front & (gdf["date"] >= "2022-04-15")      # Kyiv and Chernihiv were front line until April 2022
    assert (gdf.loc[rear, "weapon"].isin(["missile", "drone (Shahed)"])).mean() > 0.9
    assert gdf.loc[front, "weapon"].value_counts().idxmax() == "artillery"


def test_points_near_their_town_and_in_the_study_area(gdf, metric):
    w, s, e, n = schema.STUDY_BBOX
    assert gdf.geometry.x.between(w, e).all() and gdf.geometry.y.between(s, n).all()
    towns = demo.load_towns()
    t = gpd.GeoSeries(gpd.points_from_xy(towns["lon"], towns["lat"]), crs=4326).to_crs(6381)
    # each point's nearest town is within 7 km (jitter is at most the town's radius, <= 6 km)
    d = np.array([t.distance(p).min() for p in metric.iloc[::50]])
    assert d.max() < 7000
    town_prec = gdf["geo_precision"] == "town"
    assert 0.3 < town_prec.mean() < 0.6


def test_points_fall_in_their_oblast(gdf, datasets):
    adm1 = gpd.read_file(datasets / "boundaries" / "geoBoundaries-UKR-ADM1_simplified.geojson")
    adm1["poly"] = adm1["shapeISO"].map(ISO_TO_OBLAST)
    j = gpd.sjoin(gdf[["admin1", "geometry"]], adm1[["poly", "geometry"]], how="left", predicate="within")
    j = j[~j.index.duplicated()]
    assert (j["poly"] == j["admin1"]).mean() > 0.98


# --- languages and texts --------------------------------------------------------------------------

def test_descriptions_in_three_languages(gdf):
    langs = gdf["description"].map(_lang).value_counts(normalize=True)
    assert abs(langs["en"] - 0.60) < 0.04
    assert abs(langs["uk"] - 0.25) < 0.04
    assert abs(langs["ru"] - 0.15) < 0.04


def test_location_is_the_town_in_the_descriptions_language(gdf):
    towns = demo.load_towns()
    allowed = set(towns["name_en"]) | set(towns["name_uk"]) | set(towns["name_ru"])
    assert set(gdf["location"]) <= allowed
    assert all(loc in d for loc, d in zip(gdf["location"].iloc[::97], gdf["description"].iloc[::97], strict=True))


def test_descriptions_are_varied_and_complete(gdf):
    d = gdf["description"]
    assert d.str.len().min() > 20
    assert not d.str.contains(r"\{|\}|None|nan|  ", regex=True).any()
    assert d.str.match(r"^[A-ZА-ЯІЇЄҐ]").all()
    assert d.nunique() > 0.8 * len(d)
    # several templates per language: count distinct openings after the place
    assert d[d.str.contains("Russian forces struck")].size > 100
    assert d[d.str.contains("завдали удару по")].size > 50
    assert d[d.str.contains("нанесли удар по")].size > 30


def test_near_decoys_do_not_make_the_target(gdf):
    near = gdf["description"].str.extract(r"near (the school|a hospital|a kindergarten|a church|"
                                          r"the railway station|a market|a playground)")[0]
    hits = gdf[near.notna()]
    assert len(hits) > 100
    cat_of = {en: cat for en, _uk, _ru, cat in demo.DECOYS}
    assert all(cat_of[x] not in cats for x, cats in zip(near.dropna(), hits["categories"], strict=True))
    assert hits["categories"].map(lambda c: c == ["unclassified"]).any()


@pytest.mark.parametrize("n, one, few, many", [(1, 0, 0, 0), (2, 1, 1, 1), (4, 1, 1, 1), (5, 2, 2, 2),
                                               (11, 2, 2, 2), (12, 2, 2, 2), (21, 0, 0, 0), (22, 1, 1, 1),
                                               (25, 2, 2, 2), (111, 2, 2, 2)])
def test_slavic_plural_classes(n, one, few, many):
    assert demo._plural(n) == one


def test_casualty_sentences_agree_in_number():
    assert demo._cas_uk(1, 0, 0) == " Загинула 1 особа."
    assert demo._cas_uk(3, 21, 0) == " Загинули 3 особи, поранено 21 особу."
    assert demo._cas_uk(0, 5, 0) == " Поранено 5 осіб."
    assert demo._cas_ru(1, 2, 0) == " Погиб 1 человек, ранены 2 человека."
    assert demo._cas_ru(5, 0, 0) == " Погибли 5 человек."
    assert demo._cas_ru(0, 1, 0) == " Ранен 1 человек."
    assert demo._cas_en(1, 3, 0) == " One person was killed and 3 injured."
    assert demo._cas_en(0, 0, 0) == " No casualties were reported."


def test_russian_participles_agree_with_the_target(gdf):
    verb = {"m": "попал", "f": "попала", "n": "попало", "p": "попали"}
    gender = {t[4]: t[6] for terms in demo.TERMS.values() for t in terms}
    m = gdf["description"].str.extract(r"Под удар (попал|попала|попало|попали) (.+?)(?: неподалеку от [^.]+)?\.")
    m = m.dropna()
    assert len(m) > 100
    for v, subject in zip(m[0], m[1], strict=True):
        expect = "попали" if " и " in subject else verb[gender[subject]]
        assert v == expect, (v, subject)


# --- planted patterns -----------------------------------------------------------------------------

def test_planted_is_a_constant_structure():
    kinds = {p.kind for p in demo.PLANTED}
    assert kinds == {"energy_wave", "spike", "repeated_site", "hotspot"}
    for p in demo.planted("energy_wave"):
        assert len(p.oblasts) >= 12 and set(p.oblasts) <= set(OBLASTS) and p.categories == ("energy",)
    assert {dt.date(2022, 10, 10), dt.date(2022, 12, 29), dt.date(2024, 3, 22)} <= \
        {p.dates[0] for p in demo.planted("energy_wave")}
    for p in demo.planted("repeated_site"):
        assert len(p.times) == len(p.dates) >= 5 and p.site is not None


def test_energy_waves_reach_twelve_or_more_oblasts(gdf):
    energy = gdf[gdf["categories"].map(lambda c: "energy" in c) & (gdf["date_precision"] == "day")]
    per_day = energy.groupby("date")["admin1"].nunique()
    for p in demo.planted("energy_wave"):
        day = pd.Timestamp(p.dates[0])
        got = set(energy.loc[energy["date"] == day, "admin1"])
        assert len(got) >= 12, p.label
        assert set(p.oblasts) <= got
    wave_days = {pd.Timestamp(p.dates[0]) for p in demo.planted("energy_wave")}
    assert per_day.drop(list(wave_days)).max() < 12     # the waves stand out


def test_sumy_spike_is_several_times_its_baseline(gdf):
    p = demo.planted("spike")[0]
    sumy = gdf[gdf["admin1"] == p.oblasts[0]].set_index("date").sort_index()
    weekly = sumy.resample("W-SUN").size()
    start, end = pd.Timestamp(p.dates[0]), pd.Timestamp(p.dates[1])
    inside = weekly[(weekly.index > start) & (weekly.index <= end + pd.Timedelta(days=6))]
    before = weekly[(weekly.index <= start) & (weekly.index > start - pd.Timedelta(weeks=8))]
    assert inside.mean() > 3 * before.mean()
    assert inside.min() > 2 * before.mean()


def test_repeated_sites_hit_within_150_m(gdf, metric):
    for p in demo.planted("repeated_site"):
        site = gpd.GeoSeries([Point(p.site[1], p.site[0])], crs=4326).to_crs(6381).iloc[0]
        near = metric.distance(site) < 150
        rows = gdf[near & gdf["date"].isin([pd.Timestamp(d) for d in p.dates])]
        strikes = set(zip(rows["date"].dt.date, rows["time"], strict=True))
        assert set(zip(p.dates, p.times, strict=True)) <= strikes, p.label
        rows = rows[[(d, t) in set(zip(p.dates, p.times, strict=True)) for d, t in zip(rows["date"].dt.date, rows["time"], strict=True)]]
        assert all(set(c) == set(p.categories) for c in rows["categories"])
        pts = metric[rows.index]
        for a, b in itertools.combinations(pts, 2):
            assert a.distance(b) < 150
        assert (rows["geo_precision"] == "exact").all()
    # some repeats within hours on the same day
    same_day = [p for p in demo.planted("repeated_site") if len(set(p.dates)) < len(p.dates)]
    assert len(same_day) >= 3


def test_hotspot_cluster(gdf, metric):
    p = demo.planted("hotspot")[0]
    c = gpd.GeoSeries([Point(p.site[1], p.site[0])], crs=4326).to_crs(6381).iloc[0]
    inside = metric.distance(c) <= p.radius_m
    window = gdf["date"].between(pd.Timestamp(p.dates[0]), pd.Timestamp(p.dates[1]))
    assert (inside & window).sum() >= demo.HOTSPOT_SHARE * len(gdf)
    # the densest H3 r8 cells of exactly placed points (town-precision points stack on the town) are there
    exact = gdf["geo_precision"] == "exact"
    top = gdf.loc[exact, "h3_r8"].value_counts().index[:3]
    assert inside[exact & gdf["h3_r8"].isin(top)].mean() > 0.5


def test_no_patterns_below_the_threshold():
    g = demo.generate(demo.MIN_N_FOR_PATTERNS - 1, 3)
    assert not g["time"].isin(["03:10"]).all()
    assert len(g) == demo.MIN_N_FOR_PATTERNS - 1


# --- towns ----------------------------------------------------------------------------------------

def test_towns_cover_every_oblast():
    t = demo.load_towns()
    assert 150 <= len(t) <= 250
    assert set(t["oblast"]) == set(OBLASTS)
    assert t["name_en"].is_unique
    assert (t["weight"] > 0).all() and (t["radius_km"] > 0).all()


def test_towns_file_errors_name_file_and_line(tmp_path):
    src = demo.TOWNS_CSV.read_text(encoding="utf-8").splitlines()
    bad = src[:3] + [src[3].replace(",Donetsk,", ",Donbas,")] + src[4:]
    p = tmp_path / "towns.csv"
    p.write_text("\n".join(bad), encoding="utf-8")
    with pytest.raises(ValueError, match=r"towns.csv, line 4: unknown oblast 'Donbas'"):
        demo.load_towns(p)


# --- stores and CLI -------------------------------------------------------------------------------

def test_build_store_writes_in_chunks_with_progress(tmp_path):
    from harmmap.query import Filters
    from harmmap.store import open_store

    store = open_store(tmp_path / "x.duckdb")
    try:
        seen = []
        rows = demo.build_store(store, n=3000, seed=3, progress=lambda f, m: seen.append((f, m)))
        assert rows == 3000 and store.count(Filters()) == 3000
        fr = [f for f, _ in seen]
        assert fr == sorted(fr) and fr[0] == 0.0 and fr[-1] == 1.0 and len(fr) >= 5
        ds = store.datasets()
        row = ds[ds["dataset"] == "demo"].iloc[0]
        assert bool(row["synthetic"]) and int(row["rows"]) == 3000
        demo.build_store(store, n=2500, seed=3)           # rebuilding replaces the demo rows
        assert store.count(Filters()) == 2500
    finally:
        store.close()


def test_large_demo_is_made_and_written_part_by_part(tmp_path, monkeypatch):
    """Past PART_N rows (1M: ~2.7 GB each) the demo comes in parts, so `demo --n 10000000` fits in memory:
    ids and URLs run on across parts, each part has its own seed, and the store gets exactly n rows."""
    from harmmap.query import Filters
    from harmmap.store import open_store

    monkeypatch.setattr(demo, "PART_N", 2500)
    ps = list(demo.parts(6000, 3))
    assert [len(p) for p in ps] == [2500, 2500, 1000]
    ids = pd.concat([p["incident_id"] for p in ps], ignore_index=True)
    assert ids.is_unique and ids.iloc[0] == "demo:000001" and ids.iloc[-1] == "demo:006000"
    assert ps[1]["source_urls"].iloc[0] == ["https://example.org/harmmap-demo/002501"]
    assert ps[0]["description"].tolist() != ps[1]["description"].tolist()       # not the same part again
    assert demo.generate(6000, 3)["incident_id"].tolist() == ids.tolist()
    store = open_store(tmp_path / "big.duckdb")
    try:
        seen = []
        assert demo.build_store(store, n=6000, seed=3, progress=lambda f, m: seen.append(f)) == 6000
        assert store.count(Filters()) == 6000
        assert sorted(store.incidents(Filters(), columns=["incident_id"])["incident_id"]) == sorted(ids)
        assert seen == sorted(seen) and seen[-1] == 1.0
    finally:
        store.close()


def test_ensure_demo_store_builds_only_when_empty(tmp_path, monkeypatch):
    from harmmap.query import Filters

    url = tmp_path / "first.duckdb"
    calls = []
    store = demo.ensure_demo_store(url, progress=lambda f, m: calls.append(f), n=2000)
    assert store.count(Filters()) == 2000 and calls[-1] == 1.0
    store.close()
    monkeypatch.setattr(demo, "build_store", lambda *a, **k: pytest.fail("rebuilt a non-empty store"))
    store = demo.ensure_demo_store(url)
    assert store.count(Filters()) == 2000
    store.close()


def test_cli_out_json(tmp_path, capsys):
    from harmmap.cli import main

    out = tmp_path / "d.parquet"
    assert main(["demo", "--n", "2000", "--seed", "9", "--out", str(out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["rows"] == 2000 and doc["out"] == str(out) and doc["seed"] == 9 and doc["seconds"] >= 0
    assert len(gpd.read_parquet(out)) == 2000


def test_cli_db_json(tmp_path, capsys):
    from harmmap.cli import main
    from harmmap.query import Filters
    from harmmap.store import open_store

    db = tmp_path / "c.duckdb"
    assert main(["demo", "--n", "2000", "--db", str(db), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc == {"rows": 2000, "db": str(db), "seconds": doc["seconds"], "seed": demo.DEFAULT_SEED}
    s = open_store(db)
    assert s.count(Filters(sources=("demo",))) == 2000
    s.close()


def test_cli_errors_are_clear(tmp_path, capsys):
    from harmmap.cli import main

    assert main(["demo", "--n", "10", "--out", str(tmp_path / "x.txt")]) == 2
    assert "use a .parquet or .csv" in capsys.readouterr().err
    assert main(["demo", "--n", "-5", "--out", str(tmp_path / "x.csv")]) == 2
    assert main(["demo", "--db", str(tmp_path / "a.duckdb"), "--out", str(tmp_path / "x.csv")]) == 2
