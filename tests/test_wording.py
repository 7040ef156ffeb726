"""Words a user reads: counted nouns, and help texts free of argparse escapes."""

from __future__ import annotations

import pytest

from landcover.cli import COMMANDS, main
from landcover.wording import plural


def test_plural() -> None:
    assert plural(1, "scene") == "1 scene"
    assert [plural(n, "item") for n in (0, 2)] == ["0 items", "2 items"]
    assert plural(3, "class", "classes") == "3 classes"


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_no_doubled_percent(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert "%%" not in text
    if command == "assess":
        assert "95 % confidence" in " ".join(text.split())
