"""The bundled demo dataset: 400 support tickets in a production template, with realistic flaws
(label variants, stray whitespace, duplicates, near-duplicates, leakage into validation)."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import platformdirs

DEMO_NAME = "support_tickets.jsonl"


def demo_source() -> Path:
    """The demo file inside the installed package (never edited)."""
    return Path(str(resources.files("curator") / "demo" / DEMO_NAME))


def demo_copy() -> Path:
    """A copy of the demo in the user's data folder, made on first use, which the user may edit and save."""
    target = Path(platformdirs.user_data_dir("curator")) / "demo" / DEMO_NAME
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(demo_source(), target)
    return target
