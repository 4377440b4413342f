"""Legends drawn inside the map (a Leaflet control of escaped HTML) that match what is drawn.

Example
-------
>>> import folium
>>> m = folium.Map()
>>> _ = category_legend({"energy": 3, "health": 1}).add_to(m)
>>> "Energy (electricity)" in m.get_root().render()
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from branca.element import MacroElement
from folium.template import Template

from harmmap.taxonomy import Taxonomy, load_taxonomy
from layers.common import esc

__all__ = ["HtmlControl", "category_legend", "hexagon_legend"]


class HtmlControl(MacroElement):
    """A Leaflet control holding fixed HTML (built and escaped in Python)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
        {{ this.get_name() }}.onAdd = function (map) {
            var div = L.DomUtil.create("div", {{ this.css_class|tojson }});
            div.innerHTML = {{ this.html|tojson }};
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, html: str, position: str = "bottomright", css_class: str = "hm-box"):
        super().__init__()
        self._name = "HtmlControl"
        if position not in ("topleft", "topright", "bottomleft", "bottomright"):
            raise ValueError(f"position must be a Leaflet corner, not {position!r}")
        self.html = html
        self.position = position
        self.css_class = css_class


def _swatch(color: str, shape: str = "dot") -> str:
    radius = "50%" if shape == "dot" else "2px"
    return (f"<i class='hm-sw' style='background:{esc(color)};border-radius:{radius}'></i>")


def category_legend(drawn: Mapping[str, int], tax: Taxonomy | None = None, *, title: str = "What was hit",
                    note: str | None = "Colour: first category of each incident") -> HtmlControl:
    """Legend of the categories actually drawn (``{category: count}``), in taxonomy order, with counts.

    A category with no incident drawn is left out, so the legend never shows a colour the map lacks.
    """
    tax = tax or load_taxonomy()
    order = [c for c in tax.categories if drawn.get(c)] + sorted(c for c in drawn if c not in tax.categories
                                                                and drawn.get(c))
    rows = "".join(
        f"<div class='hm-row'>{_swatch(tax.color(c))}<span class='hm-lab'>{esc(tax.label(c))}</span>"
        f"<span class='hm-n'>{int(drawn[c]):,}</span></div>" for c in order)
    if not order:
        rows = "<div class='hm-row'>nothing drawn</div>"
    foot = f"<div class='hm-note'>{esc(note)}</div>" if note else ""
    return HtmlControl(f"<div class='hm-title'>{esc(title)}</div>{rows}{foot}", "bottomright", "hm-box hm-legend")


def hexagon_legend(bins: Sequence[tuple[int, int]], colors: Sequence[str], *, resolution: int | None = None,
                   title: str = "Incidents per hexagon") -> HtmlControl:
    """Legend of the hexagons' count classes (``bins`` from :func:`layers.hexagons.nice_bins`)."""
    rows = "".join(
        f"<div class='hm-row'>{_swatch(c, 'square')}<span class='hm-lab'>"
        f"{lo:,}{'' if lo == hi else f'–{hi:,}'}</span></div>" for (lo, hi), c in zip(bins, colors, strict=False))
    foot = (f"<div class='hm-note'>H3 resolution {int(resolution)}; hover a hexagon for its count</div>"
            if resolution is not None else "")
    return HtmlControl(f"<div class='hm-title'>{esc(title)}</div>{rows}{foot}", "bottomright", "hm-box hm-legend")
