"""The store, opened once per process, and cached reads of it (Streamlit only).

``ready_store()`` opens the store (``$HARMMAP_DATABASE_URL`` or ``data/harmmap.duckdb``, under
``$HARMMAP_DATA_DIR`` when set); on the first run, when it is empty, it builds the synthetic demo
data with a progress bar. ``CachedStore`` wraps the read methods the pages use in ``st.cache_data``,
keyed by the store URL, a data version (the loaded data sets) and the arguments.

Sensitive records: when a coarsening policy (:func:`harmmap.sensitive.policy_from`, from
``HARMMAP_COARSEN_KM``... or ``[harmmap]`` in the secrets) applies to the signed-in user (by role, or
because the view is a presentation), ``ready_store()`` returns a ``CachedStore`` whose key is the store URL
plus the policy (``<url>#harmmap-coarse=<policy>``). :func:`get_store` opens such a key as a
:class:`harmmap.sensitive.CoarseStore` around the one open store, so that every read made through
``ctx.store`` (cached methods, ``.raw``, and the pages' own cached calls of ``get_store(ctx.store.url)``:
map points and popups, hexagons, the detail panel, tables, downloads, briefing packs) gives coarsened
coordinates, and caches never mix exact and coarsened answers. This is the one choke point.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from harmmap import demo, sensitive
from harmmap.query import Filters
from harmmap.store import Store, StoreError, open_store, resolve_url

__all__ = ["ready_store", "get_store", "CachedStore", "DataInfo", "data_info", "coarsening", "store_key",
           "COARSE_SEP"]

_BUILD_LOCK = threading.Lock()
_TTL = 3600
#: between the store URL and the policy in a coarsened store's key
COARSE_SEP = "#harmmap-coarse="


def store_key(url: str, policy: sensitive.Policy | None) -> str:
    """The key pages pass to :func:`get_store`: the URL, plus the policy when it applies."""
    return url if policy is None or not policy.on else f"{url}{COARSE_SEP}{policy.key()}"


@st.cache_resource(show_spinner=False)
def get_store(url: str) -> Store:
    """One open store per URL per process; a key from :func:`store_key` with a policy gives that store
    wrapped in :class:`harmmap.sensitive.CoarseStore`."""
    if COARSE_SEP in url:
        base, key = url.split(COARSE_SEP, 1)
        return sensitive.CoarseStore(get_store(base), sensitive.Policy.from_key(key))
    return open_store(url)


def coarsening() -> sensitive.Policy | None:
    """The coarsening policy when it applies to the signed-in user now (their role, or presentation
    mode), else None. A malformed setting stops the page with a message (it never shows exact places)."""
    from ui.auth import current_user, settings
    from ui.present import is_presenting

    try:
        policy = sensitive.policy_from(None, settings())
    except ValueError as exc:
        st.error(f"The coarsening setting is wrong: {exc}")
        st.stop()
    if not policy.applies(current_user().role, is_presenting()):
        return None
    return policy


def ready_store() -> CachedStore:
    """The open store with data in it: builds the demo data (with a progress bar) when it is empty."""
    url = resolve_url(None)
    try:
        store = get_store(url)
        empty = store.is_empty()
    except StoreError as exc:
        st.error(f"Cannot open the store at {url}: {exc}")
        st.stop()
    if empty:
        with _BUILD_LOCK:
            if store.is_empty():
                bar = st.progress(0.0, text="First run: building the synthetic demo data set…")
                demo.ensure_demo_store(url, progress=lambda f, msg: bar.progress(f, text=msg))
                bar.empty()
                st.cache_data.clear()
    policy = coarsening()
    if policy is not None:
        st.sidebar.caption(f"Coordinates of sensitive records {policy.describe()}.")
    return CachedStore(store_key(url, policy))


@dataclass(frozen=True)
class DataInfo:
    """What data the store holds: its sources, whether any is synthetic, and a version for caching."""

    sources: tuple[str, ...]
    synthetic: bool
    version: str


@st.cache_data(ttl=5, show_spinner=False)
def _datasets(url: str) -> pd.DataFrame:
    return get_store(url).datasets()


def data_info(url: str) -> DataInfo:
    ds = _datasets(url)
    synthetic = bool(len(ds) and ds["synthetic"].fillna(False).astype(bool).any())
    version = "|".join(f"{r.dataset}:{r.rows}:{r.loaded_at}" for r in ds.itertuples())
    opts = _options(url, version)
    sources = tuple(opts.get("sources") or ())
    return DataInfo(sources, synthetic or demo.SOURCE in sources, version)


@st.cache_data(ttl=_TTL, show_spinner=False, max_entries=4)
def _options(url: str, version: str) -> dict:
    return get_store(url).options()


@st.cache_data(ttl=_TTL, show_spinner=False, max_entries=64)
def _summary(url: str, version: str, f: Filters) -> dict:
    return get_store(url).summary(f)


@st.cache_data(ttl=_TTL, show_spinner=False, max_entries=64)
def _count(url: str, version: str, f: Filters) -> int:
    return get_store(url).count(f)


@st.cache_data(ttl=_TTL, show_spinner=False, max_entries=16)
def _incidents(url: str, version: str, f: Filters, columns: tuple | None, limit: int | None,
               order: str) -> pd.DataFrame:
    return get_store(url).incidents(f, columns=list(columns) if columns else None, limit=limit, order=order)


@st.cache_data(ttl=_TTL, show_spinner=False, max_entries=32)
def _hex_counts(url: str, version: str, f: Filters, resolution: int) -> pd.DataFrame:
    return get_store(url).hex_counts(f, resolution)


@st.cache_data(ttl=_TTL, show_spinner=False, max_entries=32)
def _counts_by(url: str, version: str, f: Filters, by: str) -> pd.DataFrame:
    return get_store(url).counts_by(f, by)


@st.cache_data(ttl=_TTL, show_spinner=False, max_entries=32)
def _timeseries(url: str, version: str, f: Filters, freq: str, by: str | None) -> pd.DataFrame:
    return get_store(url).timeseries(f, freq=freq, by=by)


class CachedStore:
    """The read methods the pages use, cached per (store key, data version, arguments).

    ``url`` is the store key (:func:`store_key`: the URL, plus a coarsening policy when one applies);
    ``raw`` the store as this user may see it (a :class:`harmmap.sensitive.CoarseStore` then);
    ``policy`` the policy or None.
    """

    def __init__(self, url: str):
        self.url = url
        self.base_url = url.split(COARSE_SEP, 1)[0]
        self.policy = sensitive.Policy.from_key(url.split(COARSE_SEP, 1)[1]) if COARSE_SEP in url else None
        self.info = data_info(url)

    @property
    def raw(self) -> Store:
        return get_store(self.url)

    @property
    def coarse(self) -> bool:
        """Does this user see coarsened coordinates of sensitive records?"""
        return self.policy is not None

    def options(self) -> dict:
        return _options(self.url, self.info.version)

    def summary(self, f: Filters) -> dict:
        return _summary(self.url, self.info.version, f)

    def count(self, f: Filters) -> int:
        return _count(self.url, self.info.version, f)

    def incidents(self, f: Filters, *, columns=None, limit=None, order="date") -> pd.DataFrame:
        return _incidents(self.url, self.info.version, f, tuple(columns) if columns else None, limit, order)

    def hex_counts(self, f: Filters, resolution: int) -> pd.DataFrame:
        return _hex_counts(self.url, self.info.version, f, resolution)

    def counts_by(self, f: Filters, by: str) -> pd.DataFrame:
        return _counts_by(self.url, self.info.version, f, by)

    def timeseries(self, f: Filters, freq: str = "week", by: str | None = "group") -> pd.DataFrame:
        return _timeseries(self.url, self.info.version, f, freq, by)

    def incident(self, incident_id: str) -> dict | None:
        return self.raw.incident(incident_id)
