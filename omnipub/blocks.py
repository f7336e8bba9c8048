"""Markdown to a block list for native renderers (see the app channel)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from markdown_it.token import Token


def to_blocks(
    tokens: Sequence[Token],
    *,
    resolve_link: Callable[[str, int | None], str],
    link_target: Callable[[str], str | None],
    resolve_image: Callable[[str, str, int | None], dict[str, Any]],
    allowed_schemes: Sequence[str],
) -> list[dict[str, Any]]:
    raise NotImplementedError("written with the app channel")
