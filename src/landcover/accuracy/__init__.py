"""Accuracy and area the way land-cover practitioners report them (Olofsson 2014)."""
