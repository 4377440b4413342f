"""Data page: the loaded data sets; upload files, check the format and the column mapping, load them
with progress, and read the load report with the rejected rows (ui/data.py does the work). Admins may
delete a data set."""

from __future__ import annotations

import streamlit as st

from harmmap.ingest import group_files
from ui import data
from ui.auth import can, current_user
from ui.common import context

ctx = context()
ps = data.state()

st.markdown("### Data")
st.markdown("#### Loaded data sets")
data.show_datasets(ctx.store.raw)
if can("manage"):
    data.delete_section(ctx.store.raw, current_user().name)

st.markdown("#### Load files")
if not can("load"):
    st.info(f"Signed in as {current_user().name} ({current_user().role}): loading data needs the editor role.",
            icon=":material/lock:")
    st.stop()
paths = data.upload_section(ps)
items, notes = group_files(paths)
for note in notes:
    st.warning(data.tidy(note, ps.folder), icon=":material/info:")
plans = [data.file_plan(p, ps.folder) for p in items]
if plans:
    n = len(plans)
    if st.button(f"Load {n} file{'s' if n != 1 else ''}", type="primary", key="hm_dp_load",
                 icon=":material/upload:"):
        data.run_load(plans, ctx.store.raw, ps)

data.show_reports(ps)
