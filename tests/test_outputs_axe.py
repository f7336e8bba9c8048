"""axe-core in Chromium on every page of the sample's web and mobile sites, served over
HTTP as a host serves them (from `file://` the stylesheets never load, and axe then judges
unstyled pages): no violation of any impact."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from axe_support import axe_violations

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("channel", ["web", "mobile"])
def test_every_page_of_the_sample_is_axe_clean_over_http(
    sample_build: Any, browser: Any, channel: str
) -> None:
    checked, violations = axe_violations(browser, Path(sample_build[1]) / channel)
    assert checked > 100
    assert not violations, "\n".join(violations)
