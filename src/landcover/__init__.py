"""landcover: satellite imagery to land-cover maps."""

__version__ = "0.1.0"
