"""``import landcover``: fast, torch-free, and its API visible to IDEs and type checkers."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import landcover
from landcover.bundled import DEFAULT_MODEL, list_models

CODE = """
import json, sys
import landcover
print(json.dumps({
    "dir": dir(landcover),
    "all": landcover.__all__,
    "torch": "torch" in sys.modules,
    "loaded": sorted(m for m in sys.modules if m.startswith("landcover")),
}))
"""


def test_import_is_torch_free_and_dir_lists_the_api() -> None:
    res = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True)
    out = json.loads(res.stdout)
    assert out["torch"] is False
    assert out["loaded"] == ["landcover"]  # nothing imported until used
    for name in ("load_predictor", "predict_array", "predict_paths", "list_models", "evaluate"):
        assert name in out["dir"], name
    assert "LandcoverError" in out["dir"] and "InputError" in out["dir"]
    assert set(out["all"]) <= set(out["dir"])


CORE_ONLY = """
import sys
for extra in ("torch", "lightning", "pyogrio", "exactextract", "distributed", "dask"):
    sys.modules[extra] = None  # as on a core install: importing it fails
import landcover
for name in landcover.__all__:
    getattr(landcover, name)
"""


def test_every_public_name_loads_without_the_extras() -> None:
    """A core install (no torch, pyogrio, exactextract or Dask) can use every public name."""
    res = subprocess.run([sys.executable, "-c", CORE_ONLY], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_type_checking_imports_match_the_lazy_table() -> None:
    """Every lazy name has a ``TYPE_CHECKING`` import from the same module, and no more."""
    tree = ast.parse(Path(landcover.__file__).read_text(encoding="utf-8"))
    (block,) = [
        n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"
    ]
    seen = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom)
        for alias in node.names:
            assert alias.asname == alias.name  # the explicit re-export form
            seen[alias.name] = node.module
    assert seen == landcover._API
    for name, module in landcover._API.items():  # and each resolves
        assert getattr(landcover, name) is getattr(__import__(module, fromlist=[name]), name)


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        landcover.nope  # noqa: B018


def test_load_predictor_takes_the_names_landcover_models_lists() -> None:
    assert list_models()[0].name == DEFAULT_MODEL
    by_name = landcover.load_predictor(DEFAULT_MODEL, precision="fp32")
    default = landcover.load_predictor(precision="fp32")
    assert by_name.path == default.path and by_name.meta == default.meta


def test_bundled_name_with_the_torch_backend_runs_its_weights() -> None:
    pytest.importorskip("torch")
    p = landcover.load_predictor(DEFAULT_MODEL, backend="torch")
    assert type(p).__name__ == "TorchPredictor" and p.meta.arch == "fpn-lite0"


def test_unknown_name_lists_the_bundled_models(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(landcover.InputError) as e:
        landcover.load_predictor("deepglobe-fpn-lite9")
    text = str(e.value)
    assert "\n" not in text and "unknown model 'deepglobe-fpn-lite9'" in text
    assert DEFAULT_MODEL in text
    # a path-like name keeps the file error
    with pytest.raises(landcover.LandcoverIOError, match="no such model file") as e_file:
        landcover.load_predictor("runs/best.ckpt")
    assert isinstance(e_file.value, OSError) and e_file.value.filename == "runs/best.ckpt"
    # an existing file wins over a bundled name
    (tmp_path / DEFAULT_MODEL).write_bytes(b"")
    with pytest.raises(landcover.LandcoverError, match="unknown model file type"):
        landcover.load_predictor(DEFAULT_MODEL)


def test_cli_accepts_a_bundled_name_and_explains_an_unknown_one(tmp_path: Path, capsys) -> None:
    import numpy as np
    from PIL import Image

    from landcover.cli import main

    Image.fromarray(np.full((40, 48, 3), 90, np.uint8)).save(tmp_path / "a.png")
    argv = ["predict", str(tmp_path / "a.png"), "--gsd", "1.2", "--precision", "fp32"]
    assert main([*argv, "--model", DEFAULT_MODEL, "--out", str(tmp_path / "o")]) == 0
    capsys.readouterr()
    assert main([*argv, "--model", "fpn-lite0", "--out", str(tmp_path / "p")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown model 'fpn-lite0'" in err[0] and DEFAULT_MODEL in err[0]
