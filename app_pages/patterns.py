"""Patterns page: spikes, waves, repeated strikes, hot spots, regions compared; every finding ranked, with its
method sentence and a link that opens its incidents on the map."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from harmmap.taxonomy import load_taxonomy
from ui import patterns as pt
from ui.common import context, empty_state
from ui.text import md_text

ctx = context()
store, filters = ctx.store, ctx.filters
tax = load_taxonomy()

summary = store.summary(filters)
n = int(summary.get("incidents") or 0)
st.markdown("### Patterns: is it a campaign or chance?")
st.caption(f"{n:,} incidents · {md_text(filters.describe())} · Data: {md_text(', '.join(store.info.sources))}"
           + (" · Synthetic demo data" if store.info.synthetic else "")
           + " · Every test corrects for the number of tests it ran; each finding opens its incidents on the map.")
if n == 0:
    empty_state(filters)
    st.stop()

ALPHAS = [0.01, 0.05, 0.10]
t_spk, t_wav, t_rep, t_hot, t_reg = st.tabs(["Spikes", "Waves", "Repeated strikes", "Hot spots", "Regions compared"])

with t_spk:
    SERIES = {"oblast": ("admin1",), "oblast × group": ("admin1", "group"), "oblast × category": ("admin1", "category")}
    c = st.columns(5)
    series = c[0].selectbox("Series", list(SERIES), key="spk_by")
    surge = c[1].number_input("Surge: % above 4-week mean", 25, 1000, 100, 25, key="spk_surge")
    alpha = c[2].selectbox("Significance (FDR)", ALPHAS, index=1, key="spk_alpha")
    min_count = c[3].number_input("Minimum incidents in the week", 1, 100, 5, key="spk_min")
    need = c[4].selectbox("A spike passes", ["both", "surge", "test"], key="spk_req",
                          format_func={"both": "rule and test", "surge": "surge rule only",
                                       "test": "count test only"}.get)
    found = pt.spikes(store, filters, by=SERIES[series], surge=surge / 100, alpha=alpha, min_count=min_count,
                      require=need)
    pt.show_findings(found, key="spikes", none="No week passed the criteria for these filters and parameters.")

with t_wav:
    choices = list(tax.groups) + [c for c in tax.categories if c != "unclassified"]
    c = st.columns(4)
    group = c[0].selectbox("Group or category", choices, index=choices.index("utilities"), key="wav_group",
                           format_func=lambda k: tax.groups.get(k) or f"· {tax.label(k)}")
    min_regions = c[1].number_input("Minimum oblasts on one day", 2, 27, 3, key="wav_min")
    alpha = c[2].selectbox("Significance (FDR)", ALPHAS, index=1, key="wav_alpha")
    base_days = c[3].selectbox("Each oblast's usual rate from", [0, 90, 180, 365], key="wav_base",
                               format_func=lambda d: "the whole period" if not d else f"the previous {d} days")
    found = pt.waves(store, filters, group=group, min_regions=min_regions, alpha=alpha, baseline_days=base_days)
    if found:
        st.altair_chart(pt.wave_timeline(pt.wave_days(store, filters, group=group, baseline_days=base_days), found),
                        width="stretch")
    pt.show_findings(found, key="waves", none="No day had more oblasts hit than chance allows.",
                     detail=lambda f: "Oblasts: " + ", ".join(f.numbers.get("oblasts", [])))

with t_rep:
    c = st.columns([1, 1, 1, 1.1, 0.8], vertical_alignment="bottom")
    dist = c[0].number_input("Same site within (m)", 10, 5000, 150, 10, key="rep_dist")
    days = c[1].number_input("Struck again within N days", 1, 3650, 30, key="rep_days")
    alpha = c[2].selectbox("Significance (FDR)", ALPHAS + [1.0], index=1, key="rep_alpha",
                           format_func=lambda a: "show all sites" if a >= 1 else f"{a:g}")
    quick = c[3].toggle("Within hours only", key="rep_quick",
                        help="Only sites struck again within so many hours (needs the time of both strikes: the "
                             "'double tap' pattern)")
    hours = c[4].number_input("Hours", 1, 72, 6, key="rep_hours", disabled=not quick)
    found = pt.repeats(store, filters, distance_m=dist, within_days=days, within_hours=hours if quick else None)
    if pt.repeats_capped(store, filters):
        st.warning(f"Only the latest {pt.REPEATS_CAP:,} precisely located incidents were searched for repeated "
                   "strikes (a bound on the dashboard's memory): narrow the dates or oblasts to search them all.",
                   icon=":material/filter_alt:")
    if alpha < 1:
        found = [f for f in found if f.q is None or f.q != f.q or f.q < alpha]     # q NaN: no density estimate
        st.caption(f"Shown: sites with q < {alpha:g} (more strikes that close together than the local density "
                   f"explains), or with no density estimate.")
    pt.show_findings(found, key="repeats", top=15, none="No precisely located site was struck again "
                     "within these limits.",
                     detail=lambda f: (f"{', '.join(f.numbers.get('categories', []))}; shortest interval "
                                       f"{f.numbers.get('min_interval_days', float('nan')):.0f} days; "
                                       f"{f.numbers.get('expected', float('nan')):.2f} others expected that close "
                                       f"by chance (q = {f.numbers.get('q', float('nan')):.2g})"))

with t_hot:
    c = st.columns(4)
    res = c[0].selectbox("H3 resolution", [5, 6, 7], index=1, key="hot_res",
                         format_func=lambda r: {5: "5 (~250 km²)", 6: "6 (~36 km²)", 7: "7 (~5 km²)"}[r])
    conf = c[1].selectbox("Confidence", [0.90, 0.95, 0.99], index=1, key="hot_conf", format_func="{:.0%}".format)
    cold = c[2].toggle("Cold spots instead", key="hot_cold")
    st.caption(pt.study_area_note(res))
    pt.show_findings(pt.hotspots(store, filters, resolution=res, confidence=conf, cold=cold), key="hotspots",
                     none="No cluster of cells reached that confidence.")
    st.markdown("#### Emerging hot spots (trends over time)")
    c = st.columns(4)
    eres = c[0].selectbox("H3 resolution ", [4, 5, 6], index=1, key="ehs_res")
    step = c[1].selectbox("Time step", ["M", "W"], key="ehs_step", format_func={"M": "month", "W": "week"}.get)
    ealpha = c[2].selectbox("Significance per step (FDR)", ALPHAS, index=1, key="ehs_alpha")
    table, method, found = pt.emerging(store, filters, resolution=eres, freq=step, alpha=ealpha)
    pt.show_findings(found, key="emerging", none="No cell has an emerging hot- or cold-spot pattern.", method=method)

with t_reg:
    c = st.columns(4)
    of = c[0].selectbox("Columns", ["category", "group"], key="reg_of")
    min_total = c[1].number_input("Leave out oblasts with fewer incidents than", 0, 10_000, 20, key="reg_min")
    alpha = c[2].selectbox("Significance (FDR)", ALPHAS, index=1, key="reg_alpha")
    cmp = pt.regions(store, filters, of=of, alpha=alpha, min_total=min_total)
    if cmp.p == cmp.p:   # not NaN: tested
        verdict = "differs across oblasts" if cmp.p < alpha else "is not shown to differ across oblasts"
        st.markdown(f"**Homogeneity test:** the {of} mix {verdict}: chi-square = {cmp.chi2:,.1f}, "
                    f"df = {cmp.dof}, p {'< 0.001' if cmp.p < 0.001 else f'= {cmp.p:.3f}'} ({pt.md(cmp.p_method)}).")
    if cmp.note:
        st.caption(pt.md(cmp.note))
    view = st.segmented_control("Table", ["counts", "shares", "residuals"], default="counts", key="reg_view") \
        or "counts"
    tab = {"counts": cmp.counts, "shares": cmp.shares, "residuals": cmp.residuals}[view]
    st.dataframe(tab.style.format("{:.0%}" if view == "shares" else "{:.1f}" if view == "residuals" else "{:,}"),
                 width="stretch")
    st.caption("Residuals: adjusted standardized residuals (above +2: more than the mix of the other oblasts "
               "predicts). Shares: each row sums to 100%.")
    pt.show_findings(cmp.findings, key="regions", none="No oblast x category cell is over-represented.",
                     method=cmp.method)
    if len(cmp.similarity) > 1:
        st.markdown("#### How similar is the mix? (1 - Jensen-Shannon distance)")
        st.altair_chart(pt.similarity_heatmap(cmp.similarity), width="content")

    st.markdown("#### This period against that period")
    d_lo, d_hi = filters.date_from or summary["date_min"], filters.date_to or summary["date_max"]
    span = min(max((d_hi - d_lo).days // 2, 1), 182)        # default: the last half year (at most) vs the one before

    def clamp(d: dt.date) -> dt.date:
        return min(max(d, d_lo), d_hi)

    c = st.columns(3)
    a = c[0].date_input("Period A", (clamp(d_hi - dt.timedelta(days=2 * span)), clamp(d_hi - dt.timedelta(days=span + 1))),
                        min_value=d_lo, max_value=d_hi, key=f"per_a_{d_lo}_{d_hi}", format="YYYY-MM-DD")
    b = c[1].date_input("Period B", (clamp(d_hi - dt.timedelta(days=span)), d_hi), min_value=d_lo, max_value=d_hi,
                        key=f"per_b_{d_lo}_{d_hi}", format="YYYY-MM-DD")
    per_by = c[2].selectbox("Per", ["category", "group", "admin1"], key="per_by",
                            format_func=lambda k: "oblast" if k == "admin1" else k)
    if len(a) == 2 and len(b) == 2:
        ptab, pfound = pt.periods(store, filters, tuple(a), tuple(b), by=per_by, alpha=alpha)
        pt.show_findings(pfound, key="periods", none="No rate changed significantly between the two periods.")
        st.dataframe(ptab, hide_index=True, width="stretch",
                     column_config={c: st.column_config.NumberColumn(format="%.3g")
                                    for c in ("rate_a", "rate_b", "rate_ratio", "ci_low", "ci_high", "p", "q")})
    else:
        st.caption("Pick a start and an end for both periods.")
