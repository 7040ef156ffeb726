"""``landcover export --overlap`` is a fraction, as in predict (Deepness gets a percent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from landcover.cli import main


@pytest.fixture
def exported(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """The arguments ``export`` passes to the library (the export itself replaced)."""
    seen: dict[str, object] = {}

    def fake_export(checkpoint: str, out: str, **kwargs: object) -> Path:
        seen.update(kwargs)
        return Path(out)

    monkeypatch.setattr("landcover.cli.export.export_checkpoint", fake_export)
    return seen


@pytest.mark.parametrize(("argv", "percent"), [([], 25), (["--overlap", "0.1"], 10)])
def test_overlap_is_a_fraction_written_in_percent(
    exported: dict[str, object], argv: list[str], percent: int
) -> None:
    assert main(["export", "m.ckpt", "--onnx", "m.onnx", *argv]) == 0
    assert exported["overlap_percent"] == percent


def test_an_overlap_in_percent_is_refused(exported: dict[str, object], capsys) -> None:
    with pytest.raises(SystemExit) as e:
        main(["export", "m.ckpt", "--onnx", "m.onnx", "--overlap", "25"])
    assert e.value.code == 2
    assert "not a percent: 0.25" in capsys.readouterr().err
    assert not exported
