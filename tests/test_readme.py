"""The README's examples are the code's output: Python blocks run as doctests, and every
``console`` block's commands are run and their output compared."""

import doctest
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CONSOLE = re.compile(r"```console\n(.*?)```", re.S)


def test_readme_python_examples():
    result = doctest.testfile(str(README), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def console_sessions():
    for block in CONSOLE.findall(README.read_text()):
        command, _, output = block.partition("\n")
        assert command.startswith("$ symnn "), command
        yield command[2:], output


@pytest.mark.parametrize(("command", "output"), list(console_sessions()))
def test_readme_console_output(command, output):
    args = shlex.split(command)[1:]
    result = subprocess.run(
        [sys.executable, "-m", "symnn", *args], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == output


def test_readme_has_the_two_commands():
    text = README.read_text()
    assert "python3 -m pip install -e '.[test]' && symnn derive examples/two_two_two.toml" in text
    command = "python3 -m pytest -n auto --dist worksteal"
    assert f"```sh\n{command}\n```" in text
    ci = (ROOT / ".ci" / "run").read_text()
    assert f"\n{command}\n" in ci
