"""Store engines behind :class:`harmmap.store.Store`.

- :mod:`harmmap.stores.duckdb`: the embedded default (one file, or ``:memory:``).
- :mod:`harmmap.stores.postgis`: a team server (PostgreSQL + PostGIS).
- :mod:`harmmap.stores.sql`: what both share (migrations, Filters -> SQL, aggregates).

Use :func:`harmmap.store.open_store` rather than these modules directly.
"""
