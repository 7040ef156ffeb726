"""Data layer: pair discovery, checks, statistics, splits, tiling, datasets."""
