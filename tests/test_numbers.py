"""Numbers: every size means what its text says, in files as in flags.

No YAML 1.1 resolver turns ``0x3``, ``064``, ``1:30`` or ``.inf`` into a number first; every
refusal names file:line:column, the text as written and what was expected.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import SPECS, assert_user_error, run, run_json
from hypothesis import given
from hypothesis import strategies as st

from convcost.core.shapes import MAX_DIGITS, parse_bool, parse_int, parse_padding, parse_pair, parse_shape, shown
from convcost.core.units import parse_si
from convcost.errors import ConvcostError
from convcost.frontends.yaml import Plain, load_yaml

LAYER = "in: 10x20x3\nk: 1x7\nout: 8\n"


def _layer(tmp_yaml, line: str) -> str:  # type: ignore[no-untyped-def]
    """A layer file with ``line`` replacing (or adding) its key, always as line 4."""
    key = line.split(":", 1)[0]
    kept = [row if not row.startswith(key + ":") else "# replaced" for row in LAYER.splitlines()]
    return str(tmp_yaml("\n".join([*kept, line]) + "\n"))


def test_padding_0x3_in_a_file_is_the_flag_s_0x3(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """`padding: 0x3` (the Inception 1x7 pattern) is PH=0, PW=3 as `--padding 0x3` is: 10x20x8 and 33,600 mults, not hex 3."""
    from_file = run_json("layer", _layer(tmp_yaml, "padding: 0x3"))
    from_flags = run_json("layer", "--in", "10x20x3", "--k", "1x7", "--out", "8", "--padding", "0x3")
    assert from_file == from_flags
    assert from_file["layer"]["out"] == [10, 20, 8]
    assert from_file["layer"]["padding"] == [0, 0, 3, 3]
    assert from_file["methods"][0]["mults"] == 10 * 20 * 8 * 3 * 1 * 7 == 33_600


@pytest.mark.parametrize(
    ("line", "fragments"),
    [
        ("out: 064", [":4:6:", "out: '064' has a leading zero", "ambiguous", "octal"]),
        ("out: 020", [":4:6:", "'020' has a leading zero"]),
        ("out: 1:30", [":4:6:", "expected a whole number >= 1, got '1:30'"]),
        ("out: 0b101", [":4:6:", "got '0b101'"]),
        ("out: 0x10", [":4:6:", "got '0x10'"]),
        ("out: 0o17", [":4:6:", "got '0o17'"]),
        ("out: 1_000", [":4:6:", "got '1_000'"]),
        ("out: 8.0", [":4:6:", "got '8.0'"]),
        ("out: 1e3", [":4:6:", "got '1e3'"]),
        ("out: .inf", [":4:6:", "got '.inf'"]),
        ("out: .nan", [":4:6:", "got '.nan'"]),
        ("out: true", [":4:6:", "got 'true'"]),
        ("out: ~", [":4:6:", "got nothing (null)"]),
        ("out: null", [":4:6:", "got nothing (null)"]),
        ("out:", [":4:5:", "got nothing (null)"]),
        ("in: 028x28x8", [":4:5:", "expected HxWxC", "'028' has a leading zero"]),
        ("k: 07", [":4:4:", "'07' has a leading zero"]),
        ("stride: 0x2", [":4:9:", "whole numbers >= 1, got '0x2'"]),
        ("padding: 0x-1", [":4:10:", "got '0x-1'"]),
        ("padding: .inf", [":4:10:", "'same' or 'valid', got '.inf'"]),
        ("groups: 0b1", [":4:9:", "got '0b1'"]),
        ("bias: yes", [":4:7:", "expected true or false, got 'yes'", "yes/no/on/off are not accepted"]),
        ("bias: maybe", [":4:7:", "expected true or false, got 'maybe'"]),
        ("bias: 1", [":4:7:", "expected true or false, got '1'"]),
        ("out: " + "9" * (MAX_DIGITS + 1), [":4:6:", f"at most {MAX_DIGITS} digits"]),
    ],
)
def test_numbers_are_decided_on_their_text(tmp_yaml, line: str, fragments: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Hex, octal, binary, sexagesimal, underscores, floats, booleans, .inf, .nan, null: refused with file:line:col and the text."""
    assert_user_error(run("layer", _layer(tmp_yaml, line)), *fragments)


@pytest.mark.parametrize(
    ("line", "tag"),
    [("out: !!int abc", "!!int"), ("out: !!float abc", "!!float"), ("bias: !!bool maybe", "!!bool"),
     ("out: !!timestamp 2001-13-45", "!!timestamp"), ("out: !!int 8", "!!int"), ("out: !!null", "!!null"),
     ("out: !!binary aGVsbG8=", "!!binary"), ("out: !custom 8", "!custom")],
)  # fmt: skip
def test_explicit_tags_are_refused_with_their_place(tmp_yaml, line: str, tag: str) -> None:  # type: ignore[no-untyped-def]
    """An explicit tag (but !!str) is one Error line with file:line:col naming the tag, never a traceback or exit 1."""
    column = line.index("!") + 1
    assert_user_error(run("layer", _layer(tmp_yaml, line)), f":4:{column}:", f"the tag {tag!r} is not allowed")


def test_str_tag_keeps_the_text(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """`!!str 8` and a quoted '8' are the text 8, which is a size like any other."""
    assert run_json("layer", _layer(tmp_yaml, "out: !!str 8"))["layer"]["out"] == [10, 14, 8]
    assert run_json("layer", _layer(tmp_yaml, "out: '8'"))["layer"]["out"] == [10, 14, 8]


def test_names_keep_their_source_text(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """`name: 064` is the name "064" (not 52), `name: 1e3` is "1e3", `name: 0x3` is "0x3"."""
    for text in ("064", "1e3", "0x3", "1:30", "true"):
        assert run_json("layer", _layer(tmp_yaml, f"name: {text}"))["layer"]["name"] == text


def test_model_file_numbers_are_text_too(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """In a model file too: `input: 064x64x3` is refused, `padding: 0x3` is PH=0 PW=3, `repeat: 0x10` is refused."""
    bad_input = tmp_yaml("input: 064x64x3\nlayers:\n  - {k: 3, out: 4}\n")
    assert_user_error(run("model", bad_input), ":1:8:", "'064' has a leading zero")
    padded = tmp_yaml("input: 10x20x3\nlayers:\n  - {k: 1x7, out: 8, padding: 0x3}\n")
    assert run_json("model", padded)["totals"]["mults"] == 33_600
    repeat = tmp_yaml("input: 8x8x3\nlayers:\n  - {repeat: 0x10, layers: [{k: 1, out: 3}]}\n")
    assert_user_error(run("model", repeat), ":3:14:", "repeat", "got '0x10'")
    budget = tmp_yaml("input: 8x8x3\nbudget: {max-mults: 1e9}\nlayers:\n  - {k: 1, out: 3}\n")
    assert_user_error(run("model", budget), ":2:21:", "max-mults", "got '1e9'")


@pytest.mark.parametrize(
    "args",
    [
        ["--in", "9" * (MAX_DIGITS + 1) + "x8x8", "--k", "3", "--out", "8"],
        ["--in", "8x8x8", "--k", "3", "--out", "1" + "0" * MAX_DIGITS],
        ["--in", "8x8x8", "--k", "3", "--out", "8", "--padding", "1" + "0" * 5000],
        ["--in", "8x8x8", "--k", "3", "--out", "8", "--mid", "9" * 4301],
        ["--in", "8x8x8", "--k", "3", "--out", "8", "--max-mults", "9" * 31],
        ["--in", "8x8x8", "--k", "3", "--out", "8", "--max-params", "1" * 20 + "." + "1" * 11 + "k"],
    ],
)
def test_flags_over_30_digits_are_refused(args: list[str]) -> None:
    """Any integer flag with more than 30 digits (a 5,000-digit one too) is one Error line, exit 2."""
    assert_user_error(run("layer", *args), f"at most {MAX_DIGITS} digits")


def test_30_digit_sizes_stay_exact() -> None:
    """The largest sizes accepted (30 digits) give exact integers and finite percentages in JSON."""
    n = "9" * MAX_DIGITS
    data = run_json("layer", "--in", f"{n}x{n}x{n}", "--k", "3", "--out", n)
    assert data["methods"][0]["mults"] == (int(n) - 2) ** 2 * 9 * int(n) ** 2
    result = run("layer", "--in", f"{n}x{n}x{n}", "--k", "3", "--out", n, "--max-mults", "1", "--format", "json")
    assert result.exit_code == 1  # over budget, the one meaning of 1
    assert "Infinity" not in result.stdout
    assert "NaN" not in result.stdout


@pytest.mark.parametrize(
    ("text", "expected"),
    [("600M", 600_000_000), ("1.5G", 1_500_000_000), ("250k", 250_000), ("1000", 1000), ("0.5k", 500), ("7", 7)],
)
def test_budgets_accept_plain_si_forms(text: str, expected: int) -> None:
    """Budgets: a whole number with an optional k/M/G/T, decided exactly."""
    assert parse_si(text, "--max-mults") == (expected, text)


@pytest.mark.parametrize("text", ["1.", ".5k", "0600M", "+5", "-5", "1e9", "1_000", "0x10", "600m", "1.2345k", "", "k", "6 00"])
def test_budgets_refuse_odd_forms(text: str) -> None:
    """Trailing dots, leading zeros, signs, exponents, underscores, hex, milli: refused."""
    with pytest.raises(ConvcostError, match="--max-mults"):
        parse_si(text, "--max-mults")


@given(st.integers(0, 10**MAX_DIGITS - 1))
def test_decimal_text_round_trips(number: int) -> None:
    """Any decimal integer of at most 30 digits parses to itself, from text, YAML plain text and int."""
    assert parse_int(str(number), "n", 0) == number
    assert parse_int(Plain(str(number)), "n", 0) == number
    assert parse_int(number, "n", 0) == number


@given(st.integers(10**MAX_DIGITS, 10**200))
def test_more_than_30_digits_is_refused(number: int) -> None:
    """Any integer of 31 digits or more is refused, as text and as an int, with the limit named."""
    for value in (number, str(number), -number):
        with pytest.raises(ConvcostError, match=f"at most {MAX_DIGITS} digits"):
            parse_int(value, "n")


def test_parsers_decide_on_text() -> None:
    """The parsers read the forms the flags take, from any text: 0x3 padding, 28x28x8, same, [1, 7]."""
    assert parse_padding(Plain("0x3"), "p") == (0, 3)
    assert parse_padding(Plain("same"), "p") == "same"
    assert parse_shape(Plain("28x28x8"), "in") == (28, 28, 8)
    assert parse_pair([Plain("1"), Plain("7")], "k") == (1, 7)
    assert parse_bool(Plain("true"), "b") is True
    assert parse_bool(Plain("False"), "b") is False
    with pytest.raises(ConvcostError, match="expected N or AxB"):
        parse_pair([Plain("3")], "k")
    with pytest.raises(ConvcostError, match="expected HxWxC"):
        parse_shape(list(range(10**6)), "in")  # refused by its length, before any item is read


def test_plain_scalars_stay_text() -> None:
    """The loader keeps plain scalars as their text (a str subclass); quoted ones as str; null forms as None."""
    data = load_yaml("a: 0x3\nb: 064\nc: '064'\nd: ~\ne:\nf: 1:30\ng: .inf\nh: true\n", "t")
    assert data == {"a": "0x3", "b": "064", "c": "064", "d": None, "e": None, "f": "1:30", "g": ".inf", "h": "true"}
    assert type(data["a"]) is Plain
    assert type(data["c"]) is str
    assert data["b"] in ("064", "x")  # compares as the text


def test_shown_is_bounded_and_quotes_text() -> None:
    """Error messages quote at most 60 characters of any value, built without writing the value out."""
    assert shown("abc") == "'abc'"
    assert shown(None) == "nothing (null)"
    assert shown(10**5000).startswith("a whole number of about 5,001 digits")
    nested: list[object] = [1]
    for _ in range(10_000):
        nested = [nested, nested]  # 2**10,000 leaves if written out
    text = shown(nested)
    assert len(text) == 60
    assert text.endswith("...")
    assert len(shown("x" * 10**7)) == 60


# --- the digit limit, in every number parser ---------------------------------------------------

LAYER_FLAGS = ["layer", "--in", "28x28x8", "--k", "3", "--out", "16"]


@pytest.mark.parametrize(
    ("flags", "shown_value"),
    [
        (["--target", "1." + "0" * 29 + "1x"], "1." + "0" * 29 + "1x"),
        (["--target", "9" * 31 + "%"], "9" * 31 + "%"),
        (["--target-params", "99." + "9" * 30 + "%"], "99." + "9" * 30 + "%"),
        (["--rank", "0." + "9" * 31], "0." + "9" * 31),
        (["--rank", "." + "1" * 31], "." + "1" * 31),
        (["--device", "peak=" + "1" * 31 + "T,bw=1T"], "1" * 31 + "T"),
        (["--device", "peak=1T,bw=1." + "1" * 30 + "G"], "1." + "1" * 30 + "G"),
        (["--device", "a100", "--max-time", "9" * 31 + "s"], "9" * 31 + "s"),
        (["--device", "a100", "--max-time", "0." + "0" * 30 + "1ms"], "0." + "0" * 30 + "1ms"),
    ],
)
def test_numbers_over_the_digit_limit_say_so(flags: list[str], shown_value: str) -> None:
    """--target, --rank, a --device rate and --max-time past 30 digits name the limit (not only "expected a time above 0")."""
    result = run(*LAYER_FLAGS, *flags)
    assert_user_error(result, f"got '{shown_value}': at most {MAX_DIGITS} digits are accepted")


@pytest.mark.parametrize(
    "flags",
    [
        ["--target", "1." + "0" * 28 + "1x"],
        ["--rank", "0." + "9" * 29],
        ["--device", "peak=" + "1" * 30 + ",bw=1T"],
        ["--device", "a100", "--max-time", "9" * 30 + "s"],
    ],
)
def test_numbers_at_the_digit_limit_are_read(flags: list[str]) -> None:
    """30 digits are still accepted by the same parsers."""
    result = run(*LAYER_FLAGS, *flags, "--format", "json")
    assert result.exit_code == 0, result.stderr


# --- spatial-separable's mid is bounded like low-rank's rank ----------------------------------------


def test_mid_above_the_full_mid_is_refused_like_a_rank() -> None:
    """--mid 25 on 28x28x8, k 3, out 16 (full mid min(3*8, 3*16) = 24) is refused, as --rank 17 is (full rank 16)."""
    assert_user_error(
        run(*LAYER_FLAGS, "--mid", "25"),
        "mid 25 is above the full mid 24 = min(KH*C, KW*N) = min(3*8, 3*16); expected 1 to 24",
    )
    assert_user_error(run(*LAYER_FLAGS, "--mid", "100000"), "mid 100000 is above the full mid 24")
    assert_user_error(run(*LAYER_FLAGS, "--rank", "17"), "rank 17 is above the full rank 16")
    data = run_json(*LAYER_FLAGS, "--mid", "24", "--method", "spatial-separable")
    assert data["methods"][0]["mid"] == 24
    assert data["methods"][0]["mults"] == 26 * 28 * 3 * 8 * 24 + 26 * 26 * 3 * 24 * 16


def test_a_layer_s_own_mid_above_its_full_mid_is_refused_with_its_place(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """`mid: 25` on a layer whose full mid is 24 is refused at the layer, as `rank: 17` is."""
    path = tmp_yaml("input: 28x28x8\nlayers:\n  - {k: 3, out: 16, mid: 25}\n")
    assert_user_error(run("model", path), ":3:5:", "mid 25 is above the full mid 24")


def test_a_model_wide_mid_is_capped_at_each_layer_s_full_mid(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """`model --mid 100000` uses each layer's full mid (24, then min(3*16, 3*4) = 12), as --rank caps, and says so."""
    path = tmp_yaml("input: 8x8x8\nlayers:\n  - {k: 3, out: 16, padding: 1}\n  - {k: 3, out: 4}\n")
    data = run_json("model", path, "--mid", "100000")
    assert [layer["ranks"]["spatial-separable"] for layer in data["layers"]] == [24, 12]
    assert "  spatial-separable: mid 100000, capped at the layer's full mid" in run("model", path, "--mid", "100000").stdout
    assert [layer["ranks"]["spatial-separable"] for layer in run_json("model", path, "--mid", "5")["layers"]] == [5, 5]


# --- the schema refuses what the parsers refuse --------------------------------------------------

_JSON_INT = re.compile(r"-?(0|[1-9][0-9]*)")
_JSON_FLOAT = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")


def _yaml12_json(value: object) -> object:
    """A file as YAML 1.2's JSON schema resolves it (what editors using YAML 1.2 see, near enough):
    plain `16` an integer, `true`/`false` booleans, `0.25` a float; `0x10`, `064`, `yes`, `1:30` text."""
    if isinstance(value, dict):
        return {key: _yaml12_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_yaml12_json(item) for item in value]
    if type(value) is Plain:
        text = str(value)
        if _JSON_INT.fullmatch(text):
            return int(text)
        if text in ("true", "false"):
            return text == "true"
        if _JSON_FLOAT.fullmatch(text):
            return float(text)
        return text
    return value


def _file(where: str, text: str) -> str:
    """A model file with ``text`` in a layer (replacing its keys), a block, the budget or the input."""
    layer, block, budget, shape = "k: 3, out: 4, padding: 1", "", "", "8x8x3"
    if where == "layer":
        replaced = {pair.split(":")[0] for pair in text.split(", ")}
        kept = [pair for pair in layer.split(", ") if pair.split(":")[0] not in replaced]
        layer = ", ".join([*kept, text])
    elif where == "block":
        block = f"  - {{{text}, layers: [{{k: 1, out: 3}}]}}\n"
    elif where == "budget":
        budget = f"budget: {{{text}}}\n"
    else:
        shape = text
    return f"input: {shape}\n{budget}layers:\n  - {{{layer}}}\n{block}"


SCHEMA_CASES = [
    ("layer", "out: 0x10", False),
    ("layer", "out: 064", False),
    ("layer", "out: '064'", False),
    ("layer", "bias: yes", False),
    ("layer", "bias: 'no'", False),
    ("layer", "k: 1:30", False),
    ("layer", "out: 1_000", False),
    ("layer", "out: 0b101", False),
    ("layer", "out: " + "1" * 31, False),
    ("layer", "padding: 01", False),
    ("layer", "padding: 1x1x1x1x1", False),
    ("layer", "padding: [1, 1, 1, 1, 1]", False),
    ("layer", "stride: '02'", False),
    ("layer", "as: cp, rank: 064", False),
    ("layer", "as: cp, rank: '0.0'", False),
    ("layer", "as: cp, rank: '0." + "1" * 30 + "'", False),
    ("block", "repeat: 0x10", False),
    ("budget", "max-mults: 0600M", False),
    ("budget", "max-mults: 1.2345k", False),
    ("budget", "max-mults: 1.5", False),
    ("budget", "max-mults: " + "1" * 28 + "k0", False),
    ("budget", "max-mults: " + "1" * 31, False),
    ("shape", "028x28x3", False),
    ("layer", "out: 16", True),
    ("layer", "out: '16'", True),
    ("layer", "padding: 0x1", True),
    ("layer", "padding: [0, 1, 1, 0]", True),
    ("layer", "bias: true", True),
    ("layer", "as: cp, rank: 0.25", True),
    ("layer", "as: tucker2, rank: 2x3", True),
    ("layer", "padding: same", True),
    ("layer", "k: 1x3", True),
    ("block", "repeat: 2", True),
    ("budget", "max-mults: 1.5G", True),
    ("budget", "max-mults: 0.5M", True),
    ("budget", "max-mults: 100000.0", True),
    ("budget", "max-mults: " + "9" * 30, True),
    ("shape", "8x8x3", True),
]


@pytest.mark.parametrize(("where", "text", "valid"), SCHEMA_CASES)
def test_schema_accepts_exactly_what_convcost_accepts(tmp_yaml, where: str, text: str, valid: bool) -> None:  # type: ignore[no-untyped-def]
    """`convcost schema` (values read as YAML 1.2's JSON schema reads them) refuses `out: 0x10`, `"064"`,
    `bias: yes`, 31 digits, ... exactly when `convcost model` refuses the file."""
    import json

    import jsonschema

    validator = jsonschema.Draft202012Validator(json.loads(run("schema").stdout))
    source = _file(where, text)
    result = run("model", tmp_yaml(source))
    assert (result.exit_code == 0) is valid, (source, result.stderr)
    errors = list(validator.iter_errors(_yaml12_json(load_yaml(source, "t"))))
    assert (not errors) is valid, (source, errors[:1])


@pytest.mark.parametrize(
    "text",
    ["out: '064'", "out: " + "1" * 31, "stride: '02'", "as: cp, rank: '0.0'", "padding: [1, 1, 1, 1, 1]"],
)
def test_schema_refuses_them_through_a_yaml_1_1_loader_too(text: str) -> None:
    """Values that stay text (or too long) under YAML 1.1 are refused by the schema with PyYAML's safe_load as well."""
    import json

    import jsonschema
    import yaml

    validator = jsonschema.Draft202012Validator(json.loads(run("schema").stdout))
    assert list(validator.iter_errors(yaml.safe_load(_file("layer", text)))), text


@pytest.mark.parametrize(
    ("args", "what"),
    [
        (["layer", "--in", "+28x28x8", "--k", "3", "--out", "16"], "--in"),
        (["layer", "--in", "28x28x8", "--k", "+3", "--out", "16"], "--k"),
        (["layer", "--in", "28x28x8", "--k", "3", "--out", "+16"], "--out"),
        (["layer", "--in", "28x28x8", "--k", "3", "--out", "16", "--groups", "+1"], "--groups"),
        (["layer", "--in", "28x28x8", "--k", "3", "--out", "16", "--batch", "+2"], "--batch"),
    ],
)
def test_a_plus_sign_is_refused_in_every_size(args: list[str], what: str) -> None:
    """One number rule: a leading '+' is refused in sizes as it is in budgets, ranks and device rates."""
    assert_user_error(run(*args), f"{what}: expected ", "'+")


def test_a_plus_sign_is_refused_in_files(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """A file's `out: +16` is refused with its place, like the flag."""
    assert_user_error(
        run("model", tmp_yaml("input: 8x8x3\nlayers:\n  - {k: 3, out: +16}\n")), ":3:", "out: expected a whole number >= 1, got '+16'"
    )


@pytest.mark.parametrize("padding", ["-0", "0x-0", "-0x1", "-00"])
def test_a_signed_zero_is_refused_as_padding(padding: str) -> None:
    """`--padding -0` is no padding convcost takes: refused as written (a sign is no part of a size), never read as 0."""
    assert_user_error(run("layer", "--in", "28x28x8", "--k", "3", "--out", "16", "--padding", padding), "--padding: expected")


@pytest.mark.parametrize(
    "args",
    [
        ("--in", "28x28x8\x1f"),
        ("--k", "3\x1d"),
        ("--out", "16\x1c"),
        ("--out", "\u300016"),
        ("--out", "16\u00a0"),
        ("--out", "16\u2028"),
        ("--out", "16\x85"),
        ("--out", "16\x0b"),
        ("--max-mults", "1k\x1c\r"),
    ],
)
def test_a_number_with_other_whitespace_or_a_control_character_is_refused(args: tuple[str, str]) -> None:
    """Only ASCII spaces and tabs around a value are dropped; a no-break or ideographic space or a control character is refused."""
    flags = {"--in": "28x28x8", "--k": "3", "--out": "16"}
    flags[args[0]] = args[1]
    result = run("layer", *[x for kv in flags.items() for x in kv], *(args if args[0] not in flags else ()))
    assert_user_error(result, args[0])


def test_spaces_and_tabs_around_a_number_are_dropped() -> None:
    """' 16\t' is 16, as before."""
    assert run_json("layer", "--in", " 28x28x8 ", "--k", "\t3", "--out", "16 ")["layer"]["out"] == [26, 26, 16]


def test_a_time_budget_takes_no_space_or_control_character_before_its_unit() -> None:
    """--max-time '1 us' is refused as --max-mults '600 M' is; a control character before the unit too, never echoed raw."""
    base = ("layer", "--in", "56x56x256", "--k", "3", "--out", "256", "--padding", "1", "--method", "standard", "--device", "a100")
    for text in ("1 us", "1\x1e\x0b\x0c\rus"):
        assert_user_error(run(*base, "--max-time", text), "--max-time")
    assert run(*base, "--max-time", "1us", "--format", "csv").exit_code == 1


def test_a_flops_budget_is_twice_the_mults(tmp_yaml: Any) -> None:
    """--max-flops (and a file's max-flops) checks 2 x mults: MobileNetV1's 568,740,352 mults are 1,137,480,704 FLOPs."""
    spec = str(SPECS / "mobilenet_v1.yaml")
    over = run("model", spec, "--max-flops", "1G")
    assert over.exit_code == 1
    assert over.stderr == "flops 1,137,480,704 > 1G by 13.7%\n"
    assert run_json("model", spec, "--max-flops", "1.2G")["budget"] == {
        "flops": {"limit": 1_200_000_000, "value": 1_137_480_704, "ok": True}
    }
    text = "input: 8x8x3\nbudget: {max-flops: 1k}\nlayers:\n  - {k: 3, out: 4}\n"
    assert run("model", tmp_yaml(text)).exit_code == 1  # 2 x 6 x 6 x 4 x 27 = 7,776 FLOPs
    layer = run("layer", "--in", "28x28x8", "--k", "3", "--out", "16", "--method", "standard", "--max-flops", "1557504")
    assert layer.exit_code == 0
