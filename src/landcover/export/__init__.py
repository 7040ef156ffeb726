"""Export trained models to ONNX (float32 or int8) for ``predict`` and QGIS Deepness.

Needs torch and onnx (the ``[train]`` extra); the torch-free runtime that reads these files lives
in :mod:`landcover.inference`.
"""
