"""Managing loaded data sets (the admin's work), written once for both engines.

:func:`delete_dataset` removes a data set in one transaction: its incidents, its row in ``datasets``,
and the analysts' overrides of its incidents. The overrides' history stays: every override removed gets
a last row in ``override_audit`` (old categories, new = none, who deleted, when, why), so the audit
trail still says what analysts decided and why it no longer applies; nothing in the trail is deleted.
Records of other data sets linked to a deleted incident as duplicates (``duplicate_of``) are relinked:
the first of them (by incident_id) becomes the primary and the others point at it, so that the event
is still counted once and shown.

Example
-------
>>> from harmmap.demo import ensure_demo_store
>>> s = ensure_demo_store(":memory:", n=200)
>>> s.delete_dataset("demo", user="admin")["incidents"]
200
>>> len(s.datasets())
0
"""

from __future__ import annotations

from harmmap.stores import sql as S

__all__ = ["delete_dataset"]


def delete_dataset(store, cur, dataset: str, *, user: str | None = None, reason: str = "") -> dict:
    """Delete ``dataset`` with the open write cursor ``cur`` of ``store`` (inside its transaction).

    Returns ``{"dataset", "incidents", "overrides", "relinked"}``: incidents deleted, overrides removed
    (each recorded in the audit trail), duplicates of other data sets relinked. Raises
    :class:`harmmap.store.StoreError` when there is no such data set.
    """
    from harmmap.store import StoreError

    pg = store.dialect.name == "postgis"

    def run(sql: str, params=()):
        return cur.execute(sql.replace("?", "%s") if pg else sql, list(params))

    def one(sql: str, params=()) -> int:
        return int(run(sql, params).fetchone()[0] or 0)

    who = str(user or "").strip() or "unknown"
    why = f"data set {dataset!r} deleted" + (f": {reason.strip()}" if str(reason or "").strip() else "")
    known = one("SELECT count(*) FROM datasets WHERE dataset = ?", [dataset])
    n = one("SELECT count(*) FROM incidents WHERE dataset = ?", [dataset])
    if not known and not n:
        raise StoreError(f"no data set named {dataset!r}")
    mine = "SELECT incident_id FROM incidents WHERE dataset = ?"
    n_over = one(f"SELECT count(*) FROM overrides WHERE incident_id IN ({mine})", [dataset])
    if n_over:
        run(f'INSERT INTO override_audit (incident_id, old_categories, new_categories, "user", "at", reason, '
            f"version) SELECT o.incident_id, o.categories, CAST(NULL AS {store.dialect.array}), ?, ?, ?, "
            f"o.version + 1 FROM overrides o WHERE o.incident_id IN ({mine})", [who, S.utcnow(), why, dataset])
        run(f"DELETE FROM overrides WHERE incident_id IN ({mine})", [dataset])
    # other data sets' reports of a deleted event: the first becomes the primary, the rest point at it
    orphans = f"dataset <> ? AND duplicate_of IN ({mine})"
    relinked = one(f"SELECT count(*) FROM incidents WHERE {orphans}", [dataset, dataset])
    if relinked:
        run(f"UPDATE incidents SET duplicate_of = p.new_primary FROM (SELECT duplicate_of AS old, "
            f"min(incident_id) AS new_primary FROM incidents WHERE {orphans} GROUP BY duplicate_of) p "
            f"WHERE incidents.duplicate_of = p.old AND incidents.incident_id <> p.new_primary",
            [dataset, dataset])
        run(f"UPDATE incidents SET duplicate_of = NULL WHERE {orphans}", [dataset, dataset])
    run("DELETE FROM incidents WHERE dataset = ?", [dataset])
    run("DELETE FROM datasets WHERE dataset = ?", [dataset])
    return {"dataset": dataset, "incidents": n, "overrides": n_over, "relinked": relinked}
