"""Command-line polish: Ctrl-C keeps the partial training result, `-o -` everywhere text can go
to stdout (refused by pdf), the same option names across commands, lr/learning_rate aliases."""

import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

import symnn

ROOT = Path(__file__).resolve().parent.parent


def symnn_cli(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "symnn", *map(str, args)], cwd=cwd, capture_output=True, text=True
    )


@contextmanager
def _ctrl_c_live():
    """SIGINT at Python's default while a child starts, as in a terminal's foreground job.

    A test run started in the background (``cmd &`` in a script, ``nohup``) ignores SIGINT, and a
    child inherits an ignored signal (a handler is reset to the default on exec): its Ctrl-C would
    never arrive, and the test would wait out its timeout. Seen once, in a background full run.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGINT")
def test_ctrl_c_during_train_stops_cleanly_with_the_partial_result(tmp_path):
    with _ctrl_c_live():
        process = subprocess.Popen(
            [sys.executable, "-m", "symnn", "train", "xor", "--steps", "100000000", "--progress"],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    assert process.stderr.read(1) == b"\r"  # the bar is drawn: training is under way
    process.send_signal(signal.SIGINT)
    try:
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:  # still training: stop it here, not in the next test
            process.kill()
            process.communicate()
    out, err = out.decode(), err.decode()
    assert process.returncode == 130, err
    assert "Traceback" not in err and "symnn: interrupted after " in err
    assert out.startswith("trained W1, b1, W2, b2 for ") and "final parameters:" in out


def test_train_returns_the_partial_result_on_keyboard_interrupt():
    net = symnn.Network(2, [symnn.Dense(2, "tanh"), symnn.Dense(1, "sigmoid")])
    xor = symnn.load_dataset("xor")
    f = symnn.compile_gradients(net)
    calls = []

    def interrupting(params, X, Y):
        calls.append(1)
        if len(calls) == 12:
            raise KeyboardInterrupt
        return f(params, X, Y)

    result = symnn.train(net, xor.X, xor.targets(), steps=100, gradient=interrupting, record=True)
    assert result.interrupted and "interrupted (of 100)" in repr(result)
    steps = len(result.loss) - 1
    assert steps == 10 and len(result.accuracy) == len(result.trajectory) == steps + 1
    full = symnn.train(net, xor.X, xor.targets(), steps=steps)
    assert np.allclose(full.loss, result.loss)
    for name, value in full.params.items():
        assert np.array_equal(value, result.params[name])


def test_dash_o_dash_is_stdout_and_pdf_refuses_it(tmp_path):
    for args in (
        ("derive", "xor", "--format", "md", "-o", "-"),
        ("check", "xor", "-o", "-"),
        ("train", "xor", "--steps", "2", "--json", "-o", "-"),
        ("export", "xor", "--to", "numpy", "-o", "-"),
        ("calc", "gradient", "x**2", "--format", "tex", "-o", "-"),
        ("perceptron", "--gate", "and", "--format", "md", "-o", "-"),
        ("graph", "-e", "f = x*y", "--at", "x=2,y=3", "--format", "md", "-o", "-"),
    ):
        result = symnn_cli(*args, cwd=tmp_path)
        assert result.returncode == 0 and result.stdout, (args, result.stderr)
        assert not (tmp_path / "-").exists()
    for args in (
        ("derive", "xor", "--format", "pdf", "-o", "-"),
        ("calc", "gradient", "x**2", "--format", "pdf", "-o", "-"),
        ("perceptron", "--gate", "and", "--format", "pdf", "-o", "-"),
        ("graph", "-e", "f = x*y", "--at", "x=2,y=3", "--format", "pdf", "-o", "-"),
    ):
        result = symnn_cli(*args, cwd=tmp_path)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert "cannot write to standard output (-o -)" in result.stderr


def test_a_graph_program_from_standard_input(tmp_path):
    program = (ROOT / "examples" / "micrograd.txt").read_text()
    piped = subprocess.run(
        [sys.executable, "-m", "symnn", "graph", "-", "--json"],
        input=program,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    from_file = symnn_cli("graph", ROOT / "examples" / "micrograd.txt", "--json", cwd=tmp_path)
    assert piped.returncode == 0 and piped.stdout == from_file.stdout, piped.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "symnn", "graph", "-"],
        input=b"\xff",
        cwd=tmp_path,
        capture_output=True,
    )
    assert bad.returncode == 2 and bad.stderr.decode().endswith("<stdin>: not UTF-8 text\n")


def test_article_and_document_mean_the_same_everywhere(tmp_path):
    tex_doc = symnn_cli("derive", "xor", "--format", "tex", "--document", cwd=tmp_path)
    article = symnn_cli("derive", "xor", "--format", "article", cwd=tmp_path)
    assert tex_doc.returncode == 0 and tex_doc.stdout == article.stdout
    assert "\\documentclass" in article.stdout
    for args in (("calc", "hessian", "x**3 + x*y**2"), ("perceptron", "--gate", "or")):
        doc = symnn_cli(*args, "--format", "tex", "--document", cwd=tmp_path)
        art = symnn_cli(*args, "--format", "article", cwd=tmp_path)
        assert art.returncode == 0 and art.stdout == doc.stdout and "\\documentclass" in art.stdout
    bad = symnn_cli("derive", "xor", "--format", "md", "--document", cwd=tmp_path)
    assert bad.returncode == 2 and "--document: expected together with --format tex" in bad.stderr


def test_lr_and_learning_rate_are_aliases():
    net = symnn.Network(2, [symnn.Dense(1, "sigmoid")])
    X, Y = [[0, 0], [1, 1]], [[0], [1]]
    a = symnn.train(net, X, Y, steps=5, lr=0.7)
    b = symnn.train(net, X, Y, steps=5, learning_rate=0.7)
    assert a.lr == b.lr == 0.7 and a.loss == b.loss
    with pytest.raises(symnn.SymnnError, match="lr and learning_rate: two values"):
        symnn.train(net, X, Y, steps=5, lr=0.7, learning_rate=0.2)
    with pytest.raises(symnn.SymnnError, match="unknown training setting 'stpes'"):
        symnn.train(net, X, Y, stpes=5)
    run = symnn.gradient_descent("x**2", "1", lr="0.25", steps=2, exact=True)
    same = symnn.gradient_descent("x**2", "1", "0.25", 2, exact=True)
    assert run.iterates[-1].point == same.iterates[-1].point
    assert run.iterates[-1].point[0] == symnn.parse_point("1/4")[0]
    assert symnn.train_perceptron(*symnn.gate("and"), lr=2).learning_rate == 2
