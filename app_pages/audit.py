"""Corrections page: the audit trail of analysts' category corrections (filter, open, download)."""

from __future__ import annotations

from ui.audit import show_audit
from ui.common import context

ctx = context()
show_audit(ctx.store)
