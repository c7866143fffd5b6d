"""The YAML front end: nesting, aliases and merge keys stay bounded in time and memory.

Every limit is checked while libyaml's events stream in, so a file is refused as soon as it
crosses one, and no value is ever expanded (in the model or in an error message).
"""

from __future__ import annotations

import time

import pytest
from conftest import assert_user_error, run, run_json

from convcost.errors import SpecError
from convcost.frontends.yaml import MAX_DEPTH, MAX_MERGED, LocDict, load_yaml


def _quick(seconds: float = 1.0):  # type: ignore[no-untyped-def]
    """A context that fails the test if its body takes longer than ``seconds``."""

    class Timer:
        def __enter__(self) -> Timer:
            self.start = time.perf_counter()
            return self

        def __exit__(self, *exc: object) -> None:
            elapsed = time.perf_counter() - self.start
            assert elapsed < seconds, f"took {elapsed:.2f} s"

    return Timer()


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("[" * 200_000, 201),  # 200 kB of brackets
        ("[" * 1_000_000, 201),  # 1 MB
        ("{a: " * 200_000, 801),
        ("input: " + "[" * 100_000, 207),  # the old RecursionError
        ("- " * 50_000, 401),  # block sequences
    ],
)
def test_deep_nesting_is_refused_at_the_limit(tmp_yaml, text: str, column: int) -> None:  # type: ignore[no-untyped-def]
    """Lists and mappings nested more than 200 deep are refused at the 201st level, in well under a second."""
    path = tmp_yaml(text)
    with _quick():
        assert_user_error(run("model", path), f":1:{column}:", f"nested more than {MAX_DEPTH} levels")


@pytest.mark.parametrize(
    ("command", "text", "column"),
    [
        ("layer", "in: " + "[" * 5_000, 204),  # level 1 the mapping, level 201 the 200th bracket
        ("layer", "k: 3\nout: 8\nin: " + "{a: " * 5_000, 801),
        ("model", "input: 8x8x3\nlayers:\n  - " + "[" * 5_000, 203),  # mapping, list, then 199 brackets
    ],
)
def test_deep_nesting_is_convcosts_error_past_libyamls_own_limit(tmp_yaml, command: str, text: str, column: int) -> None:  # type: ignore[no-untyped-def]
    """Nesting past libyaml's own 1,000-level limit is convcost's error at level 201, in layer and model files alike."""
    path = tmp_yaml(text)
    line = text.count("\n") + 1
    with _quick():
        result = run(command, path)
    assert_user_error(result, f"{path}:{line}:{column}: ", f"nested more than {MAX_DEPTH} levels")
    assert "maximum nesting depth" not in result.stderr


def test_deep_nesting_from_standard_input_is_refused_at_the_limit() -> None:
    """Standard input is held to the same limit, at the same place."""
    with _quick():
        assert_user_error(run("model", "-", input="[" * 200_000), "<stdin>:1:201: ", f"nested more than {MAX_DEPTH} levels")


def test_block_and_flow_nesting_count_together() -> None:
    """Block levels and flow levels add up to one depth: 100 block levels then flow brackets stop at level 201."""
    text = "".join("  " * i + "-\n" for i in range(100)) + "  " * 100 + "[" * 3_000
    with pytest.raises(SpecError) as caught:
        load_yaml(text, "t")
    assert str(caught.value).startswith(f"t:101:{200 + 101}: ")
    assert f"nested more than {MAX_DEPTH} levels" in str(caught.value)


def test_libyamls_refusal_is_located_at_convcosts_level() -> None:
    """Where libyaml stops at its own limit first, the text before its mark is read again to place level 201 (any libyaml)."""
    from types import SimpleNamespace

    from convcost.frontends.yaml import _too_deep

    text = "# é\n" + "[é, " * 1_500
    error = _too_deep(text, "t", SimpleNamespace(line=1, column=4 * 1_000))
    assert str(error) == f"t:2:{4 * 200 + 1}: lists and mappings nested more than {MAX_DEPTH} levels deep (at most {MAX_DEPTH} are read)"


def test_nesting_up_to_the_limit_is_read() -> None:
    """200 levels are read; the 201st is refused."""
    assert load_yaml("[" * MAX_DEPTH + "]" * MAX_DEPTH, "t") is not None
    with pytest.raises(SpecError, match="nested more than 200"):
        load_yaml("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "t")


def _bomb(levels: int = 30, width: int = 9) -> str:
    """A flow list of anchors, each holding ``width`` aliases of the one before: width**levels leaves."""
    items = [f"&b0 [{', '.join(['1'] * width)}]"]
    items += [f"&b{i} [{', '.join([f'*b{i - 1}'] * width)}]" for i in range(1, levels)]
    return "[" + ", ".join(items) + "]"


@pytest.mark.parametrize(
    ("template", "command", "fragments"),
    [
        ("in: {bomb}\nk: 3\nout: 8\n", "layer", [":1:5:", "in: expected HxWxC", "..."]),
        ("in: 8x8x3\nk: {bomb}\nout: 8\n", "layer", [":2:4:", "k: expected N or AxB", "..."]),
        ("input: {bomb}\nlayers: [{{k: 1, out: 3}}]\n", "model", [":1:8:", "input: expected HxWxC", "..."]),
        ("input: 8x8x3\nlayers: [{{type: {bomb}, out: 3}}]\n", "model", [":2:17:", "unknown layer type", "..."]),
        ("input: 8x8x3\nbudget: {{max-mults: {bomb}}}\nlayers: [{{k: 1, out: 3}}]\n", "model", [":2:21:", "max-mults", "..."]),
        ("input: 8x8x3\nname: {bomb}\nlayers: [{{k: 1, out: 3}}]\n", "model", [":2:7:", "name: expected a name"]),
    ],
)
def test_alias_bombs_are_quoted_short(tmp_yaml, template: str, command: str, fragments: list[str]) -> None:  # type: ignore[no-untyped-def]
    """A ~1.9 kB alias bomb (9**30 leaves) in a field whose error quotes it: one short line, at once, never expanded."""
    text = template.format(bomb=_bomb())
    assert len(text) < 2_100
    with _quick():
        result = run(command, tmp_yaml(text))
    assert_user_error(result, *fragments)
    assert len(result.stderr) < 400 + len(str(tmp_yaml("x")))


def test_aliases_are_shared_not_copied() -> None:
    """An alias is the anchored object itself: 9**30 leaves cost the memory of 30 small lists."""
    data = load_yaml("a: " + _bomb(), "t")
    assert data["a"][29][0] is data["a"][28]


def test_merge_keys_share_values_and_keep_rules(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """`<<: *a` copies the keys (own keys win, the first merged map wins) and shares the values; locations point at the anchor."""
    data = load_yaml("a: &a {k: 3, out: [1, 2]}\nb: &b {k: 5, stride: 2}\nc: {<<: [*a, *b], out: 4}\n", "t")
    assert data["c"] == {"out": "4", "k": "3", "stride": "2"}
    assert data["c"]["stride"] is data["b"]["stride"]
    assert isinstance(data["c"], LocDict)
    assert str(data["c"].where("k")) == "t:1:11"
    assert str(data["c"].key_loc("out")) == "t:3:19"
    path = tmp_yaml("input: 8x8x3\nlayers:\n  - &c {k: 3, out: 4, padding: same}\n  - {<<: *c, out: 8}\n")
    assert [row["out"] for row in run_json("model", path)["layers"]] == [[8, 8, 4], [8, 8, 8]]


def test_merge_key_copies_are_capped(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """`<<: *a` of a 20,000-key map 20,000 times, or `<<: [*a, *a, ...]` 50,000 times: refused once 1,000,000 keys are copied."""
    keys = ", ".join(f"k{i}: 1" for i in range(20_000))
    many_maps = tmp_yaml("input: 8x8x3\ndefaults: &a {" + keys + "}\nlayers:\n" + "  - {<<: *a}\n" * 20_000)
    one_list = tmp_yaml("input: 8x8x3\nx: &a {" + keys + "}\nlayers:\n  - {<<: [" + ", ".join(["*a"] * 50_000) + "]}\n", "list.yaml")
    with _quick(4.0):
        assert_user_error(run("model", many_maps), ":", f"copy more than {MAX_MERGED:,} keys")
        assert_user_error(run("model", one_list), ":4:10:", f"copy more than {MAX_MERGED:,} keys")


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("a: {<<: 3}\n", ["1:9", "merge key (<<) takes a mapping"]),
        ("a: &a [1, *a]\n", ["1:11", "contains it"]),
        ("a: *nope\n", ["1:4", "unknown alias *nope"]),
        ("a: 1\n---\nb: 2\n", ["2:1", "single YAML document"]),
        ("? [a]\n: 1\n", ["1:3", "keys must be plain words"]),
        ("a: 1\na: 2\n", ["2:1", "duplicate key 'a'"]),
        ("a: !!python/object:os.system x\n", ["1:4", "'!!python/object:os.system' is not allowed"]),
        ("a: [1\n", ["2:1", "YAML syntax error"]),
    ],
)
def test_yaml_mistakes_name_their_place(text: str, fragments: list[str]) -> None:
    """Each structural mistake is a SpecError with file:line:col."""
    with pytest.raises(SpecError) as caught:
        load_yaml(text, "t")
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_text_over_the_cap_is_refused_before_parsing() -> None:
    """YAML text (from the API too) longer than 8 MiB is refused before libyaml sees it."""
    with pytest.raises(SpecError, match="8 MiB"):
        load_yaml("#" * (8 * 1024 * 1024 + 1), "t")


CONTROL_CHARACTERS = [
    ("in: 28x28\x1bx8\nk: 3\nout: 8\n", ":1:10:"),
    ('in: 28x28x8\nk: 3\nname: "\xe9\xe9\x07"\n', ":3:10:"),
    ("\ufeffin: 28x28\x1bx8\nk: 3\nout: 8\n", ":1:10:"),  # a byte-order mark takes no column
]


@pytest.mark.parametrize(("text", "where"), CONTROL_CHARACTERS)
def test_a_character_yaml_refuses_is_placed_at_its_line_and_column(tmp_yaml, text: str, where: str) -> None:  # type: ignore[no-untyped-def]
    """A control character: file:line:col (in characters, not libyaml's bytes) and the character, not the reader's internals."""
    path = tmp_yaml(text)
    result = run("layer", path)
    assert_user_error(result, path + where, "is not allowed in YAML (control characters are not allowed)")
    assert "<unicode string>" not in result.stderr


def test_bytes_that_are_not_utf8_are_placed_at_their_line_and_column(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Invalid UTF-8: file:line:col of the first bad byte (in characters), and the byte."""
    path = tmp_path / "bad.yaml"
    path.write_bytes("name: é\ninput: 8x8x3\nlayers:\n  - {k: 3, out: 4\xff}\n".encode().replace(b"\xc3\xbf", b"\xff"))
    assert_user_error(run("model", str(path)), f"{path}:4:18: not UTF-8 text (byte 0xff), expected a YAML file")
