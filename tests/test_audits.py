"""`omnipub check --links --leaks --consistency` reads the outputs back like clients do."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from conftest import FIXED_AT, copy_sample
from omnipub.cli import cli


def check(root: Path, *flags: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["check", str(root), "--at", FIXED_AT, *flags])
    return result.exit_code, result.output


def test_sample_passes_every_audit(tmp_path: Path) -> None:
    code, output = check(copy_sample(tmp_path / "s"), "--links", "--leaks", "--consistency")
    assert code == 0, output
    assert "audits passed: links, leaks, consistency" in output


def test_a_broken_template_link_is_found(tmp_path: Path) -> None:
    root = copy_sample(tmp_path / "s")
    (root / "templates/web").mkdir(parents=True)
    (root / "templates/web/404.html").write_text(
        '{% extends "base.html" %}{% block main %}<a href="/no/such/page/">x</a>{% endblock %}'
    )
    code, output = check(root, "--links")
    assert code == 1
    assert "web/404.html: <a href> '/no/such/page/' leads nowhere" in output


def test_a_channel_stating_another_price_is_found(tmp_path: Path) -> None:
    root = copy_sample(tmp_path / "s")
    (root / "templates/mobile").mkdir(parents=True)
    (root / "templates/mobile/product.html").write_text(
        '{% extends "item.html" %}{% block head %}<script type="application/ld+json">'
        '{"@type": "Product", "offers": {"price": "1.00", "priceCurrency": "NOK"}}'
        "</script>{% endblock %}"
    )
    code, output = check(root, "--consistency")
    assert code == 1
    assert "price of prod-merino-sweater (en) is '1299.00' on app but '1.00' on mobile" in output
    assert "'1.00' on mobile but '1299.00' on web" in output


def test_every_build_audits_the_items_it_rendered(tmp_path: Path) -> None:
    root = copy_sample(tmp_path / "s")
    (root / "templates/mobile").mkdir(parents=True)
    (root / "templates/mobile/product.html").write_text(
        '{% extends "item.html" %}{% block head %}<script type="application/ld+json">'
        '{"@type": "Product", "offers": {"price": "1.00", "priceCurrency": "NOK"}}'
        "</script>{% endblock %}"
    )
    result = CliRunner().invoke(cli, ["build", str(root), "--at", FIXED_AT])
    assert result.exit_code == 1
    assert "error[check.consistency]" in result.output
    assert "'1.00' on mobile" in result.output
    assert not (root / "public").exists()  # nothing published
