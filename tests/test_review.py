"""Design-review workflow: budgets, diff, export, kernel separability, the Python API and the schema."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import SPECS, assert_user_error, run, run_json

BASE = """\
name: base
input: 32x32x3
defaults: {padding: same}
layers:
  - {name: stem, k: 3, out: 32}
  - {name: c2, k: 5, out: 64}
  - {name: c3, k: 3, out: 64}
  - {name: smooth, type: depthwise, k: 3}
  - {name: pool, type: avgpool, global: true}
  - {name: fc, type: linear, out: 10}
"""
PROPOSED = """\
name: proposed
input: 32x32x3
defaults: {padding: same}
budget: {max-mults: 20M}
layers:
  - {name: stem, k: 3, out: 32}
  - {name: c2, k: 5, out: 64, as: depthwise-separable}
  - {name: c3b, k: 3, out: 64}
  - {name: extra, type: pointwise, out: 64}
  - {name: pool, type: avgpool, global: true}
  - {name: fc, type: linear, out: 10}
"""


# --- budgets ------------------------------------------------------------------------


def test_budget_within_exits_0_and_json_carries_verdict() -> None:
    """Within budget: exit 0, and JSON says ok with the exact limit and value."""
    result = run("layer", "--in", "28x28x8", "--k", "3", "--out", "16", "--max-mults", "1M", "--format", "json")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert json.loads(result.stdout)["budget"] == {"mults": {"limit": 1_000_000, "value": 778_752, "ok": True}}


def test_budget_exceeded_prints_output_then_exits_1() -> None:
    """Over budget: the normal output still prints, then one stderr line per exceeded budget, exit 1."""
    result = run("model", str(SPECS / "mobilenet_v1.yaml"), "--max-mults", "500M", "--max-params", "4M", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["budget"]["mults"] == {"limit": 500_000_000, "value": 568_740_352, "ok": False}
    assert result.stderr.splitlines() == ["mults 568,740,352 > 500M by 13.7%", "params 4,209,088 > 4M by 5.2%"]


def test_budget_example_from_the_issue_wording(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """The line reads like `mults 612,400,000 > 600M by 2.1%` (a layer of exactly 612,400,000 mults)."""
    # 100 x 100 x 6124 x 1 x 1 x 10 = 612,400,000
    result = run("layer", "--in", "100x100x6124", "--k", "1", "--out", "10", "--max-mults", "600M")
    assert result.exit_code == 1
    assert result.stderr == "mults 612,400,000 > 600M by 2.1%\n"
    assert "612,400,000" in result.stdout


def test_budget_bad_value_is_exit_2() -> None:
    """A bad budget is a user mistake: exit 2, nothing printed."""
    assert_user_error(run("layer", "--in", "28x28x8", "--k", "3", "--out", "16", "--max-mults", "1.5X"), "--max-mults", "'1.5X'")
    assert_user_error(run("layer", "--in", "28x28x8", "--k", "3", "--out", "16", "--max-params", "1.2345k"), "whole number")


def test_budget_from_file_and_flag_wins(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """A model file's budget: applies; a flag overrides it."""
    path = tmp_yaml(PROPOSED)
    assert run("model", path, "--format", "json").exit_code == 1
    assert run("model", path, "--format", "json", "--max-mults", "100M").exit_code == 0


def test_layer_budget_checks_first_method_shown() -> None:
    """On layer, the budget checks standard, or the first --method; a method that does not apply is exit 2."""
    args = ["layer", "--in", "28x28x8", "--k", "3", "--out", "16", "--max-mults", "200k"]
    assert run(*args).exit_code == 1
    assert run(*args, "--method", "depthwise-separable").exit_code == 0
    assert_user_error(run(*args, "--method", "stacked-3x3"), "budget cannot be checked")


# --- diff ---------------------------------------------------------------------------


def test_diff_added_removed_renamed_changed(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """Layers match by name, else position: c2 changed, c3 -> c3b renamed, smooth removed, extra added."""
    base, proposed = tmp_yaml(BASE, "base.yaml"), tmp_yaml(PROPOSED, "proposed.yaml")
    result = run("diff", base, proposed, "--format", "json", "--max-mults", "100M")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    status = {(r["base"] or {}).get("name") or r["proposed"]["name"]: r["status"] for r in data["layers"]}
    assert status == {
        "c2": "changed", "extra": "added", "c3": "renamed", "smooth": "removed",
        "stem": "unchanged", "pool": "unchanged", "fc": "unchanged",
    }  # fmt: skip
    assert data["layers"][0]["status"] == "changed"  # heaviest change first
    assert data["change"]["mults"] == data["proposed"]["mults"] - data["base"]["mults"]
    assert data["budget"]["mults"]["ok"] is True


def test_diff_budget_applies_to_proposed(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """PROPOSED's own budget (20M) gates the diff."""
    result = run("diff", tmp_yaml(BASE, "b.yaml"), tmp_yaml(PROPOSED, "p.yaml"))
    assert result.exit_code == 1
    proposed_mults = run_json("model", tmp_yaml(PROPOSED, "p2.yaml"), "--max-mults", "1G")["totals"]["mults"]
    assert result.stderr == f"mults {proposed_mults:,} > 20M by {100 * (proposed_mults - 20_000_000) / 20_000_000:.1f}%\n"
    assert "renamed" in result.stdout
    assert "unchanged layers not shown" in result.stdout


def test_diff_markdown_and_csv(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """Markdown and CSV list the same rows."""
    base, proposed = tmp_yaml(BASE, "b.yaml"), tmp_yaml(PROPOSED, "p.yaml")
    md = run("diff", base, proposed, "--format", "markdown", "--max-mults", "1G").stdout
    assert "| added |  | 4 extra |" in md
    csv_rows = run("diff", base, proposed, "--format", "csv", "--max-mults", "1G").stdout.splitlines()
    assert csv_rows[0].startswith("status,base_index,base_name")
    assert len(csv_rows) == 1 + 7  # the header, the 6 base layers (matched or removed), 1 added


# --- export -------------------------------------------------------------------------


class _Balance(HTMLParser):
    """Checks that every opened element is closed in order (void elements excepted)."""

    VOID = frozenset({"meta", "br", "img", "link", "input", "hr"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.seen: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack, f"</{tag}> closes nothing"
        assert self.stack.pop() == tag, f"</{tag}> out of order"


@pytest.mark.parametrize("suffix", [".html", ".svg", ".md", ".txt"])
@pytest.mark.parametrize("command", ["layer", "model", "diff"])
def test_export_each_format(tmp_path: Path, tmp_yaml, command: str, suffix: str) -> None:  # type: ignore[no-untyped-def]
    """--export writes each format, non-empty, with the report's figures; stdout is unchanged."""
    target = tmp_path / f"report{suffix}"
    args = {
        "layer": ["layer", "--in", "28x28x8", "--k", "3", "--out", "16"],
        "model": ["model", str(SPECS / "mobilenet_v1.yaml")],
        "diff": ["diff", tmp_yaml(BASE, "b.yaml"), tmp_yaml(PROPOSED, "p.yaml"), "--max-mults", "1G"],
    }[command]
    plain = run(*args)
    result = run(*args, "--export", str(target))
    assert result.exit_code == 0
    assert result.stdout == plain.stdout
    text = target.read_text(encoding="utf-8")
    figure = {"layer": "135,200", "model": "568,740,352", "diff": "renamed"}[command]
    assert figure in text
    if suffix == ".html":
        parser = _Balance()
        parser.feed(text)
        parser.close()
        assert parser.stack == []
        assert {"html", "head", "title", "body", "pre"} <= set(parser.seen)
    if suffix == ".svg":
        assert text.lstrip().startswith("<svg")


def test_export_to_unwritable_path_fails_cleanly(tmp_path: Path) -> None:
    """An export that cannot be written: exit 2, nothing on stdout, no partial file left."""
    target = tmp_path / "missing-dir" / "r.html"
    assert_user_error(run("layer", "--in", "28x28x8", "--k", "3", "--out", "16", "--export", str(target)), "cannot write")
    assert not target.parent.exists()
    occupied = tmp_path / "taken.html"
    occupied.mkdir()  # the temporary file is written, then the rename onto a directory fails
    assert_user_error(run("layer", "--in", "28x28x8", "--k", "3", "--out", "16", "--export", str(occupied)), "cannot write")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken.html"]
    assert list(occupied.iterdir()) == []


def test_export_unknown_extension() -> None:
    """Only .html, .svg, .md and .txt."""
    assert_user_error(run("layer", "--in", "28x28x8", "--k", "3", "--out", "16", "--export", "r.pdf"), ".html, .svg, .md, .txt", "'r.pdf'")


# --- separability -------------------------------------------------------------------


def test_sobel_is_121_times_minus101() -> None:
    """Sobel = [1 2 1]^T x [-1 0 1]; 9 mults per pixel against 6."""
    out = run("separable", "-1 0 1; -2 0 2; -1 0 1").stdout
    assert "rank 1 (exact rational arithmetic)" in out
    assert "kernel = [1 2 1]^T x [-1 0 1]" in out
    assert "9 as a 3x3 kernel, 6 as 3x1 then 1x3" in out


def test_gaussian_121_integer_and_fraction() -> None:
    """The 1-2-1 Gaussian, in integers and in sixteenths, splits into [1 2 1] pairs."""
    data = json.loads(run("separable", "1 2 1; 2 4 2; 1 2 1", "--format", "json").stdout)
    assert data["rank"] == 1
    assert data["pairs"] == [{"vertical": [1, 2, 1], "horizontal": [1, 2, 1]}]
    data = json.loads(run("separable", "1/16 1/8 1/16; 1/8 1/4 1/8; 1/16 1/8 1/16", "--format", "json").stdout)
    assert data["pairs"] == [{"vertical": [1, 2, 1], "horizontal": ["1/16", "1/8", "1/16"]}]
    assert data["exact"] is True


def test_laplacian_has_rank_2_and_exact_pairs() -> None:
    """The 4-neighbour Laplacian is rank 2: not separable, an exact sum of two pairs costing 2 x (3 + 3)."""
    data = json.loads(run("separable", "0 1 0; 1 -4 1; 0 1 0", "--format", "json").stdout)
    assert data["rank"] == 2
    assert data["separable"] is False
    total = [[0] * 3 for _ in range(3)]
    for pair in data["pairs"]:
        for i, a in enumerate(pair["vertical"]):
            for j, b in enumerate(pair["horizontal"]):
                total[i][j] += a * b
    assert total == [[0, 1, 0], [1, -4, 1], [0, 1, 0]]
    assert data["mults_per_pixel"] == {"kernel": 9, "pairs": 12}
    assert "not separable" in run("separable", "0 1 0; 1 -4 1; 0 1 0").stdout


def test_float_kernel_uses_tolerance() -> None:
    """An outer product in floating point is rank 1 within the tolerance; the tolerance is stated."""
    col, row = [0.1, 0.2, 0.3], [0.7, 0.11, 0.13]
    text = "; ".join(" ".join(repr(a * b) for b in row) for a in col)
    data = json.loads(run("separable", text, "--format", "json").stdout)
    assert data["rank"] == 1
    assert data["exact"] is False
    assert data["tolerance"] == 1e-9
    assert json.loads(run("separable", "1.0 2.0; 3.0 4.0", "--format", "json").stdout)["rank"] == 2


def test_kernel_from_yaml_and_csv(tmp_path: Path) -> None:
    """A kernel can come from a YAML file (a list of rows, or kernel:) or a CSV file."""
    (tmp_path / "k.yaml").write_text("kernel:\n  - [1, 2, 1]\n  - [2, 4, 2]\n  - [1, 2, 1]\n", encoding="utf-8")
    (tmp_path / "k.csv").write_text("-1,0,1\n-2,0,2\n-1,0,1\n", encoding="utf-8")
    assert json.loads(run("separable", str(tmp_path / "k.yaml"), "--format", "json").stdout)["rank"] == 1
    assert json.loads(run("separable", str(tmp_path / "k.csv"), "--format", "json").stdout)["pairs"][0]["horizontal"] == [-1, 0, 1]


@pytest.mark.parametrize(
    ("kernel", "fragment"),
    [
        ("1 2; 3", "ragged kernel: row 2 has 1 entries"),
        ("1 a 2", "expected a number"),
        ("", "empty"),
        (" ; ", "empty"),
        ("1 nan; 2 3", "expected a number"),
        ("1/0 1", "expected a number"),
    ],
)
def test_bad_kernels(kernel: str, fragment: str) -> None:
    """Ragged rows, non-numbers and empty kernels are user errors."""
    assert_user_error(run("separable", kernel), fragment)


# --- API and schema -----------------------------------------------------------------


def test_api_readme_example_runs() -> None:
    """The Python API page's example (docs/python-api.md) runs and its results serialise to the CLI's JSON."""
    import re

    from conftest import ROOT

    page = (ROOT / "docs" / "python-api.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", page, re.DOTALL)
    assert code is not None
    namespace: dict[str, object] = {}
    exec(compile(code.group(1), "docs/python-api.md", "exec"), namespace)  # noqa: S102 - the page's own example
    import convcost

    report = convcost.cost_layer(convcost.build_layer("28x28x8", k=3, out=16))
    assert convcost.to_json(report) == run("layer", "--in", "28x28x8", "--k", "3", "--out", "16", "--format", "json").stdout.rstrip("\n")
    model = convcost.cost_model_file(str(SPECS / "resnet50.yaml"))
    assert json.loads(convcost.to_json(model)) == run_json("model", str(SPECS / "resnet50.yaml"))


def test_api_results_are_dataclasses() -> None:
    """Results are frozen dataclasses; to_dict(result) is their JSON document as data."""
    import dataclasses

    import convcost

    report = convcost.cost_layer(convcost.build_layer([12, 12, 3], k=5, out=256))
    assert dataclasses.is_dataclass(report)
    assert dataclasses.is_dataclass(report.results[0])
    assert convcost.to_dict(report)["methods"][0]["mults"] == 1_228_800
    assert convcost.to_dict(report) == json.loads(convcost.to_json(report))
    with pytest.raises(convcost.ConvcostError, match="expected HxWxC"):
        convcost.build_layer("28x28x8x8x8", k=3, out=16)


def test_schema_validates_every_spec_and_rejects_broken_ones() -> None:
    """Every file in layer_specs/ validates against `convcost schema`; broken files do not."""
    import jsonschema
    import yaml

    schema = json.loads(run("schema").stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    files = sorted(SPECS.rglob("*.yaml"))
    assert len(files) >= 9
    for path in files:
        errors = list(validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8"))))
        assert errors == [], (path, errors[:1])
    broken = [
        "input: 8x8x3\nlayers: [{k: 3, out: 4, strid: 2}]\n",
        "input: 8x8\nlayers: [{k: 3, out: 4}]\n",
        "layers: [{k: 3, out: 4}]\n",
        "input: 8x8x3\nlayers: [{type: convv, k: 3}]\n",
        "input: 8x8x3\nlayers: [{k: 3, out: 4, bias: maybe}]\n",
        "input: 8x8x3\nlayers: [{type: linear, out: 4, padding: 1}]\n",
        "in: 28x28x8\nk: 3\n",
    ]
    for text in broken:
        assert list(validator.iter_errors(yaml.safe_load(text))), text


def test_schema_help_names_the_file_its_example_writes() -> None:
    """`convcost schema --help` shows writing the schema to a file and names that same file in the editor setting."""
    result = run("schema", "--help")
    assert result.exit_code == 0
    assert "convcost schema > convcost.schema.json" in result.stdout
    assert '"yaml.schemas": {"./convcost.schema.json": ["layer_specs/*.yaml"]}' in result.stdout
    assert "convcost.frontends.schema.json" not in result.stdout


@pytest.mark.parametrize("fmt", ["json", "csv", "markdown"])
def test_export_writes_what_was_printed(tmp_path: Path, fmt: str) -> None:
    """With --format json/csv/markdown, the .txt export is exactly the printed output."""
    target = tmp_path / "report.txt"
    result = run("layer", "--in", "28x28x8", "--k", "3", "--out", "16", "--format", fmt, "--export", str(target))
    assert result.exit_code == 0
    assert target.read_text(encoding="utf-8") == result.stdout
    md = tmp_path / "report.md"
    run("layer", "--in", "28x28x8", "--k", "3", "--out", "16", "--format", fmt, "--export", str(md))
    assert result.stdout.rstrip("\n") in md.read_text(encoding="utf-8")


def test_diff_counts_unchanged_layers_in_words(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """One unchanged layer is "1 unchanged layer", in the table and in Markdown; two are "2 unchanged layers"."""
    one = "name: a\ninput: 8x8x3\nlayers:\n  - {name: c1, k: 3, out: 8}\n  - {name: c2, k: 3, out: %d}\n"
    base, proposed = tmp_yaml(one % 8, "a.yaml"), tmp_yaml(one % 16, "b.yaml")
    for fmt in ("table", "markdown"):
        out = run("diff", base, proposed, "--format", fmt).stdout
        assert "1 unchanged layer not shown." in out
        assert "1 unchanged layers" not in out
    same = tmp_yaml(one % 8, "c.yaml")
    assert "No layer differs (2 unchanged layers)." in run("diff", base, same).stdout


def test_a_diff_where_nothing_differs_prints_no_empty_table(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """Two models whose layers all agree: the totals, then one line saying no layer differs (no empty table)."""
    model = "name: a\ninput: 8x8x3\nlayers:\n  - {name: c1, k: 3, out: 8}\n  - {name: c2, k: 3, out: 8}\n"
    base, same = tmp_yaml(model, "a.yaml"), tmp_yaml(model, "b.yaml")
    for fmt in ("table", "markdown"):
        result = run("diff", base, same, "--format", fmt)
        assert result.exit_code == 0
        assert "No layer differs (2 unchanged layers)." in result.stdout
        assert "Layers that differ" not in result.stdout


def test_diff_titles_by_file_and_never_hides_a_cost_change_behind_a_rename(tmp_path: Path) -> None:
    """diff's title names the files (two edits of one network share its name); a paired layer whose cost differs is
    'changed' even when renamed; 'renamed' means only the name differs; CSV lists what differs before unchanged rows."""
    v1, v2 = str(SPECS / "mobilenet_v1.yaml"), str(SPECS / "mobilenet_v2.yaml")
    table = run("diff", v1, v2).stdout
    assert table.splitlines()[0] == f"{v1} (MobileNetV1 1.0-224) -> {v2} (MobileNetV2 1.0-224)"
    rows = json.loads(run("diff", v1, v2, "--format", "json").stdout)["layers"]
    for row in rows:
        if row["status"] == "renamed":
            assert row["mults_change"] == 0
            assert row["params_change"] == 0
        if row["base"] and row["proposed"] and row["mults_change"]:
            assert row["status"] == "changed"
    base = tmp_path / "a.yaml"
    edit = tmp_path / "b.yaml"
    base.write_text("name: net\ninput: 8x8x3\nlayers:\n  - {name: a, k: 3, out: 4}\n  - {name: b, k: 3, out: 4}\n", encoding="utf-8")
    edit.write_text("name: net\ninput: 8x8x3\nlayers:\n  - {name: a, k: 3, out: 4}\n  - {name: c, k: 3, out: 4}\n", encoding="utf-8")
    assert run("diff", str(base), str(edit)).stdout.splitlines()[0] == f"{base} (net) -> {edit} (net)"
    statuses = [line.split(",")[0] for line in run("diff", str(base), str(edit), "--format", "csv").stdout.splitlines()[1:]]
    assert statuses == ["renamed", "unchanged"]
