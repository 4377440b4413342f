"""Who sees what (AppTest through the entrypoint): with ``HARMMAP_COARSEN_KM=5`` and a password file, a
viewer's map data, detail panel and downloads carry coarsened coordinates and an editor's or admin's the
exact ones; only an admin sees the Data page's delete, and it deletes.

The signed-in user is put in the session as the login form would (``harmmap_user``); signing in through the
form is driven in a real browser (tests/browser/test_login_browser.py)."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from harmmap import auth, schema
from harmmap.query import Filters
from tests.app.conftest import ENTRY, page

KM = 5


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    from harmmap.demo import ensure_demo_store

    tmp = tmp_path_factory.mktemp("coarse")
    url = str(tmp / "harmmap.duckdb")
    s = ensure_demo_store(url, n=400)
    extra = schema.conform(pd.DataFrame({"incident_id": ["ext:1", "ext:2"], "source": ["ext", "ext"],
                                         "date": ["2023-05-01", "2023-05-02"], "lon": [36.23456, 30.52341],
                                         "lat": [49.98765, 50.45012], "categories": [["health"], ["energy"]]}))
    s.write_incidents(extra, "ext")
    s.close()
    users = tmp / "users.txt"
    for name, role in (("vera", "viewer"), ("ed", "editor"), ("ada", "admin")):
        auth.add_user(users, name, role, f"{name}-password")
    mp = pytest.MonkeyPatch()
    mp.setenv("HARMMAP_DATABASE_URL", url)
    mp.setenv("HARMMAP_PASSWORD_FILE", str(users))
    mp.setenv("HARMMAP_COARSEN_KM", str(KM))
    for v in ("HARMMAP_SENSITIVE_SOURCES", "HARMMAP_SENSITIVE_CATEGORIES", "HARMMAP_COARSEN_ROLES",
              "HARMMAP_COARSEN_PRESENTING"):
        mp.delenv(v, raising=False)
    yield url
    mp.undo()


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def signed_in(role: str, on: str | None = None, **params) -> AppTest:
    """A run of the entrypoint (on the page ``on``, default the map) as a user with ``role``."""
    at = AppTest.from_file(ENTRY, default_timeout=180)
    at.session_state["harmmap_user"] = auth.User({"viewer": "vera", "editor": "ed", "admin": "ada"}[role], role)
    for k, v in params.items():
        at.query_params[k] = v
    if on:
        at.switch_page(page(on))
    return run(at)


def html(at: AppTest) -> str:
    return "\n".join(str(h.proto.body) for h in at.get("html"))


def component_args(at: AppTest) -> str:
    """Everything the page sent to its custom components (the map's HTML with its points)."""
    return "\n".join(str(e.proto) for e in at.get("component_instance")) if at.get("component_instance") else \
        str(at._tree)


@pytest.mark.parametrize("role, coarse", [("viewer", True), ("editor", False), ("admin", False)])
def test_the_map_data_and_the_detail_panel(env, role, coarse):
    at = signed_in(role, ids="ext:1")
    ctx = at.session_state["harmmap_context"]
    assert ctx.store.coarse is coarse
    df = ctx.store.incidents(Filters(incident_ids=("ext:1",)), columns=["incident_id", "lon", "lat", "geo_precision",
                                                                       "h3_r8"])
    lon, lat = float(df["lon"].iloc[0]), float(df["lat"].iloc[0])
    panel = html(at)
    assert "ext:1" in panel and "Coordinates" in panel
    if coarse:
        assert (lon, lat) != (36.23456, 49.98765) and df["geo_precision"].iloc[0] == f"coarsened to ~{KM} km"
        assert abs(lon - 36.23456) * 71.7 < 4 and abs(lat - 49.98765) * 111.3 < 3
        assert "coarsened to ~5 km" in panel and "49.98765" not in panel and "36.23456" not in panel
        assert "36.2345" not in component_args(at)
        assert int(df["h3_r8"].iloc[0]) >> 52 & 0xF <= 5                 # no fine H3 cell either
        assert any("Coordinates of sensitive records coarsened" in str(c.value) for c in at.sidebar.caption)
        assert "coordinates of sensitive records coarsened to ~5 km" in component_args(at)   # said on the map
    else:
        assert (lon, lat) == (36.23456, 49.98765) and df["geo_precision"].iloc[0] == "exact"
        assert "49.98765, 36.23456" in panel
        assert "36.2345" in component_args(at)                  # the map's points: exact (the check above bites)
        assert "coordinates of sensitive records coarsened" not in component_args(at)


@pytest.mark.parametrize("role, coarse", [("viewer", True), ("editor", False)])
def test_downloads_from_the_briefing_page(env, role, coarse):
    from ui import briefing as ub

    at = signed_in(role, "briefing")
    ctx = at.session_state["harmmap_context"]
    f = Filters(sources=("ext",))
    csv = pd.read_csv(io.BytesIO(ub._data_file(ctx.store.url, ctx.store.info.version, f, "csv")),
                      encoding="utf-8-sig")
    geojson = ub._data_file(ctx.store.url, ctx.store.info.version, f, "geojson").decode("utf-8")
    assert len(csv) == 2
    exact = {36.23456, 30.52341}
    if coarse:
        assert not exact & set(csv["lon"]) and (csv["geo_precision"] == f"coarsened to ~{KM} km").all()
        assert "36.23456" not in geojson and "49.98765" not in geojson
        zipped = ub._briefing_zip(ctx.store.url, ctx.store.info.version, ub._bkey(), f)
        import zipfile

        z = zipfile.ZipFile(io.BytesIO(zipped))
        assert "36.23456" not in z.read("incidents.csv").decode("utf-8-sig")
        assert "coarsened to ~5 km" in z.read("methodology.md").decode("utf-8")
    else:
        assert exact == set(csv["lon"]) and (csv["geo_precision"] == "exact").all()


def test_presentation_mode_coarsens_for_an_editor_too(env):
    at = signed_in("editor", "trends", present="1")
    assert at.session_state["harmmap_context"].store.coarse


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_only_an_admin_sees_the_delete(env, role):
    at = signed_in(role, "data")
    assert not [e for e in at.get("expander") if "Delete a data set" in str(e.label)]
    assert not [b for b in at.button if b.label == "Delete data set"]


def test_an_admin_deletes_a_data_set(env):
    from harmmap.store import open_store

    at = signed_in("admin", "data")
    assert [e for e in at.get("expander") if "Delete a data set" in str(e.label)]
    btn = at.button(key="hm_dp_delete")
    assert btn.disabled                               # nothing chosen, nothing typed
    at.selectbox(key="hm_dp_del_name").set_value("ext")
    at.text_input(key="hm_dp_del_reason").input("loaded by mistake")
    at.text_input(key="hm_dp_del_confirm").input("ext")
    run(at)
    assert not at.button(key="hm_dp_delete").disabled
    at.button(key="hm_dp_delete").click()
    run(at)
    s = open_store(env)
    try:
        assert "ext" not in s.datasets()["dataset"].tolist() and s.incident("ext:1") is None
        assert s.count(Filters()) == 400
    finally:
        s.close()
    assert any(re.search(r"Deleted data set", str(m.value)) for m in at.success), [m.value for m in at.success]


@pytest.mark.parametrize("name", ["trends", "patterns", "audit"])
def test_every_page_works_for_a_viewer_with_coarsened_data(env, name):
    at = signed_in("viewer", name)
    assert at.session_state["harmmap_context"].store.coarse
