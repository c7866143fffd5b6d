"""The README and docs/ stay true: every example prints what it shows, links resolve, and CI runs the test command."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from update_readme import examples, pages, run_example

README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = ROOT / "docs"
PAGES = pages()
EXAMPLES = [(page, command, shown) for page in PAGES for command, shown in examples(page.read_text(encoding="utf-8"))]
REFERENCE_PAGES = (
    "layer.md",
    "model-files.md",
    "onnx.md",
    "factorizations.md",
    "roofline-and-devices.md",
    "training.md",
    "budgets-and-diff.md",
    "errors-and-limits.md",
    "speed.md",
    "architecture.md",
)
SOURCE_ARTICLES = (
    "Factorized Convolutions Explained",
    "Separable convolutions — trading little accuracy for huge computational gains",
    "Depthwise Separable Convolution",
    "Regular Convolution",
    "Advanced Convolution Methods",
)


def test_the_examples_are_collected_from_every_page() -> None:
    """The example collector sees the README and every docs/*.md page, and finds examples in most of them."""
    assert PAGES[0] == ROOT / "README.md"
    assert set(PAGES[1:]) == set(DOCS.glob("*.md"))
    assert len(EXAMPLES) >= 25
    assert len({page for page, _, _ in EXAMPLES}) >= 8


@pytest.mark.parametrize(
    ("page", "command", "shown"),
    EXAMPLES,
    ids=[f"{page.name}:{index}" for index, (page, _, _) in enumerate(EXAMPLES)],
)
def test_every_example_prints_what_the_page_shows(page: Path, command: str, shown: str) -> None:
    """Each ``$ convcost ...`` example, in the README and in docs/, shows exactly the current output."""
    assert run_example(command) == shown, f"{page.name}: {command}"


def test_quick_start_has_exactly_two_commands_and_ci_runs_the_second() -> None:
    """Quick start: one install-and-run command, one test command (ci/check, both runs), which .ci/run runs verbatim."""
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)\n```", section, re.DOTALL)
    assert len(commands) == 2
    assert "convcost layer --in 28x28x8 --k 3 --out 16" in commands[0]
    assert "ci/check" in commands[1]
    assert commands[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


def test_readme_is_short() -> None:
    """The README is a five-minute read: under 300 lines, the reference lives in docs/."""
    assert len(README.splitlines()) < 300


def test_readme_links_every_reference_page() -> None:
    """The README's "Where to read on" links each reference page in docs/, and each exists."""
    section = README.split("## Where to read on", 1)[1]
    for name in REFERENCE_PAGES:
        assert f"](docs/{name})" in section, name
        assert (DOCS / name).is_file(), name
    for page in DOCS.glob("*.md"):
        assert f"](docs/{page.name})" in section, page.name


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_every_relative_link_resolves() -> None:
    """Every relative link in README.md and docs/*.md names a file that exists, and its #anchor a heading there."""
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        outside = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
        for target in re.findall(r"\]\(([^)\s]+)\)", outside):
            if re.match(r"[a-z]+://", target):
                continue
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            assert linked.exists(), f"{page.name}: {target}"
            if anchor:
                body = re.sub(r"```.*?```", "", linked.read_text(encoding="utf-8"), flags=re.DOTALL)
                headings = {_anchor(h) for h in re.findall(r"^#+ (.*)$", body, flags=re.MULTILINE)}
                assert anchor in headings, f"{page.name}: {target}"


def test_the_source_articles_are_named_by_title() -> None:
    """The README and docs/factorizations.md name each of the five source articles by its title."""
    readme = " ".join(README.split())
    factorizations = " ".join((DOCS / "factorizations.md").read_text(encoding="utf-8").split())
    for title in SOURCE_ARTICLES:
        assert f'"{title}"' in readme, title
        assert f'"{title}"' in factorizations, title


def test_a_yaml_example_that_names_its_file_is_that_file() -> None:
    """A ```yaml block in docs/ whose first line names a file under layer_specs/ is that file, byte for byte."""
    found = 0
    for page in PAGES:
        for block in re.findall(r"```yaml\n(.*?)```", page.read_text(encoding="utf-8"), re.DOTALL):
            named = re.match(r"# (layer_specs/\S+\.yaml):", block)
            if named:
                found += 1
                assert block == (ROOT / named.group(1)).read_text(encoding="utf-8"), named.group(1)
    assert found >= 1


def test_no_example_is_titled_as_a_network_it_is_not() -> None:
    """The model-file tour is not titled MobileNetV1; the MobileNetV1 example is the real file, with its real totals."""
    page = (DOCS / "model-files.md").read_text(encoding="utf-8")
    tour = re.search(r"```yaml\n(.*?)```", page, re.DOTALL)
    assert tour is not None
    assert "MobileNetV1 1.0-224" not in tour.group(1)
    assert "$ convcost model layer_specs/mobilenet_v1.yaml\nMobileNetV1 1.0-224: 224x224x3 -> 1x1x1000\n" in page
    assert "568,740,352" in page


def test_the_readme_speed_claim_is_what_speed_md_measures() -> None:
    """The README's start-up figure is the one docs/speed.md's table reports for `layer --format json`."""
    claim = re.search(r"(\d+-\d+ ms) on the project's 2-core machine", README)
    assert claim is not None
    speed = (DOCS / "speed.md").read_text(encoding="utf-8")
    row = next(line for line in speed.splitlines() if line.startswith("| `layer --format json`"))
    assert claim.group(1) in row
    assert "well under a tenth" not in README
