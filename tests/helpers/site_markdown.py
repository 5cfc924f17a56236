"""Python-Markdown configured as the site configures it, for tests that render page text."""

from __future__ import annotations

from pathlib import Path

import markdown
import yaml

ROOT = Path(__file__).resolve().parents[2]


def site_markdown() -> markdown.Markdown:
    """Python-Markdown with the extensions and options mkdocs.yml gives the site."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    names, options = [], {}
    for entry in config["markdown_extensions"]:
        name, opts = next(iter(entry.items())) if isinstance(entry, dict) else (entry, None)
        names.append(name)
        if opts:
            options[name] = opts
    return markdown.Markdown(extensions=names, extension_configs=options)
