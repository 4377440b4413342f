"""Oblast choropleth: incidents per oblast, or the share of one category, on the configured boundaries.

The counts come from the store (``store.counts_by(filters, "admin1")``); the shapes from
``harmmap.gazetteer.boundaries(1)``. Each oblast carries its canonical name (``properties.admin1``)
so that a click on it can filter the dashboard to it (:mod:`ui.map`). Tooltips are escaped in Python.

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

__all__ = ["ChoroplethLayer", "choropleth", "choropleth_data", "choropleth_legend", "SHARE_BINS", "NONE_COLOR"]

#: share classes (percent, low inclusive .. high exclusive; the last includes 100)
SHARE_BINS = ((0, 5), (5, 10), (10, 20), (20, 40), (40, 60), (60, 100))
#: an oblast with no incident
NONE_COLOR = "#f2f2f0"


def choropleth_data(boundaries: gpd.GeoDataFrame, counts: pd.DataFrame,
                    share_counts: pd.DataFrame | None = None) -> gpd.GeoDataFrame:
    """Oblasts (``admin1``, geometry) with ``incidents`` (from ``counts``: key, incidents) and, when
    ``share_counts`` (key, incidents: those of the chosen category) is given, ``share`` (0..1).

    Counts of a key that is not a boundary (no oblast, or a misspelt one) are kept in
    ``attrs["unmatched"]`` so the map can say how many it cannot place.
    """
    if boundaries is None or "admin1" not in boundaries.columns:
        raise ValueError("the choropleth needs oblast boundaries with an admin1 column (harmmap boundaries load)")
    b = boundaries[["admin1", "geometry"]].copy()
    n = counts.set_index("key")["incidents"] if len(counts) else pd.Series(dtype="int64")
    b["incidents"] = b["admin1"].map(n).fillna(0).astype("int64")
    if share_counts is not None:
        k = share_counts.set_index("key")["incidents"] if len(share_counts) else pd.Series(dtype="int64")
        num = b["admin1"].map(k).fillna(0).astype(float)
        b["share"] = (num / b["incidents"].where(b["incidents"] > 0)).clip(0, 1)
        b["share_n"] = num.astype("int64")
    known = set(b["admin1"])
    b.attrs["unmatched"] = int(sum(int(v) for key, v in n.items() if key not in known))
    return b


class ChoroplethLayer(Layer):
    """Oblasts filled by count (or share) class; clickable (``properties.admin1``), with escaped tooltips."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJSON({{ this.geojson|tojson }}, {
            style: function (f) {
                return {color: "#555", weight: 0.8, opacity: 0.9, fillColor: f.properties.c, fillOpacity: 0.72};
            },
            onEachFeature: function (f, layer) {
                layer.bindTooltip(f.properties.t, {sticky: true});
                layer.on("mouseover", function () { layer.setStyle({weight: 2.2, color: "#222"}); });
                layer.on("mouseout", function () { layer.setStyle({weight: 0.8, color: "#555"}); });
            }
        }).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, data: gpd.GeoDataFrame, *, value: str = "incidents", label: str = "",
                 tolerance: float = 0.01, name: str | None = None, show: bool = True):
        if value not in ("incidents", "share"):
            raise ValueError(f"value must be 'incidents' or 'share', not {value!r}")
        missing = [c for c in ("admin1", "geometry", "incidents") if c not in data.columns]
        if value == "share" and "share" not in data.columns:
            missing.append("share")
        if missing:
            raise ValueError(f"choropleth data lacks column(s) {missing}; see choropleth_data()")
        super().__init__(name=name or ("Oblasts: share" if value == "share" else "Oblasts: incidents"),
                         overlay=True, control=True, show=show)
        self._name = "ChoroplethLayer"
        self.value, self.label = value, label
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
            tip = f"<b>{esc(row['admin1'])}</b><br>{n:,} incident{'s' if n != 1 else ''}"
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
            tip += "<br><i>click to filter to this oblast</i>"
            feats.append({"type": "Feature", "geometry": _round(geom.__geo_interface__),
                          "properties": {"admin1": str(row["admin1"]), "c": color, "t": tip}})
        self.geojson = {"type": "FeatureCollection", "features": feats}
        #: class index (-1: none) -> oblasts drawn in it: the legend lists these
        self.used = used
        self.incidents = int(gdf["incidents"].sum())
        self.unmatched = int(data.attrs.get("unmatched", 0))

    @property
    def features(self) -> int:
        return len(self.geojson["features"])


def choropleth(data: gpd.GeoDataFrame, options: Mapping | None = None) -> ChoroplethLayer:
    """Oblast choropleth from :func:`choropleth_data` output.

    ``options``: ``value`` ("incidents" or "share"), ``label`` (what the share is of, e.g. "Health"),
    ``tolerance`` (simplification, degrees), ``name``, ``show``.
    """
    o = dict(options or {})
    return ChoroplethLayer(data, value=o.get("value", "incidents"), label=o.get("label", ""),
                           tolerance=o.get("tolerance", 0.01), name=o.get("name"), show=o.get("show", True))


def choropleth_legend(layer: ChoroplethLayer) -> HtmlControl:
    """Legend of the classes the choropleth actually drew (and 'none' when an oblast had no incident)."""
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
    title = (f"Share that hit: {esc(layer.label)}" if layer.value == "share" else "Incidents per oblast")
    note = "Click an oblast to filter to it"
    if layer.unmatched:
        note += f"; {layer.unmatched:,} incident(s) have no oblast on these boundaries"
    return HtmlControl(f"<div class='hm-title'>{title}</div>{''.join(rows)}<div class='hm-note'>{esc(note)}</div>",
                       "bottomright", "hm-box hm-legend")
