"""`convcost separable`: finite entries only, at most 64x64, bounded exact arithmetic, JSON
that is JSON (never NaN or Infinity)."""

from __future__ import annotations

import json
import random
from fractions import Fraction
from pathlib import Path

import pytest
from conftest import assert_user_error, run
from hypothesis import given, settings
from hypothesis import strategies as st

from convcost.errors import ConvcostError
from convcost.separable import MAX_EXACT_DIGITS, MAX_SIZE, parse_entry, rank_pairs, separability


def _text(rows: list[list[object]]) -> str:
    return "; ".join(" ".join(str(x) for x in row) for row in rows)


@pytest.mark.parametrize(
    ("kernel", "fragments"),
    [
        ("1 .inf 1", ["row 1", "got '.inf'"]),
        ("1 inf 1", ["got 'inf'"]),
        ("1 nan; 2 3", ["got 'nan'"]),
        ("1 1e400", ["'1e400' is too large for floating point"]),
        ("1 -1e309", ["too large for floating point"]),
        ("1 0x3", ["got '0x3'"]),
        ("1 1_000", ["got '1_000'"]),
        ("1 064", ["'064' has a leading zero"]),
        ("1 1/0", ["a zero denominator"]),
        ("1 " + "9" * 31, ["at most 30 digits"]),
        ("1 1/" + "7" * 31, ["at most 30 digits"]),
        ("1 0." + "1" * 31, ["at most 30 digits"]),
        ("1 " + "9" * 5000, ["at most 30 digits"]),
        ("; ".join(["1"] * (MAX_SIZE + 1)), ["more than 64 rows", "at most 64x64"]),
        (" ".join(["1"] * (MAX_SIZE + 1)), ["more than 64 entries in row 1"]),
    ],
)
def test_bad_entries_and_sizes_are_refused(kernel: str, fragments: list[str]) -> None:
    """Non-finite, overflowing, hex, octal-looking, 31-digit entries and kernels over 64x64: one Error line, exit 2."""
    assert_user_error(run("separable", kernel), *fragments)


def test_huge_kernel_text_is_refused_by_its_size_at_once() -> None:
    """A 100,000-row kernel is refused at its 65th row, without parsing the rest."""
    assert_user_error(run("separable", "1 2;" * 100_000), "more than 64 rows")


def test_overflowing_products_stay_finite_in_json() -> None:
    """Entries near 1e308 split without inf or nan: the JSON is valid and the pairs sum back to the kernel."""
    out = run("separable", "1e308 1e308; 1e308 -1e308", "--format", "json").stdout
    assert "Infinity" not in out
    assert "NaN" not in out
    data = json.loads(out, parse_constant=lambda name: pytest.fail(f"non-JSON constant {name}"))
    assert data["rank"] == 2
    cells = [
        float(sum(Fraction(p["vertical"][i]) * Fraction(p["horizontal"][j]) for p in data["pairs"])) for i in range(2) for j in range(2)
    ]
    assert cells == pytest.approx([1e308, 1e308, 1e308, -1e308], rel=1e-12)


def test_random_64x64_integer_kernel_is_fast() -> None:
    """A random 64x64 integer kernel (full rank 64) is split exactly in well under a second or two."""
    rng = random.Random(7)  # noqa: S311 (a test kernel, not a secret)
    rows = [[rng.randint(-9, 9) for _ in range(64)] for _ in range(64)]
    data = json.loads(run("separable", _text(rows), "--format", "json").stdout)
    assert data["rank"] == 64
    for i, j in [(rng.randrange(64), rng.randrange(64)) for _ in range(100)]:  # the pairs sum back to the kernel
        assert sum(Fraction(p["vertical"][i]) * Fraction(p["horizontal"][j]) for p in data["pairs"]) == rows[i][j]


def test_exact_arithmetic_is_bounded_by_digits() -> None:
    """A kernel whose rows over their common denominators need more than 640 digits in all is refused, naming the limit."""
    rows = [[str(10**29 + i * 64 + j) for j in range(64)] for i in range(64)]  # 64 rows x 30 digits
    assert_user_error(run("separable", _text(rows)), "1,920 digits", f"at most {MAX_EXACT_DIGITS:,}")
    fractions = [[f"1/{10**20 + i * 64 + j}" for j in range(8)] for i in range(8)]  # each row's common denominator is huge
    assert_user_error(run("separable", _text(fractions)), f"at most {MAX_EXACT_DIGITS:,}")


def test_kernel_files_are_bounded(tmp_path: Path) -> None:
    """YAML and CSV kernel files over 64x64 are refused before their entries are read; YAML's .inf is refused."""
    csv = tmp_path / "k.csv"
    csv.write_text("1," * 5000 + "1\n", encoding="utf-8")
    assert_user_error(run("separable", str(csv)), "more than 64 entries in row 1")
    yaml = tmp_path / "k.yaml"
    yaml.write_text("kernel: [&r [1, 2], " + ", ".join(["*r"] * 64) + "]\n", encoding="utf-8")
    assert_user_error(run("separable", str(yaml)), "more than 64 rows")
    yaml.write_text("- [1, .inf]\n- [1, 2]\n", encoding="utf-8")
    assert_user_error(run("separable", str(yaml)), "got '.inf'")


def _reference_pairs(rows: list[list[Fraction]]) -> list[tuple[list[Fraction], list[Fraction]]]:
    """The textbook cross decomposition with fractions: first non-zero pivot, subtract the outer product."""
    residual = [list(r) for r in rows]
    pairs = []
    while True:
        at = next(((i, j) for i, r in enumerate(residual) for j, x in enumerate(r) if x != 0), None)
        if at is None:
            return pairs
        i, j = at
        column = [r[j] for r in residual]
        row = [x / residual[i][j] for x in residual[i]]
        pairs.append((column, row))
        residual = [[x - c * y for x, y in zip(r, row, strict=True)] for r, c in zip(residual, column, strict=True)]


small = st.fractions(min_value=-5, max_value=5, max_denominator=6)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6).flatmap(lambda n: st.lists(st.lists(small, min_size=n, max_size=n), min_size=1, max_size=6)), st.integers(0, 3))
def test_bareiss_pairs_equal_the_fraction_elimination(rows: list[list[Fraction]], rank_cut: int) -> None:
    """Fraction-free elimination gives exactly the pairs of the textbook fraction elimination, and they sum to the kernel."""
    if rank_cut:  # also low-rank kernels: a sum of a few outer products
        rows = [[sum((rows[k % len(rows)][i % len(rows[0])] * rows[(k + 1) % len(rows)][j] for k in range(rank_cut)), Fraction(0))
                 for j in range(len(rows[0]))] for i in range(len(rows))]  # fmt: skip
    pairs = rank_pairs([list(r) for r in rows], 0.0)
    assert pairs == _reference_pairs(rows)
    total = [[sum((c[i] * r[j] for c, r in pairs), Fraction(0)) for j in range(len(rows[0]))] for i in range(len(rows))]
    assert total == rows


def test_api_values_are_checked_too() -> None:
    """Floats, ints and Fractions given directly are checked like text: finite, at most 30 digits."""
    with pytest.raises(ConvcostError, match="finite"):
        parse_entry(float("nan"), "row 1")
    with pytest.raises(ConvcostError, match="at most 30 digits"):
        parse_entry(10**40, "row 1")
    with pytest.raises(ConvcostError, match="at most 30 digits"):
        parse_entry(Fraction(1, 10**40), "row 1")
    with pytest.raises(ConvcostError, match="finite"):
        separability([[Fraction(1), float("inf")]])


# --- kernels as strict as model files ---------------------------------------------------------


@pytest.mark.parametrize(
    ("kernel", "fragment"),
    [
        ("1 2;;2 4", "row 2 is empty"),
        ("1 2; 2 4;", "row 3 is empty"),
        ("1 2\n\n2 4", "row 2 is empty"),
        ("1,,2; 3 4 5", "row 1: entry 2 is empty"),
        (",1 2; 3 4", "row 1: entry 1 is empty"),
        ("1 2; 3 4,", "row 2: entry 3 is empty"),
    ],
)
def test_empty_rows_and_entries_are_refused(kernel: str, fragment: str) -> None:
    """An empty row (`1 2;;2 4`) or an empty entry (`1,,2`) is refused, not skipped."""
    assert_user_error(run("separable", kernel), fragment)


def test_spaces_commas_and_a_final_new_line_still_read() -> None:
    """`1, 2; 2, 4`, entries split by spaces or commas, and text ending in a new line read as before."""
    for kernel in ("1, 2; 2, 4", "1,2;2,4", "1 2\n2 4\n", "  1 2 ; 2 4  "):
        assert "kernel 2x2, rank 1" in run("separable", kernel).stdout, kernel


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("kernel: [[1, 2], [2, 4]]\nfoo: 1\n", [":2:1:", "unknown key 'foo'", "(valid keys: kernel)"]),
        ("kernl: [[1, 2], [2, 4]]\n", [":1:1:", "unknown key 'kernl'; did you mean 'kernel'?"]),
        ("kernel:\n  - [1, 2]\n  - [2, x]\n", [":3:9:", "got 'x'"]),
        ("- [1, 2]\n- []\n", [":2:3:", "row 2 is empty"]),
        ("- [1, 2]\n- [1]\n", [":2:3:", "ragged kernel: row 2 has 1 entries, row 1 has 2"]),
        ("- [1, 2]\n- 3\n", [":2:3:", "row 2: expected a list of numbers"]),
        ('kernel: "1 2;;2 4"\n', [":1:9:", "row 2 is empty"]),
        ('kernel: "1 2; 2 x"\n', [":1:9:", "row 2", "got 'x'"]),
        ("kernel:\n", [":1:8:", "got nothing (null)"]),
        ("{}\n", [":1:1:", "expected a mapping with the key 'kernel'"]),
    ],
)
def test_yaml_kernel_files_are_strict_and_say_where(tmp_path: Path, text: str, fragments: list[str]) -> None:
    """A YAML kernel file: unknown keys refused with a did-you-mean, every error at its file:line:col."""
    path = tmp_path / "k.yaml"
    path.write_text(text, encoding="utf-8")
    assert_user_error(run("separable", str(path)), f"{path}:", *fragments)


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("2,4,\n1,2,\n", [":1:5:", "row 1: entry 3 is empty"]),
        ("2,,4\n", [":1:3:", "row 1: entry 2 is empty"]),
        ("2,4\n\n1,2\n", [":2:1:", "row 2 is empty"]),
        ("2, 4\n1,x\n", [":2:3:", "got 'x'"]),
        ('"2",4\n1,"x"\n', [":2:", "got 'x'"]),
        ("1,2\n1\n", [":2:1:", "ragged kernel: row 2 has 1 entries"]),
    ],
)
def test_csv_kernel_files_are_strict_and_say_where(tmp_path: Path, text: str, fragments: list[str]) -> None:
    """A CSV kernel file: an empty cell or an empty line is refused, every error at its file:line(:col)."""
    path = tmp_path / "k.csv"
    path.write_text(text, encoding="utf-8")
    assert_user_error(run("separable", str(path)), f"{path}:", *fragments)


def test_csv_kernel_with_a_final_blank_line_reads(tmp_path: Path) -> None:
    """Blank lines at the end of a CSV file are not rows: `1,2 / 2,4 / (blank)` is the 2x2 kernel."""
    path = tmp_path / "k.csv"
    path.write_text("1, 2\n2, 4\n\n", encoding="utf-8")
    assert "kernel 2x2, rank 1" in run("separable", str(path)).stdout


# --- issue 21: the formats of the other commands -----------------------------------------------


def test_separable_takes_the_other_commands_formats_and_keeps_text() -> None:
    """`--format table` is the default (the old `text` still prints the same), and json, csv and markdown work."""
    kernel = "-1 0 1; -2 0 2; -1 0 1"
    default = run("separable", kernel)
    assert default.exit_code == 0
    assert run("separable", kernel, "--format", "table").stdout == default.stdout == run("separable", kernel, "--format", "text").stdout
    for fmt in ("json", "csv", "markdown"):
        assert run("separable", kernel, "--format", fmt).exit_code == 0, fmt


def test_separable_csv_has_a_total_row_then_one_row_per_pair() -> None:
    """The Laplacian (rank 2): a total row with its rank, verdict and costs, then its two pairs as bracketed vectors."""
    lines = run("separable", "0 1 0; 1 -4 1; 0 1 0", "--format", "csv").stdout.splitlines()
    assert lines == [
        "row,pair,vertical,horizontal,rank,separable,exact,mults_kernel,mults_pairs",
        f"total,,,,2,false,true,{3 * 3},{2 * (3 + 3)}",
        "pair,1,[1 -4 1],[0 1 0],,,,,",
        "pair,2,[0 1 0],[1 0 1],,,,,",
    ]


def test_separable_markdown_is_a_title_a_verdict_and_a_table() -> None:
    """Markdown: the first line bold, the verdict, a pipe table of the pairs, the cost per pixel."""
    out = run("separable", "1 2 1; 2 4 2; 1 2 1", "--format", "markdown").stdout.splitlines()
    assert out[0] == "**kernel 3x3, rank 1 (exact rational arithmetic)**"
    assert "| 1 | [1 2 1]^T | [1 2 1] |" in out
    assert out[-1] == "mults per output pixel: 9 as a 3x3 kernel, 6 as 3x1 then 1x3 (1.50x fewer)"
