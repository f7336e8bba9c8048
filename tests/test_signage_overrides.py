"""A translation's channel override replaces only what it states (issue 17)."""

from __future__ import annotations

import json

from conftest import build_memory

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
timezone = "Europe/Oslo"
languages = ["nb"]
[[channels.signage.screens]]
id = "door"
store = "oslo"
resolution = "1920x1080"
-- content/promotions/_index.md --
---
cascade: {type: promotion}
---
-- content/promotions/coffee.md --
---
title: Free coffee with breakfast shopping
valid_from: 2026-11-01T00:00:00+01:00
valid_until: 2027-01-01T00:00:00+01:00
channels:
  signage: {title: "Free coffee", hours: "07:00-10:00", days: [mon, fri], priority: 4}
---
Body.
-- content/promotions/coffee.nb.md --
---
title: Gratis kaffe til frokosthandelen
channels:
  signage: {title: "Gratis kaffe", priority: 7}
---
Tekst.
"""


def test_a_translated_title_keeps_the_schedule(site) -> None:
    result, sink = build_memory(site(SITE))
    playlist = json.loads(sink.files["signage"]["playlists/door.json"])
    (slide,) = playlist["slides"]
    assert slide["title"] == "Gratis kaffe" and slide["lang"] == "nb"
    assert slide["schedule"]["hours"] == "07:00-10:00"
    assert slide["schedule"]["days"] == ["mon", "fri"]
    assert slide["priority"] == 7  # what the translation states wins
    nb = result.site.by_key[(slide["item"], "nb")]
    # the original's presentation (its English title) is not the translation's
    assert "title" not in nb.channels["web"].overrides
    assert nb.channels["signage"].overrides == {"title": "Gratis kaffe"}


def test_a_translation_may_still_switch_a_channel_off(site) -> None:
    spec = SITE.replace('signage: {title: "Gratis kaffe", priority: 7}', "signage: false")
    _result, sink = build_memory(site(spec))
    playlist = json.loads(sink.files["signage"]["playlists/door.json"])
    # no nb slide: the store shows the default language instead, schedule intact
    (slide,) = playlist["slides"]
    assert slide["lang"] == "en" and slide["schedule"]["hours"] == "07:00-10:00"


def test_the_sample_breakfast_coffee_keeps_its_hours_in_oslo(sample_build) -> None:
    result, public = sample_build
    coffee_id = result.site.by_rel["content/promotions/breakfast-coffee.md"].id
    playlist = json.loads((public / "signage/playlists/oslo-entrance.json").read_text())
    coffee = [s for s in playlist["slides"] if s["item"] == coffee_id]
    assert [s["lang"] for s in coffee] == ["nb"]
    schedule = coffee[0]["schedule"]
    assert schedule["hours"] == "07:00-10:00"
    assert schedule["days"] == ["mon", "tue", "wed", "thu", "fri"]
