"""`omnipub new`: a small site that builds as it is and shows where things go."""

from __future__ import annotations

from pathlib import Path

from .diagnostics import UsageError

FILES: dict[str, str] = {
    "omnipub.toml": """\
[site]
title = "My shop"
description = "News, products and offers."
timezone = "Europe/Oslo"
default_language = "en"

[languages.en]
name = "English"
locale = "en_GB"

[sections.articles]
title = "News"

[sections.products]
title = "Products"

[[stores]]
id = "main"
name = "Main street store"
timezone = "Europe/Oslo"
address = "1 Main Street"

[channels.web]
base_url = "https://www.example.com/"
page_size = 10

[channels.mobile]
base_url = "https://m.example.com/"

[channels.app]
base_url = "https://api.example.com/app/"

[channels.signage]
base_url = "https://screens.example.com/"

[[channels.signage.screens]]
id = "main-entrance"
store = "main"
zone = "entrance"
resolution = "1920x1080"
orientation = "landscape"
""",
    ".gitignore": "public/\n.omnipub/\n",
    "content/_index.md": """\
---
title: Welcome
summary: Everything new in the shop.
---
This is the home page. Edit `content/_index.md` to change it.
""",
    "content/about.md": """\
---
title: About us
summary: Who we are.
menu: true
---
We are a small shop. Read [our first news](articles/hello.md).
""",
    "content/articles/_index.md": """\
---
title: News
cascade:
  type: article
---
""",
    "content/articles/hello.md": """\
---
title: Hello, world
summary: The first article of the new site.
date: 2026-01-01 09:00
tags: [news]
---
Write Markdown here. Link to other items by their file:
[about us](../about.md).
""",
    "content/products/_index.md": """\
---
title: Products
cascade:
  type: product
  currency: EUR
---
""",
    "content/products/mug.md": """\
---
title: Enamel mug
summary: Tough enough for the trail.
sku: MUG-1
price: 12.50
availability: in_stock
buy_url: https://shop.example.com/mug
stocked_at: [main]
tags: [news]
---
A mug for coffee outdoors.
""",
}


def scaffold(directory: Path) -> None:
    if directory.exists() and any(directory.iterdir()):
        raise UsageError(
            f"{directory} exists and is not empty",
            "choose a new folder name; omnipub new never overwrites files",
        )
    for rel, text in FILES.items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
