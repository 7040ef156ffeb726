"""Training: the Lightning module, data, callbacks and the run folder (needs the [train] extra)."""
