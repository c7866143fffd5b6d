"""Devices: the built-in table, a user's table, custom peak=/bw= devices, and `convcost devices`."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from conftest import assert_user_error, run, run_json

from convcost.analysis.devices import (
    builtin_devices,
    custom_device,
    decimal_text,
    find_device,
    parse_duration,
    parse_rate,
    rate_text,
)
from convcost.errors import ConvcostError

T, G = 10**12, 10**9


def test_builtin_figures_are_the_datasheets() -> None:
    """The issue's figures, exactly, in decimal units (1 GB/s = 10^9 B/s)."""
    table = builtin_devices()
    a100, h100, rtx = table["a100"], table["h100-sxm"], table["rtx4090"]
    assert (a100.peak("fp16"), a100.peaks["tf32"], a100.peak("fp32"), a100.bandwidth) == (312 * T, 156 * T, Fraction(195, 10) * T, 2039 * G)
    assert a100.memory == 80 * G
    assert (h100.peak("fp16"), h100.peak("fp32"), h100.bandwidth) == (Fraction(9894, 10) * T, Fraction(669, 10) * T, 3350 * G)
    assert (rtx.peak("fp16"), rtx.peak("fp32"), rtx.bandwidth) == (Fraction(1652, 10) * T, Fraction(826, 10) * T, 1008 * G)


def test_every_builtin_device_has_a_source_and_the_required_ones_exist() -> None:
    """a100, h100-sxm, rtx4090, jetson-orin-nano, rpi5, apple-m2; each with fp32 and fp16 peaks and an https source."""
    table = builtin_devices()
    assert {"a100", "h100-sxm", "rtx4090", "jetson-orin-nano", "rpi5", "apple-m2"} <= set(table)
    for device in table.values():
        assert device.source.startswith("https://"), device.key
        assert device.peak("fp32") > 0
        assert device.peak("fp16") >= device.peak("fp32")
        assert device.bandwidth > 0


def test_rpi5_figures_follow_from_the_clock_and_the_bus() -> None:
    """Raspberry Pi 5: 4 cores x 2.4 GHz x 16 FP32 FLOP per cycle; 4267 MT/s x 4 bytes."""
    rpi5 = builtin_devices()["rpi5"]
    assert rpi5.peak("fp32") == 4 * Fraction(24, 10) * G * 16
    assert rpi5.bandwidth == 4267 * 10**6 * 4


@pytest.mark.parametrize(
    ("text", "value"),
    [("19.5T", Fraction(195, 10) * T), ("1555G", 1555 * G), ("2039e9", 2039 * G), ("100", Fraction(100)), ("0.5", Fraction(1, 2)),
     (" 1.5k ", Fraction(1500))],
)  # fmt: skip
def test_rates_are_exact_decimals(text: str, value: Fraction) -> None:
    """Figures are exact decimals with an SI suffix, never rounded through a float."""
    assert parse_rate(text, "x", "FLOP/s") == value


@pytest.mark.parametrize("text", ["", "T", "-1T", "0", "1.5X", "nan", "inf", "1e999", "1" * 61, "1,5T"])
def test_bad_rates_are_refused(text: str) -> None:
    """Anything but a positive decimal figure is one error naming the value."""
    with pytest.raises(ConvcostError):
        parse_rate(text, "peak", "FLOP/s")


def test_custom_device_uses_one_peak_for_every_dtype() -> None:
    """--device peak=19.5T,bw=1555G: the peak applies whatever the dtype."""
    device = custom_device("peak=19.5T,bw=1555G")
    assert device.peak("fp32") == device.peak("int8") == Fraction(195, 10) * T
    assert device.bandwidth == 1555 * G


def test_durations_are_exact() -> None:
    """--max-time: 2ms, 150us, 1.5s, 800ns as exact seconds."""
    assert parse_duration("2ms", "t") == (Fraction(2, 1000), "2ms")
    assert parse_duration("150us", "t")[0] == Fraction(150, 10**6)
    assert parse_duration("1.5s", "t")[0] == Fraction(3, 2)
    assert parse_duration("800ns", "t")[0] == Fraction(8, 10**7)
    for bad in ("2", "0ms", "2 hours", "-1s", "ms", "1e3s"):
        with pytest.raises(ConvcostError, match="expected a time above 0 with a unit"):
            parse_duration(bad, "--max-time")


def test_display_text_is_exact_when_it_can_be() -> None:
    """19.5T, 17.068 GB/s, 1,978.9T; four significant digits only where a decimal would not end."""
    assert rate_text(Fraction(195, 10) * T) == "19.5T"
    assert rate_text(Fraction(17068, 1000) * G, "B/s") == "17.068 GB/s"
    assert rate_text(Fraction(19789, 10) * T) == "1,978.9T"
    assert decimal_text(Fraction(1, 3)) == "0.3333"
    assert decimal_text(Fraction(2000, 3)) == "666.7"


# --- user tables ---------------------------------------------------------------------


def test_user_table_adds_devices_and_wins_on_a_clash(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """--devices FILE.yaml: its devices are found by name, and replace a built-in of the same name."""
    path = tmp_yaml("mine:\n  peak: {fp16: 100T}\n  bandwidth: 1T\na100:\n  peak: 1T\n  bandwidth: 1G\n")
    assert find_device("mine", path).peak("fp16") == 100 * T
    assert find_device("a100", path).peak("fp16") == T
    assert find_device("rpi5", path).key == "rpi5"


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("mine:\n  peak: {fp16: 1T}\n  bandwith: 1G\n", ["3:3: unknown key 'bandwith'; did you mean 'bandwidth'?"]),
        ("mine:\n  peak: {fp64: 1T}\n  bandwidth: 1G\n", ["2:10: unknown dtype 'fp64'"]),
        ("mine:\n  peak: {fp16: fast}\n  bandwidth: 1G\n", ["2:16: expected a figure in FLOP/s", "'fast'"]),
        ("mine:\n  peak: 1T\n", ["device 'mine' has no 'bandwidth'"]),
        ("mine: 3\n", ["expected a mapping with peak and bandwidth, got '3'"]),
        ("- a\n- b\n", ["expected a mapping of device names"]),
        ("", ["the file is empty"]),
        ("bad name!:\n  peak: 1T\n  bandwidth: 1G\n", ["a device name is letters, digits"]),
        ("mine:\n  peak: 1T\n  bandwidth: 1G\n  source: [1, 2]\n", ["4:11: expected text"]),
    ],
)
def test_bad_user_tables_are_one_error_line(tmp_yaml, text: str, fragments: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Every mistake in a user's table: one Error line with file:line:col, exit 2."""
    path = tmp_yaml(text, "devices.yaml")
    assert_user_error(run("devices", "--devices", path), *fragments)


def test_too_many_devices_are_refused(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """A table is bounded: more than 1,000 devices is an error, quickly."""
    text = "".join(f"d{i}: {{peak: 1T, bandwidth: 1G}}\n" for i in range(1001))
    assert_user_error(run("devices", "--devices", tmp_yaml(text)), "1,001 devices; at most 1,000")


# --- convcost devices ----------------------------------------------------------------


def test_devices_lists_every_device_with_its_source() -> None:
    """`convcost devices`: a row per device, then each device's name and source."""
    result = run("devices")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["device", "fp32", "tf32", "fp16", "bf16", "int8", "bandwidth", "memory"]
    assert lines[1].split() == ["a100", "19.5T", "156T", "312T", "312T", "624T", "2.039", "TB/s", "80", "GB"]
    for device in builtin_devices().values():
        assert f"{device.key}: {device.name}" in lines
        assert f"  {device.source}" in lines


def test_devices_json_is_exact() -> None:
    """--format json: figures as exact integers in FLOP/s and bytes/s."""
    data = json.loads(run("devices", "--format", "json").stdout)
    a100 = next(d for d in data["devices"] if d["key"] == "a100")
    assert a100["peak_flops"]["fp32"] == 19_500_000_000_000
    assert a100["bandwidth_bytes_per_s"] == 2_039_000_000_000


def test_devices_markdown_links_sources() -> None:
    """--format markdown: a GitHub table, one linked source per device."""
    text = run("devices", "--format", "markdown").stdout
    assert "| `a100` | 19.5T | 156T | 312T | 312T | 624T | 2.039 TB/s | 80 GB | [NVIDIA A100 80GB SXM](https://" in text


# --- names and sources from a user's table ---------------------------------------------

HOSTILE = 'g: {peak: 1T, bandwidth: 1G, source: "javascript:alert(1)", name: "\\e[31mred<b>"}\n'


def test_devices_text_escapes_names_and_sources(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """`convcost devices` shows a table's name, source and note with controls escaped (no raw ESC reaches a terminal)."""
    path = tmp_yaml(HOSTILE.replace("}", ', note: "a\\u202eb"}'))
    lines = run("devices", "--devices", path).stdout.splitlines()
    assert lines[-3:] == ["g: \\x1b[31mred<b>", "  javascript:alert(1)", "  a\\u202eb"]


def test_devices_markdown_escapes_names_and_links_only_web_addresses(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """--format markdown: the name is escaped (no HTML, no link of its own); a javascript: source is text, not a link."""
    text = run("devices", "--devices", tmp_yaml(HOSTILE), "--format", "markdown").stdout
    row = next(line for line in text.splitlines() if line.startswith("| `g` |"))
    assert row.endswith("| \\\\x1b\\[31mred\\<b> (javascript:alert(1)) |")
    assert "](" not in row
    assert "\x1b" not in text


@pytest.mark.parametrize(
    ("name", "source", "expected"),
    [
        ("GPU", "https://example.com/a.pdf", "[GPU](https://example.com/a.pdf)"),
        ("GPU", "HTTP://example.com/x", "[GPU](HTTP://example.com/x)"),
        ("GPU", "", "GPU"),
        ("GPU", "javascript:alert(1)", "GPU (javascript:alert(1))"),
        ("GPU", "data:text/html,<b>x", "GPU (data:text/html,\\<b>x)"),
        ("GPU", " https://example.com", "GPU ( https://example.com)"),
        ("GPU", "https://e.com/a b", "GPU (https://e.com/a b)"),
        ("x](javascript:alert(1)) [y", "https://e.com", "[x\\]\\(javascript:alert(1)) \\[y](https://e.com)"),
        ("GPU", "https://e.com/a)|<x>[1]\\\x1b", "[GPU](https://e.com/a%29%7C%3Cx%3E%5B1%5D%5C%1B)"),
    ],
)
def test_source_markdown_links_only_http_addresses(name: str, source: str, expected: str) -> None:
    """A source becomes a link only when it is an http(s) address, percent-encoded so it cannot end the link or the cell."""
    from convcost.cli.devices import source_markdown

    assert source_markdown(name, source) == expected


def test_leading_zeros_in_device_figures_are_refused_like_every_number(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`peak: 010` in a --devices file and `--device peak=010` are refused, as `--batch 010` is (no reading as 10)."""
    table = tmp_path / "devices.yaml"
    table.write_text("mine:\n  peak: 010\n  bandwidth: 1G\n", encoding="utf-8")
    layer = ["layer", "--in", "8x8x3", "--k", "3", "--out", "4"]
    zero = "has a leading zero, which is ambiguous (YAML 1.1 reads it as octal); write the number without it"
    assert_user_error(run(*layer, "--devices", str(table), "--device", "mine"), f"devices.yaml:2:9: '010' {zero}")
    result = run(*layer, "--device", "peak=010,bw=1G")
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"Error: --device peak: '010' {zero}\n")
    for flags in (["--device", "peak=1T,bw=00.5G"], ["--device", "a100", "--max-time", "010ms"], ["--target", "04x"], ["--rank", "00.25"]):
        assert_user_error(run(*layer, *flags), zero)
    assert run(*layer, "--device", "peak=0.5T,bw=1G", "--max-time", "0.5ms", "--rank", "0.25").exit_code == 0


def test_max_time_takes_the_greek_mu_as_the_micro_sign() -> None:
    """--max-time 1.5μs (Greek mu U+03BC) is 1.5µs (micro sign U+00B5) and 1.5us."""
    layer = ["layer", "--in", "8x8x3", "--k", "3", "--out", "4", "--device", "a100", "--format", "json"]
    budget = run_json(*layer, "--max-time", "1.5us")["budget"]
    assert run_json(*layer, "--max-time", "1.5\u03bcs")["budget"] == run_json(*layer, "--max-time", "1.5\u00b5s")["budget"] == budget


# --- issue 21: names a newcomer types, tf32, the caption, csv ---------------------------------


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("h100", "h100-sxm"),  # a prefix of one name (difflib alone said 'a100')
        ("H100", "h100-sxm"),
        ("h100-pcie", "h100-sxm"),  # the same family, another variant
        ("jetson", "jetson-orin-nano"),
        ("A100", "a100"),
        ("rtx-4090", "rtx4090"),
        ("rpi", "rpi5"),
    ],
)
def test_an_unknown_device_suggests_the_one_meant(typed: str, meant: str) -> None:
    """--device suggests the device a prefix, a family or a spelling points to, in one Error line, exit 2."""
    result = run("layer", "--in", "8x8x3", "--k", "3", "--out", "4", "--device", typed)
    assert_user_error(result, f"--device: unknown device {typed!r}; did you mean {meant!r}?")


def test_a_device_far_from_every_name_gets_no_guess() -> None:
    """A name like no device's is refused with the list of names and no did-you-mean."""
    result = run("layer", "--in", "8x8x3", "--k", "3", "--out", "4", "--device", "quantum-toaster")
    assert_user_error(result, "unknown device 'quantum-toaster' (known: a100, h100-sxm")
    assert "did you mean" not in result.stderr


def test_dtype_tf32_runs_fp32_tensors_at_the_tf32_peak() -> None:
    """--dtype tf32: bytes as fp32 (4 per element), the device's tf32 peak, and a caption that says both."""
    args = ("layer", "--in", "56x56x256", "--k", "3", "--out", "256", "--padding", "1", "--method", "standard", "--device", "a100")
    tf32, fp32 = run_json(*args, "--dtype", "tf32", "--format", "json"), run_json(*args, "--format", "json")
    assert tf32["roofline"] == {"dtype": "tf32", "weight_dtype": "fp32", "batch": 1}
    assert tf32["device"]["peak_flops"] == 156 * T
    mults = 56 * 56 * 3 * 3 * 256 * 256
    elements = 56 * 56 * 256 * 2 + 3 * 3 * 256 * 256
    assert tf32["methods"][0]["bytes"] == fp32["methods"][0]["bytes"] == 4 * elements
    # compute-bound at tf32: FLOPs / peak; the exact fraction's nearest float
    assert tf32["methods"][0]["time_s"] == float(Fraction(2 * mults, 156 * T))
    out = run(*args, "--dtype", "tf32").stdout
    assert "Roofline: tf32 (stored as fp32), batch 1, on a100 (NVIDIA A100 80GB SXM): peak 156 TFLOP/s," in out


def test_tf32_on_a_device_without_it_and_as_a_weight_dtype_are_refused() -> None:
    """A device that lists no tf32 peak says which it lists; --weight-dtype tf32 is told tf32 is --dtype's."""
    base = ("layer", "--in", "8x8x3", "--k", "3", "--out", "4", "--device")
    assert_user_error(run(*base, "rtx4090", "--dtype", "tf32"), "the device 'rtx4090' lists no tf32 peak (it lists fp32, fp16, bf16, int8)")
    assert_user_error(
        run(*base, "a100", "--weight-dtype", "tf32"),
        "--weight-dtype: expected one of fp32, fp16, bf16, int8, got 'tf32'",
        "stored as fp32: give it to --dtype",
    )


def test_dtype_tf32_with_fp16_weights_says_so() -> None:
    """--dtype tf32 --weight-dtype fp16: weights at 2 bytes, activations at 4, and the caption names both."""
    args = ("layer", "--in", "8x8x3", "--k", "3", "--out", "4", "--method", "standard", "--device", "a100", "--dtype", "tf32")
    data = run_json(*args, "--weight-dtype", "fp16", "--format", "json")
    assert data["methods"][0]["bytes"] == 4 * (8 * 8 * 3 + 6 * 6 * 4) + 2 * (3 * 3 * 3 * 4)
    assert "Roofline: tf32 (stored as fp32; weights fp16), batch 1, on a100" in run(*args, "--weight-dtype", "fp16").stdout


def test_the_devices_table_explains_its_tf32_column() -> None:
    """`convcost devices` says what the tf32 column is and that --dtype tf32 uses it."""
    out = run("devices").stdout
    assert "tf32: fp32 tensors (4 bytes) multiplied on TF32 tensor cores; --dtype tf32 uses that peak." in out


def test_a_custom_device_is_captioned_once() -> None:
    """--device peak=...,bw=...: the caption names the custom device once, not 'custom (custom (...))'."""
    out = run("layer", "--in", "8x8x3", "--k", "3", "--out", "4", "--device", "peak=1T,bw=1G").stdout
    assert "Roofline: fp32, batch 1, on custom (peak=1T,bw=1G): peak 1 TFLOP/s, bandwidth 1 GB/s, ridge 1,000.0 FLOP/B." in out
    assert "custom (custom" not in out


def test_a_device_without_a_display_name_is_captioned_by_its_key(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """A user's device with no name: is shown as its key alone, not 'my-gpu (my-gpu)'."""
    table = tmp_yaml("my-gpu: {peak: 2T, bandwidth: 1T}\n")
    out = run("layer", "--in", "8x8x3", "--k", "3", "--out", "4", "--devices", table, "--device", "my-gpu").stdout
    assert "batch 1, on my-gpu: peak 2 TFLOP/s" in out


def test_devices_csv_is_exact() -> None:
    """`convcost devices --format csv`: one row per device, exact figures in FLOP/s and bytes, empty where none is listed."""
    result = run("devices", "--format", "csv")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "device,fp32,tf32,fp16,bf16,int8,bandwidth_bytes_per_s,memory_bytes,name,source"
    a100 = lines[1].split(",")
    peaks = [195 * T // 10, 156 * T, 312 * T, 312 * T, 624 * T]
    assert a100[:9] == ["a100", *map(str, peaks), str(2039 * G), str(80 * G), "NVIDIA A100 80GB SXM"]
    rtx = next(line for line in lines if line.startswith("rtx4090,")).split(",")
    assert rtx[2] == ""  # no tf32 peak listed
    assert len(lines) == 1 + len(builtin_devices())


def test_devices_csv_keeps_a_fractional_figure_exact(tmp_yaml) -> None:  # type: ignore[no-untyped-def]
    """A figure with decimals is written as its exact decimal, never through a float."""
    table = tmp_yaml("slow: {peak: 19.123456789123456789, bandwidth: 1.5}\n")
    lines = run("devices", "--devices", table, "--format", "csv").stdout.splitlines()
    assert lines[-1].split(",")[1:2] == ["19.123456789123456789"]
    assert lines[-1].split(",")[-4] == "1.5"


def test_a_rate_takes_its_unit_right_after_the_number() -> None:
    """'1 T' is refused as '600 M' and '2 ms' are: one rule for every number with a unit."""
    assert_user_error(
        run("layer", "--in", "28x28x8", "--k", "3", "--out", "16", "--device", "peak=1 T,bw=1 T"), "--device peak", "got '1 T'"
    )
