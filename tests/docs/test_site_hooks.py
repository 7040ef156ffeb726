"""The docs site's generated pages and the README's links into the site."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

import landcover
from landcover.cli import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
HOOKS = ROOT / "docs" / "hooks"


def _load(name: str) -> ModuleType:
    sys.path.insert(0, str(HOOKS))
    spec = importlib.util.spec_from_file_location(name, HOOKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _nav_pages(nav: list) -> list[str]:
    pages = []
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        pages += _nav_pages(value) if isinstance(value, list) else [value]
    return pages


def test_error_index_reads_messages_and_their_functions(tmp_path: Path) -> None:
    errors = _load("error_index")
    pkg = tmp_path / "landcover"
    pkg.mkdir()
    (pkg / "thing.py").write_text(
        "def outer(path, n):\n"
        "    def inner():\n"
        "        raise InputError(f'bad value {n}', path)\n"
        "    raise LandcoverIOError('cannot ' + 'read', path)\n"
        "x = ValueError('not ours')\n"
    )
    assert errors.error_messages(pkg) == [
        ("landcover.thing", "inner", "InputError", "bad value {n}"),
        ("landcover.thing", "outer", "LandcoverIOError", "cannot read"),
    ]
    page = errors.error_index_markdown(pkg)
    assert "The 2 one-line errors" in page and "| `inner` | InputError | `bad value {n}` |" in page


def test_api_page_documents_every_public_name() -> None:
    pytest.importorskip("mkdocs", reason="needs the [docs] extra")
    page = _load("reference_pages").api_markdown()
    public = [n for n in landcover.__all__ if not n.startswith("_")]
    blocks = re.findall(r"^::: ([\w.]+)$", page, flags=re.M)
    names = [b.rsplit(".", 1)[1] for b in blocks]
    assert sorted(names) == sorted(public) and len(set(names)) == len(names)  # each once
    assert names.index("PredictOptions") < names.index("LandcoverError")  # classes, then errors
    assert "landcover.inference.predictor.load_predictor" in blocks


def test_cli_page_has_every_commands_help() -> None:
    pytest.importorskip("mkdocs", reason="needs the [docs] extra")
    page = _load("reference_pages").cli_markdown()
    for name in COMMANDS:
        assert f"## landcover {name}\n\n```text\nusage: landcover {name}" in page
    assert "--overwrite" in page and "--gsd" in page


def test_readme_is_short_and_links_every_page() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    pages = _nav_pages(config["nav"])
    assert len(readme.splitlines()) < 200
    linked = set(re.findall(r"\]\(docs/([^)#]+)", readme))
    generated = {"reference/api.md", "reference/cli.md", "reference/errors.md"}
    missing = [p for p in pages if p not in linked and p not in generated]
    assert not missing, f"README.md links no page {missing}"
    assert all((ROOT / "docs" / p).is_file() for p in pages if p not in generated)
