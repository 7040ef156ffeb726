"""ONNX ``metadata_props`` of an exported model: Deepness (QGIS) keys plus our own contract.

Torch-free: the ONNX backend reads a model's settings from here. Every value is JSON text,
because the Deepness plugin passes each through ``json.loads``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from landcover.errors import LandcoverError
from landcover.models.meta import ModelMeta

META_KEY = "landcover_meta"
OPSET = 17


def deepness_metadata(meta: ModelMeta, overlap_percent: int = 25) -> dict[str, str]:
    """Return the ``metadata_props`` for ``meta``: key -> JSON text.

    Keys: ``model_type``, ``class_names``, ``resolution`` (cm per pixel), ``tile_size`` and
    ``tiles_size``, ``tiles_overlap`` (percent), ``standardization_mean``/``_std``,
    ``seg_thresh``, ``seg_small_segment``, and ours: ``class_colors``, ``ignore_index``,
    ``gsd_m``, ``schema_name`` and ``landcover_meta`` (:meth:`ModelMeta.to_dict`).
    """
    values: dict[str, object] = {
        "model_type": "Segmentor",
        "class_names": {str(i): name for i, name in enumerate(meta.schema.classes)},
        "tile_size": int(meta.tile_size),
        "tiles_size": int(meta.tile_size),
        "tiles_overlap": int(overlap_percent),
        "standardization_mean": [float(v) for v in meta.mean],
        "standardization_std": [float(v) for v in meta.std],
        "seg_thresh": 0.0,
        "seg_small_segment": 0,
        "class_colors": {str(i): list(map(int, c)) for i, c in enumerate(meta.schema.colors)},
        "ignore_index": meta.schema.ignore_index,
        "gsd_m": meta.gsd_m,
        "schema_name": meta.schema.name,
        META_KEY: meta.to_dict(),
    }
    if meta.gsd_m is not None:
        values["resolution"] = round(float(meta.gsd_m) * 100.0, 6)
    return {k: json.dumps(v) for k, v in values.items()}


def meta_from_metadata(props: Mapping[str, str], path: str | Path) -> ModelMeta:
    """Read our :class:`ModelMeta` back from an ONNX file's metadata map.

    Raises:
        LandcoverError: naming ``path`` when the file lacks our metadata.
    """
    text = props.get(META_KEY)
    if text is None:
        raise LandcoverError(
            f"ONNX model has no '{META_KEY}' metadata; export it with 'landcover export'",
            path,
        )
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise LandcoverError(f"'{META_KEY}' metadata is not valid JSON ({e})", path) from e
    return ModelMeta.from_dict(doc, source=str(path))
