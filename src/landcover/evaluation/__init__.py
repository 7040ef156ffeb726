"""Evaluation: confusion-matrix metrics, reports, galleries, doubtful-mask flags."""
