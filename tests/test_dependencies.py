"""The tested dependency range: pyproject.toml bounds every requirement, and ci/lowest.txt pins each
stated lower bound (the versions ci/check's second run installs), and nothing else."""

from __future__ import annotations

import re
from collections import Counter

from conftest import PYPROJECT, ROOT

LOWEST = ROOT / "ci" / "lowest.txt"
REQUIREMENT = re.compile(r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?P<specifiers>[^;]*?)\s*(?:;.*)?")
SPECIFIER = re.compile(r"(?P<operator>===|==|!=|~=|>=|<=|<|>)\s*(?P<version>[^\s,]+)")


def normalized(name: str) -> str:
    """A package name as pip compares them: case, '-', '_' and '.' do not matter."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements() -> list[str]:
    """Every requirement pyproject.toml states: the dependencies and each extra's."""
    project = PYPROJECT["project"]
    return [*project["dependencies"], *(r for extra in project["optional-dependencies"].values() for r in extra)]


def specifiers(requirement: str) -> tuple[str, list[tuple[str, str]]]:
    """A requirement's package name and its (operator, version) pairs, environment marker aside."""
    match = REQUIREMENT.fullmatch(requirement.strip())
    assert match, requirement
    parts = [part.strip() for part in match["specifiers"].split(",") if part.strip()]
    pairs = [SPECIFIER.fullmatch(part) for part in parts]
    assert all(pairs), requirement
    return normalized(match["name"]), [(p["operator"], p["version"]) for p in pairs if p]


def lower_bounds() -> dict[str, set[str]]:
    """Each package's ``>=`` versions across the dependencies and extras."""
    bounds: dict[str, set[str]] = {}
    for requirement in requirements():
        name, pairs = specifiers(requirement)
        bounds.setdefault(name, set()).update(version for operator, version in pairs if operator == ">=")
    return {name: versions for name, versions in bounds.items() if versions}


def pins() -> list[tuple[str, str]]:
    """ci/lowest.txt's ``package==version`` lines (comments and blank lines aside), in order."""
    found = []
    for line in LOWEST.read_text(encoding="utf-8").splitlines():
        text = line.split("#", 1)[0].strip()
        if text:
            match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", text)
            assert match, line
            found.append((normalized(match[1]), match[2]))
    return found


def test_every_requirement_is_bounded_below_or_pinned() -> None:
    """Each dependency and extra package states a lower bound (>=, which the lowest run tries) or one exact version (==)."""
    for requirement in requirements():
        operators = {operator for operator, _ in specifiers(requirement)[1]}
        assert operators & {">=", "=="}, requirement


def test_lowest_pins_every_lower_bound_and_nothing_else() -> None:
    """ci/lowest.txt has exactly one ``pkg==X`` for each ``pkg>=X`` in pyproject.toml, and no other pin."""
    bounds = lower_bounds()
    assert bounds, "pyproject.toml states no lower bound"
    for name, versions in bounds.items():
        assert len(versions) == 1, f"{name}: the extras disagree on its lower bound: {sorted(versions)}"
    listed = pins()
    repeated = [name for name, count in Counter(name for name, _ in listed).items() if count > 1]
    assert not repeated, f"pinned more than once in ci/lowest.txt: {repeated}"
    assert dict(listed) == {name: versions.pop() for name, versions in bounds.items()}


def test_the_lowest_run_installs_with_the_constraints() -> None:
    """ci/check's second run installs the test extra with ``-c ci/lowest.txt`` into .venv-lowest, which git ignores."""
    script = (ROOT / "ci" / "check").read_text(encoding="utf-8")
    assert re.search(r'^check "lowest versions[^"]*" \.venv-lowest .* -c ci/lowest\.txt$', script, re.MULTILINE)
    assert ".venv-lowest/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_readme_states_the_supported_versions() -> None:
    """The README's "Supported versions" names pyproject.toml's oldest Python and each runtime and extra lower bound."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    line = " ".join(readme.split("**Supported versions**", 1)[1].split("\n\n", 1)[0].split())
    oldest = PYPROJECT["project"]["requires-python"].removeprefix(">=")
    assert f"Python {oldest} to " in line
    bounds = lower_bounds()
    for name in ("click", "rich", "PyYAML", "onnx", "matplotlib"):
        assert f"{name} >= {bounds[normalized(name)].pop()}" in line, name
