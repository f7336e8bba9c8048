"""Highlighted code shows in colour, light and dark, in Chromium over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import http_server

pytestmark = pytest.mark.browser

PAGE = "/articles/app-developers/"
COLOURS = """() => {
  const colour = (sel) => {
    const node = document.querySelector(sel);
    return node ? getComputedStyle(node).color : null;
  };
  const box = document.querySelector('.highlight');
  return {
    keyword: colour('.highlight .kn, .highlight .k'),
    string: colour('.highlight .s2, .highlight .s1, .highlight .s'),
    punctuation: colour('.highlight .p'),
    background: getComputedStyle(box).backgroundColor,
  };
}"""


@pytest.mark.parametrize("channel", ["web", "mobile"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_keyword_and_string_tokens_differ(
    sample_build: Any, browser: Any, channel: str, scheme: str
) -> None:
    folder = Path(sample_build[1]) / channel
    with http_server(folder) as origin:
        page = browser.new_page()
        try:
            page.emulate_media(color_scheme=scheme)
            page.goto(origin + PAGE)
            found = page.evaluate(COLOURS)
        finally:
            page.close()
    assert found["keyword"] and found["string"], found
    assert found["keyword"] != found["string"], found
    assert found["keyword"] != found["punctuation"], found
    dark = found["background"] == "rgb(39, 40, 34)"
    assert dark == (scheme == "dark"), found
