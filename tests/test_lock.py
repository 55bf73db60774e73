"""requirements.lock is what `make install` installs: it must pin what pyproject.toml pins, and pin it with hashes.

A version changed in pyproject.toml without `make lock` would otherwise install the old one without a word.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;\\]+)")


def _name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _locked() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            pins[_name(match[1])] = match[2]
    return pins


def test_every_pin_of_pyproject_is_locked_at_the_same_version():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = [*project["dependencies"], *(d for extra in project["optional-dependencies"].values() for d in extra)]
    locked = _locked()
    differ = {}
    for requirement in wanted:
        match = PIN.match(requirement)
        assert match, f"pin {requirement!r} to one version in pyproject.toml"
        if locked.get(_name(match[1])) != match[2]:
            differ[requirement] = locked.get(_name(match[1]))
    assert not differ, f"run `make lock`; pyproject.toml and requirements.lock differ: {differ}"


def test_every_locked_package_carries_its_hashes():
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[-1].strip())
    # A package may appear once per Python version range (uv's universal lock splits it by marker).
    assert all(PIN.match(entry) for entry in entries)
    assert {_name(PIN.match(entry)[1]) for entry in entries} == set(_locked()) and len(entries) > 20
    unhashed = [entry.split()[0] for entry in entries if "--hash=sha256:" not in entry]
    assert not unhashed, f"run `make lock`: no hashes for {unhashed}"
