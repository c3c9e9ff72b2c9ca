"""Templates from --template-dir are untrusted: they render in Jinja's sandbox, with bounded output.

A template shared by a colleague or a course website must not reach Python objects, files or the
shell. Each probe below is a known way out of a plain Jinja environment; each must end in a clear
error (exit 2 from the command line), never in output from Python's internals. The project's own
templates still render byte-identically (the gallery check).
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from symnn.core.errors import SymnnError
from symnn.output import sandbox
from symnn.output.render import render
from tests.cli_harness import run_cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "examples" / "two_two_two.toml")

ESCAPES = [
    "((( ''.__class__.__mro__ )))",
    "((( ''.__class__.__mro__[1].__subclasses__() )))",
    "((( ().__class__.__base__.__subclasses__() )))",
    "((( lipsum.__globals__['os'].popen('id').read() )))",
    "((( cycler.__init__.__globals__.os.popen('id').read() )))",
    "((( joiner.__init__.__globals__ )))",
    "((( namespace.__init__.__globals__ )))",
    "((( self.__init__.__globals__ )))",
    "((( self._TemplateReference__context )))",
    "((( range.__self__.__import__('os') )))",
    "((( 'x'.format.__globals__ )))",
    "((( '{0.__class__}'.format('') )))",
    "((( lipsum.__code__.co_consts )))",
]


@pytest.mark.parametrize("probe", ESCAPES)
def test_a_template_cannot_reach_python_objects_or_the_shell(tmp_path, probe):
    (tmp_path / "probe.j2").write_text(probe)
    with pytest.raises(SymnnError, match=r"template 'probe.j2': .*(unsafe|undefined|no attribut)"):
        render("probe.j2", {}, tmp_path)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("((( 'x' * 10**9 )))", "a repeated value of 1,000,000,000 items"),
        ("((( 2 ** 100000000 )))", "a power with exponent 100000000"),
        ("((( range(10**9) | list | length )))", "Range too big"),
        ("((( 1 / 0 )))", "ZeroDivisionError"),
        ("((* macro m() *))((( m() )))((* endmacro *))((( m() )))", "RecursionError"),
        (
            "((* for i in range(100000) *))((* for j in range(100000) *))0123456789"
            "((* endfor *))((* endfor *))",
            "output over 16,000,000 characters",
        ),
    ],
)
def test_template_output_and_values_are_bounded(tmp_path, body, message):
    (tmp_path / "big.j2").write_text(body)
    with pytest.raises(SymnnError, match=message):
        render("big.j2", {}, tmp_path)


def test_the_bound_on_output_is_stated(monkeypatch, tmp_path):
    monkeypatch.setattr(sandbox, "MAX_OUTPUT", 10)
    (tmp_path / "t.j2").write_text("((* for i in range(3) *))abcd((* endfor *))")
    with pytest.raises(SymnnError, match="output over 10 characters"):
        render("t.j2", {}, tmp_path)


def test_a_template_that_loops_without_writing_is_stopped_in_time(monkeypatch, tmp_path):
    monkeypatch.setattr(sandbox, "MAX_SECONDS", 0.5)
    (tmp_path / "spin.j2").write_text(
        "((* for i in range(100000) *))((* for j in range(100000) *))((* endfor *))((* endfor *))"
    )
    started = time.monotonic()
    with pytest.raises(SymnnError, match=r"template 'spin.j2': still rendering after 0.5 s"):
        render("spin.j2", {}, tmp_path)
    assert time.monotonic() - started < 10
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # no timer left behind


def test_an_outer_timer_survives_a_render(tmp_path):
    (tmp_path / "ok.j2").write_text("done")
    previous = signal.signal(signal.SIGALRM, lambda *_: None)
    signal.setitimer(signal.ITIMER_REAL, 1000)
    try:
        assert render("ok.j2", {}, tmp_path) == "done"
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 900 < left <= 1000
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_ordinary_template_features_still_work(tmp_path):
    (tmp_path / "ok.j2").write_text(
        "((* set n = namespace(total=0) *))((* for x in values *))((* set n.total = n.total + x *))"
        "((* endfor *))((( n.total ))) ((( '-' * 3 ))) ((( 2 ** 10 ))) ((( values | join(',') )))"
        " ((( '%s=%d' | format('a', 1) ))) ((( 'ab'.upper() ))) ((( {'k': 1}.items() | list )))"
    )
    assert render("ok.j2", {"values": [1, 2, 3]}, tmp_path) == (
        "6 --- 1024 1,2,3 a=1 AB [('k', 1)]"
    )


def test_a_hostile_user_template_is_a_clean_error_on_the_command_line(tmp_path):
    (tmp_path / "derivation.md.j2").write_text(ESCAPES[3])
    out = tmp_path / "notes.md"
    outcome = run_cli(["derive", EXAMPLE, "--format", "md", "--template-dir", str(tmp_path)] + [
        "-o", str(out)
    ])  # fmt: skip
    assert not outcome.problems(), outcome.describe()
    assert outcome.clean_error and "unsafe" in outcome.stderr
    assert "uid=" not in outcome.stdout + outcome.stderr and not out.exists()
