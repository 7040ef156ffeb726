"""Model registry, the seed U-Net, smp wrappers and the checkpoint contract.

Only :mod:`landcover.models.meta` is importable without torch.
"""
