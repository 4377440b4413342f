"""Briefing page: headline figures, the server-drawn map, the weekly trend and the top oblasts on one
slide, with downloads (briefing pack, evidence package, data files, images). ``?present=1`` hides the
chrome (ui/present.py)."""

from __future__ import annotations

from ui.briefing import render
from ui.common import context
from ui.present import presentation_for_page

ctx = context()
render(ctx, presenting=presentation_for_page())
