"""Oblast and raion choropleths: incidents per region, or the share of one category, on the configured
boundaries.

Oblasts (level 1): the counts come from the store (``store.counts_by(filters, "admin1")``), the shapes
from ``harmmap.gazetteer.boundaries(1)``; each oblast carries its canonical name (``properties.admin1``)
so that a click on it can filter the dashboard to it (:mod:`ui.map`).

Raions (level 2, ``harmmap.gazetteer.boundaries(2)``): the store has no raion aggregate, so
:func:`admin2_counts` counts them from the incidents' coordinates (the store's own ``admin2`` where it
names a raion of these boundaries, else a point-in-polygon join). Raion names repeat across oblasts,
so a raion is keyed by its row in the boundaries (``properties.raion``, with ``properties.admin2`` for
its name); a click on it filters to its polygon. Tooltips are escaped in Python.

Example
-------
>>> import geopandas as gpd, pandas as pd
>>> from shapely.geometry import box
>>> b = gpd.GeoDataFrame({"admin1": ["Kyiv", "Sumy"]}, geometry=[box(30, 50, 31, 51), box(33, 50, 35, 52)], crs=4326)
>>> data = choropleth_data(b, pd.DataFrame({"key": ["Sumy"], "incidents": [40]}))
>>> layer = choropleth(data)
>>> layer.features, layer.incidents
(2, 40)
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import pandas as pd
from folium.map import Layer
from folium.template import Template

from layers.common import esc
from layers.hexagons import SEQUENTIAL, _bin_of, nice_bins
from layers.legend import HtmlControl, _swatch
from layers.outlines import _round

__all__ = ["ChoroplethLayer", "choropleth", "choropleth_data", "choropleth_legend", "admin2_counts",
           "raion_label", "SHARE_BINS", "NONE_COLOR", "LEVELS"]

#: share classes (percent, low inclusive .. high exclusive; the last includes 100)
SHARE_BINS = ((0, 5), (5, 10), (10, 20), (20, 40), (40, 60), (60, 100))
#: an oblast with no incident
NONE_COLOR = "#f2f2f0"
#: level -> (singular, plural) of its regions
LEVELS = {1: ("oblast", "oblasts"), 2: ("raion", "raions")}


def raion_label(row) -> str:
    """'Chuhuiv (Kharkiv)': a raion's name with its oblast (names repeat across oblasts)."""
    name, parent = row.get("admin2"), row.get("admin1")
    name = "?" if name is None or pd.isna(name) else str(name)
    return name if parent is None or pd.isna(parent) else f"{name} ({parent})"


def admin2_counts(store, filters, raions: gpd.GeoDataFrame) -> pd.DataFrame:
    """Incidents per raion (``key``: the raion's row position in ``raions``, ``incidents``).

    The store's ``admin2`` is used where it names one of these raions (with its oblast when the name
    repeats); the other incidents are placed by their coordinates (point in polygon). Incidents in no
    raion are counted under key -1.

    Example
    -------
    >>> from harmmap.demo import ensure_demo_store
    >>> from harmmap.query import Filters
    >>> from shapely.geometry import box
    >>> r = gpd.GeoDataFrame({"admin2": ["West", "East"], "admin1": ["A", "A"]},
    ...                      geometry=[box(22, 44, 31, 53), box(31, 44, 41, 53)], crs=4326)
    >>> c = admin2_counts(ensure_demo_store(":memory:", n=500), Filters(), r)
    >>> int(c["incidents"].sum())
    500
    """
    import numpy as np

    df = store.incidents(filters, columns=["admin2", "admin1", "h3_r8", "geometry"])
    n = len(df)
    key = np.full(n, -2, dtype="int64")
    if n and "admin2" in df.columns and df["admin2"].notna().any():
        names = raions["admin2"].astype("object")
        parents = raions["admin1"].astype("object") if "admin1" in raions.columns else pd.Series([None] * len(raions))
        pair = pd.Series(range(len(raions)), index=names.fillna("") + "\x1f" + parents.fillna(""))
        pair = pair[~pair.index.duplicated()]
        unique = pd.Series(range(len(raions)), index=names)[~names.duplicated(keep=False).to_numpy()]
        a2 = df["admin2"].astype("object")
        a1 = df["admin1"].astype("object") if "admin1" in df.columns else pd.Series([None] * n)
        k = (a2.fillna("") + "\x1f" + a1.fillna("")).map(pair)
        k = k.where(k.notna(), a2.map(unique))
        key = k.where(a2.notna()).fillna(-2).to_numpy(dtype="int64")
    todo = np.flatnonzero(key == -2)
    if len(todo):
        key[todo] = _locate(raions, df["lon"].to_numpy(dtype=float, na_value=np.nan)[todo],
                            df["lat"].to_numpy(dtype=float, na_value=np.nan)[todo],
                            df["h3_r8"].to_numpy(dtype="int64", na_value=0)[todo] if "h3_r8" in df.columns else None)
    vc = pd.Series(key).value_counts()
    return pd.DataFrame({"key": vc.index.astype("int64"), "incidents": vc.to_numpy().astype("int64")})


def _locate(raions: gpd.GeoDataFrame, lon, lat, cells=None):
    """Row position of the raion holding each point (-1: none). Points whose H3 r8 cell (``cells``, as
    stored) lies wholly inside one raion take that raion without a test of their own, so a million
    incidents cost a few thousand hexagon tests plus the points near a border."""
    import h3
    import numpy as np
    import shapely

    out = np.full(len(lon), -1, dtype="int64")
    ok = ~(np.isnan(lon) | np.isnan(lat))
    if not ok.any():
        return out
    tree = shapely.STRtree(raions.geometry.values)
    exact = ok.copy()
    if cells is not None:
        uniq, inv = np.unique(cells, return_inverse=True)
        inner = np.full(len(uniq), -1, dtype="int64")
        real = np.flatnonzero(uniq != 0)
        if len(real):
            hexes = shapely.polygons([[(x, y) for y, x in h3.cell_to_boundary(h3.int_to_str(int(c)))]
                                      for c in uniq[real]])
            # a hexagon slightly grown, so that one touching a border counts as crossing it
            ci, gi = tree.query(shapely.buffer(hexes, 1e-6), predicate="within")
            inner[real[ci]] = gi
        pk = inner[inv]
        exact = ok & (pk < 0)
        out[ok & (pk >= 0)] = pk[ok & (pk >= 0)]
    idx = np.flatnonzero(exact)
    if len(idx):
        pi, gi = tree.query(shapely.points(lon[idx], lat[idx]), predicate="intersects")
        first = pd.Series(gi).groupby(pi).min()      # a point on a shared border goes to one raion
        out[idx[first.index.to_numpy()]] = first.to_numpy()
    return out


def choropleth_data(boundaries: gpd.GeoDataFrame, counts: pd.DataFrame,
                    share_counts: pd.DataFrame | None = None, *, level: int = 1) -> gpd.GeoDataFrame:
    """Regions (``key``, ``name``, geometry) with ``incidents`` (from ``counts``: key, incidents) and,
    when ``share_counts`` (key, incidents: those of the chosen category) is given, ``share`` (0..1).

    Level 1 (oblasts): the key is ``admin1``. Level 2 (raions, ``boundaries(2)``): the key is the
    raion's row position, as :func:`admin2_counts` gives it, and the name says its oblast.
    Counts of a key that is not a boundary (no region, or a misspelt one) are kept in
    ``attrs["unmatched"]`` so the map can say how many it cannot place.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be 1 or 2, not {level!r}")
    col = "admin1" if level == 1 else "admin2"
    if boundaries is None or col not in boundaries.columns:
        raise ValueError(f"the choropleth needs {LEVELS[level][1]} boundaries with an {col} column "
                         f"(harmmap boundaries load FILE --level {level})")
    if level == 1:
        b = boundaries[["admin1", "geometry"]].copy()
        b["key"] = b["admin1"]
        b["name"] = b["admin1"].astype("object")
    else:
        b = boundaries[[c for c in ("admin2", "admin1", "geometry") if c in boundaries.columns]].reset_index(drop=True)
        b["key"] = range(len(b))
        b["name"] = [raion_label(r) for r in b.drop(columns="geometry").to_dict("records")]
    n = counts.set_index("key")["incidents"] if len(counts) else pd.Series(dtype="int64")
    b["incidents"] = b["key"].map(n).fillna(0).astype("int64")
    if share_counts is not None:
        k = share_counts.set_index("key")["incidents"] if len(share_counts) else pd.Series(dtype="int64")
        num = b["key"].map(k).fillna(0).astype(float)
        b["share"] = (num / b["incidents"].where(b["incidents"] > 0)).clip(0, 1)
        b["share_n"] = num.astype("int64")
    known = set(b["key"])
    b.attrs["unmatched"] = int(sum(int(v) for key, v in n.items() if key not in known))
    b.attrs["level"] = level
    return b


class ChoroplethLayer(Layer):
    """Oblasts or raions filled by count (or share) class; clickable (``properties.admin1`` for an oblast,
    ``properties.raion``/``admin2`` for a raion), with escaped tooltips."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJSON({{ this.geojson|tojson }}, {
            style: function (f) {
                return {color: "#555", weight: {{ this.weight }}, opacity: 0.9, fillColor: f.properties.c,
                        fillOpacity: 0.72};
            },
            onEachFeature: function (f, layer) {
                layer.bindTooltip(f.properties.t, {sticky: true});
                layer.on("mouseover", function () { layer.setStyle({weight: 2.2, color: "#222"}); });
                layer.on("mouseout", function () { layer.setStyle({weight: {{ this.weight }}, color: "#555"}); });
            }
        }).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, data: gpd.GeoDataFrame, *, value: str = "incidents", label: str = "",
                 tolerance: float = 0.01, name: str | None = None, show: bool = True):
        if value not in ("incidents", "share"):
            raise ValueError(f"value must be 'incidents' or 'share', not {value!r}")
        level = int(data.attrs.get("level", 1))
        missing = [c for c in ("key", "name", "geometry", "incidents") if c not in data.columns]
        if value == "share" and "share" not in data.columns:
            missing.append("share")
        if missing:
            raise ValueError(f"choropleth data lacks column(s) {missing}; see choropleth_data()")
        one, many = LEVELS[level]
        super().__init__(name=name or f"{many.capitalize()}: {'share' if value == 'share' else 'incidents'}",
                         overlay=True, control=True, show=show)
        self._name = "ChoroplethLayer"
        self.value, self.label, self.level = value, label, level
        self.weight = 0.8 if level == 1 else 0.4
        gdf = data.to_crs(4326) if data.crs and data.crs.to_epsg() != 4326 else data
        if value == "share":
            self.bins = [(lo, hi) for lo, hi in SHARE_BINS]
        else:
            self.bins = nice_bins(gdf["incidents"].tolist())
        self.colors = list(SEQUENTIAL[: len(self.bins)]) if len(self.bins) > 1 else [SEQUENTIAL[3]]
        used: dict[int, int] = {}
        feats = []
        geoms = gdf.geometry.simplify(tolerance, preserve_topology=True)
        for (_, row), geom in zip(gdf.iterrows(), geoms, strict=True):
            if geom is None or geom.is_empty:
                continue
            n = int(row["incidents"])
            tip = f"<b>{esc(row['name'])}</b><br>{n:,} incident{'s' if n != 1 else ''}"
            if value == "share":
                s = row["share"]
                if pd.isna(s):
                    color, k = NONE_COLOR, -1
                    tip += f"<br>{esc(label)}: no incidents"
                else:
                    pct = float(s) * 100
                    k = next((i for i, (lo, hi) in enumerate(self.bins) if lo <= pct < hi), len(self.bins) - 1)
                    color = self.colors[k]
                    tip += f"<br>{esc(label)}: {int(row.get('share_n', 0)):,} ({pct:.1f}%)"
            elif n == 0:
                color, k = NONE_COLOR, -1
            else:
                k = _bin_of(n, self.bins)
                color = self.colors[k]
            used[k] = used.get(k, 0) + 1
            tip += f"<br><i>click to filter to this {one}</i>"
            props = ({"admin1": str(row["key"])} if level == 1 else
                     {"raion": int(row["key"]), "admin2": str(row["admin2"])})
            feats.append({"type": "Feature", "geometry": _round(geom.__geo_interface__),
                          "properties": dict(props, c=color, t=tip)})
        self.geojson = {"type": "FeatureCollection", "features": feats}
        #: class index (-1: none) -> regions drawn in it: the legend lists these
        self.used = used
        self.incidents = int(gdf["incidents"].sum())
        self.unmatched = int(data.attrs.get("unmatched", 0))

    @property
    def features(self) -> int:
        return len(self.geojson["features"])


def choropleth(data: gpd.GeoDataFrame, options: Mapping | None = None) -> ChoroplethLayer:
    """Oblast or raion choropleth from :func:`choropleth_data` output.

    ``options``: ``value`` ("incidents" or "share"), ``label`` (what the share is of, e.g. "Health"),
    ``tolerance`` (simplification, degrees), ``name``, ``show``.
    """
    o = dict(options or {})
    return ChoroplethLayer(data, value=o.get("value", "incidents"), label=o.get("label", ""),
                           tolerance=o.get("tolerance", 0.01), name=o.get("name"), show=o.get("show", True))


def choropleth_legend(layer: ChoroplethLayer) -> HtmlControl:
    """Legend of the classes the choropleth actually drew (and 'none' when a region had no incident)."""
    rows = []
    for i, ((lo, hi), c) in enumerate(zip(layer.bins, layer.colors, strict=False)):
        if not layer.used.get(i):
            continue
        if layer.value == "share":
            lab = f"{lo}–{hi}%" if hi < 100 else f"{lo}–100%"
        else:
            lab = f"{lo:,}" if lo == hi else f"{lo:,}–{hi:,}"
        rows.append(f"<div class='hm-row'>{_swatch(c, 'square')}<span class='hm-lab'>{lab}</span></div>")
    if layer.used.get(-1):
        rows.append(f"<div class='hm-row'>{_swatch(NONE_COLOR, 'square')}<span class='hm-lab'>"
                    f"{'no incidents' if layer.value == 'share' else '0'}</span></div>")
    one, _ = LEVELS[layer.level]
    title = (f"Share that hit: {esc(layer.label)}" if layer.value == "share" else f"Incidents per {one}")
    note = f"{one.capitalize()}s" + (f" coloured by share ({layer.features:,} drawn)" if layer.value == "share"
                                     else f" ({layer.features:,} drawn)")
    note += f"; click a{'n' if one[0] in 'aeiou' else ''} {one} to filter to it"
    if layer.unmatched:
        note += f"; {layer.unmatched:,} incident(s) have no {one} on these boundaries"
    return HtmlControl(f"<div class='hm-title'>{title}</div>{''.join(rows)}<div class='hm-note'>{esc(note)}</div>",
                       "bottomright", "hm-box hm-legend")
