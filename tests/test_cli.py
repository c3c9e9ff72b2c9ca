"""The command line end to end, in a subprocess as a user runs it."""

import subprocess
import sys
from pathlib import Path

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
    assert "∂L/∂w_1_1_1 = delta_1_1*x_1" in result.stdout


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
