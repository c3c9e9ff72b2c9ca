"""The command line end to end, in a subprocess as a user runs it."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "two_two_two.toml"


def symnn(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-m", "symnn", *map(str, args)], cwd=cwd, capture_output=True, text=True
    )


def test_help_on_every_subcommand():
    top = symnn("--help")
    assert top.returncode == 0
    for command in ("derive", "check"):
        assert command in top.stdout
        assert symnn(command, "--help").returncode == 0


def test_derive_one_weight():
    result = symnn("derive", EXAMPLE, "--wrt", "W1[1,1]")
    assert result.returncode == 0, result.stderr
    assert "∂L/∂w_1_1_1 = δ_1_1*x_1" in result.stdout


def test_derive_to_a_file(tmp_path):
    out = tmp_path / "d.txt"
    assert symnn("derive", EXAMPLE, "-o", out).returncode == 0
    assert "Results" in out.read_text()


def test_check_passes_with_exit_zero():
    result = symnn("check", EXAMPLE)
    assert result.returncode == 0 and "PASS" in result.stdout


def test_bad_input_exits_2_without_traceback(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('inputs = 2\n[[layers]]\nunits = 0\nactivation = "sigmoid"\n')
    for result in (
        symnn("derive", bad),
        symnn("derive", tmp_path / "missing.toml"),
        symnn("derive", EXAMPLE, "--wrt", "W9"),
    ):
        assert result.returncode == 2
        assert "Traceback" not in result.stderr
        assert result.stderr.startswith("symnn: error: ")
        assert len(result.stderr.strip().splitlines()) == 1


HOSTILE_SPECS = {
    "not TOML": "inputs = 2\n[[layers]\nunits = 1",
    "missing key": "[[layers]]\nunits = 1",
    "unknown key": "inputs = 2\nimport = 'os'\n[[layers]]\nunits = 1",
    "wrong type": "inputs = 'two'\n[[layers]]\nunits = 1",
    "zero width": "inputs = 2\n[[layers]]\nunits = 0",
    "negative width": "inputs = 2\n[[layers]]\nunits = -3",
    "huge width": "inputs = 2\n[[layers]]\nunits = 10000000000",
    "fractional width": "inputs = 2\n[[layers]]\nunits = 1.5",
    "weights shape": "inputs = 2\n[[layers]]\nunits = 1\nweights = [[1.0]]",
    "weights nan": "inputs = 2\n[[layers]]\nunits = 1\nweights = [[1.0, nan]]",
    "weights inf": "inputs = 2\n[[layers]]\nunits = 1\nweights = [[1.0, inf]]",
    "data width": "inputs = 2\n[[layers]]\nunits = 1\n[data]\nx = [[1, 2, 3]]\ny = [[1]]",
    "unknown activation": "inputs = 2\n[[layers]]\nunits = 1\nactivation = \"__import__('os')\"",
    "unknown loss": "inputs = 2\nloss = 'os.system'\n[[layers]]\nunits = 1",
    "binary junk": "\x00\x01\x02inputs",
}


@pytest.mark.parametrize("case", sorted(HOSTILE_SPECS))
def test_hostile_specs_exit_2_with_one_line(tmp_path, case):
    spec = tmp_path / "spec.toml"
    spec.write_text(HOSTILE_SPECS[case])
    for command in ("derive", "check"):
        result = symnn(command, spec)
        assert result.returncode == 2, (case, result.stdout, result.stderr)
        assert result.stderr.startswith(f"symnn: error: {spec}: ")
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_unwritable_outputs_and_broken_templates_are_one_line_errors(tmp_path):
    folder = tmp_path / "a-folder"
    folder.mkdir()
    broken = tmp_path / "templates"
    broken.mkdir()
    (broken / "derivation.md.j2").write_text("((* if *))\n")
    cases = [
        (("derive", EXAMPLE, "-o", folder), "is a folder; expected a file name"),
        (("derive", EXAMPLE, "-o", "/proc/no-such-folder/x.txt"), "No such file or directory"),
        (("derive", EXAMPLE, "--format", "md", "--template-dir", broken), "line 1: Expected"),
    ]
    for args, message in cases:
        result = symnn(*args)
        assert result.returncode == 2, result.stderr
        assert message in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
