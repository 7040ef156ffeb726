"""Prediction: backends (ONNX Runtime, torch), the sliding-window engine, export and writers."""
