"""Signage words in every language, and the build's warnings a store acts on (issue 17):
worded discounts without a translation, screens with nothing scheduled for a week."""

from __future__ import annotations

import ast
import datetime as dt
import tomllib

import jinja2
import jinja2.nodes
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIXED_AT, REPO, build_memory, write_site
from omnipub.cli import cli
from omnipub.i18n import Catalogue
from omnipub_channels.signage.schedule import DAYS, STEP, airs_between, on_air

SIGNAGE = REPO / "channels/omnipub_channels/signage"


def signage_words() -> set[str]:
    """Every word the signage templates (`t(...)`) and code (`translate(...)`) show."""
    words: set[str] = set()
    env = jinja2.Environment()
    for template in (SIGNAGE / "templates").glob("*.html"):
        tree = env.parse(template.read_text())
        for call in tree.find_all(jinja2.nodes.Call):
            if isinstance(call.node, jinja2.nodes.Name) and call.node.name == "t":
                first = call.args[0]
                assert isinstance(first, jinja2.nodes.Const), template
                words.add(first.value)
    for module in SIGNAGE.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "translate"
                and len(node.args) > 1
                and isinstance(node.args[1], ast.Constant)
            ):
                words.add(node.args[1].value)
    return words


def test_every_signage_word_and_fact_label_is_in_every_language() -> None:
    config = tomllib.loads((REPO / "omnipub.toml").read_text())
    default = config["site"]["default_language"]
    catalogue = Catalogue([REPO / "omnipub/catalogues", SIGNAGE / "i18n", REPO / "i18n"])
    words = signage_words()
    assert {"Scan for details", "Valid until {date}"} <= words
    # worded discounts of the sample site are fact labels the slides show
    for path in (REPO / "content").rglob("*.md"):
        for line in path.read_text().splitlines():
            if line.startswith("discount:") and any(c.isalpha() for c in line[9:]):
                words.add(line[9:].strip().strip("\"'"))
    assert "Free" in words
    missing = {
        (lang, word)
        for lang in config["languages"]
        if lang != default
        for word in words
        if word not in catalogue.phrases(lang)
    }
    assert not missing, sorted(missing)


SITE = """\
-- omnipub.toml --
[site]
title = "Shop"
timezone = "Europe/Oslo"
[languages.en]
name = "English"
[languages.nb]
name = "Norsk"
locale = "nb_NO"
[channels.web]
base_url = "https://w.example/"
[channels.signage]
base_url = "https://s.example/"
[[channels.signage.stores]]
id = "oslo"
name = "Oslo"
timezone = "Europe/Oslo"
languages = ["nb"]
[[channels.signage.screens]]
id = "door"
store = "oslo"
[[channels.signage.screens]]
id = "till"
store = "oslo"
-- content/promotions/_index.md --
---
cascade: {type: promotion}
---
-- content/promotions/soon.md --
---
title: Soon
discount: "Two for one"
valid_from: 2026-12-20T00:00:00+01:00
valid_until: 2027-01-01T00:00:00+01:00
channels:
  signage: {screens: [door]}
---
Body.
-- content/promotions/soon.nb.md --
---
title: Snart
---
Tekst.
-- content/promotions/now.md --
---
title: Now
valid_from: 2026-11-01T00:00:00+01:00
valid_until: 2027-01-01T00:00:00+01:00
channels:
  signage: {screens: [till], days: [sat], hours: "10:00-10:15"}
---
Body.
"""


def test_check_warns_about_idle_screens_and_untranslated_discounts(tmp_path) -> None:
    root = write_site(tmp_path / "site", SITE)
    outcome = CliRunner().invoke(cli, ["check", str(root), "--at", FIXED_AT])
    assert outcome.exit_code == 0, outcome.output
    text = outcome.output
    # 'door' has only a promotion starting in 19 days; 'till' airs on Saturday 10:00-10:15
    assert "warning[signage.idle]: screen 'door' (Oslo) has nothing scheduled from " in text
    assert "2026-12-01 12:00 to 2026-12-08 12:00 (Europe/Oslo)" in text
    assert "screen 'till'" not in text
    assert "channels: {signage: {screens: [door]}}" in text
    assert (
        "content/promotions/soon.md:3: warning[signage.untranslated]: discount 'Two for one' "
        "has no nb wording"
    ) in text
    assert 'add "Two for one" = "..." to i18n/nb.toml' in text
    # a build is not a check: an idle screen is advice, not a broken site
    built, _sink = build_memory(root)
    assert not [d for d in built.diagnostics.warnings if d.code == "signage.idle"]
    # the site's own catalogue gives the wording: the slide shows it, the warning goes
    (root / "i18n").mkdir()
    (root / "i18n/nb.toml").write_text('"Two for one" = "To for én"\n')
    result, sink = build_memory(root)
    assert not [d for d in result.diagnostics.warnings if d.code == "signage.untranslated"]
    slide = next(v for k, v in sink.files["signage"].items() if k.startswith("slides/door/"))
    assert "To for én".encode() in slide


ZONES = ["Europe/Oslo", "America/New_York", "Australia/Sydney", "UTC"]
minutes = st.integers(0, 60 * 24 * 60).map(
    lambda m: dt.datetime(2026, 3, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=m)
)
clock = st.tuples(st.integers(0, 23), st.sampled_from([0, 10, 30, 45]))


@settings(max_examples=80, deadline=None)
@given(
    start=minutes,
    span=st.integers(1, 3 * 24 * 60),
    zone=st.sampled_from(ZONES),
    hours=st.none() | st.tuples(clock, clock),
    days=st.lists(st.sampled_from(DAYS), max_size=3, unique=True),
)
def test_airs_between_agrees_with_the_minute_by_minute_rules(start, span, zone, hours, days):
    schedule = {
        "timezone": zone,
        "from": None,
        "until": None,
        "days": days,
        "hours": f"{hours[0][0]:02d}:{hours[0][1]:02d}-{hours[1][0]:02d}:{hours[1][1]:02d}"
        if hours
        else None,
    }
    end = start + dt.timedelta(minutes=span)
    brute = any(on_air(schedule, start + dt.timedelta(minutes=m)) for m in range(span))
    assert airs_between(schedule, start, end) == brute
    assert dt.timedelta(minutes=15) >= STEP
