"""The English catalog covers every Dutch string in the code and templates, with the same placeholders."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _messages(path: Path):
    with path.open("rb") as fh:
        return [m for m in read_po(fh) if m.id]


def test_every_string_in_the_source_is_in_the_english_catalog(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l", "-k", "N_",
         "-o", str(pot), "--no-location", "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    in_source = {m.id for m in _messages(pot)}
    in_catalog = {m.id for m in _messages(CATALOG)}
    missing = in_source - in_catalog
    assert not missing, f"run `make extract-messages` and translate: {sorted(missing, key=str)[:10]}"


def test_every_entry_is_translated_with_the_same_placeholders():
    problems = []
    for message in _messages(CATALOG):
        if message.fuzzy:
            problems.append(("fuzzy", message.id))
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid, msgstr in zip(ids, strings, strict=False):
            if not msgstr:
                problems.append(("untranslated", msgid))
            elif sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(msgstr)):
                problems.append(("placeholders differ", msgid))
    assert problems == []
