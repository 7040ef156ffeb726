"""Plots: every figure the tool draws, from results passed in (never computed here)."""
