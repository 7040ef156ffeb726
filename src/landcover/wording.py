"""Counted nouns in messages: "1 scene", "2 scenes"."""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``count`` and ``noun``, in the plural (``many``, default ``noun + "s"``) unless 1.

    >>> plural(1, "scene"), plural(2, "scene"), plural(0, "class", "classes")
    ('1 scene', '2 scenes', '0 classes')
    """
    return f"{count} {noun if count == 1 else (many or noun + 's')}"
