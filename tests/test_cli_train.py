"""``symnn train`` end to end, in a subprocess as a user runs it."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from symnn.training.datasets import GENERATED

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "two_two_two.toml"

XOR = """name = "XOR"
inputs = 2
loss = "squared_error"
[[layers]]
units = 3
activation = "sigmoid"
[[layers]]
units = 1
activation = "sigmoid"
[train]
steps = 3000
lr = 2.0
init = "xavier"
"""


def symnn(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-m", "symnn", *map(str, args)], cwd=cwd, capture_output=True, text=True
    )


@pytest.fixture
def xor_spec(tmp_path):
    path = tmp_path / "xor.toml"
    path.write_text(XOR)
    return path


def test_help_lists_train():
    assert "train" in symnn("--help").stdout
    result = symnn("train", "--help")
    assert result.returncode == 0 and "--worked-step" in result.stdout


def test_json_is_one_object_with_loss_and_params():
    result = symnn("train", EXAMPLE, "--steps", "1", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert sorted(out) == ["loss", "params"]
    assert out["loss"][0] == pytest.approx(0.298371108760003, abs=1e-12)
    assert len(out["loss"]) == 2 and out["loss"][1] < out["loss"][0]
    assert np.allclose(out["params"]["W1"], [[0.149780716, 0.19956143], [0.24975114, 0.29950229]])
    assert out["params"]["b2"] == [0.6, 0.6]
    assert result.stderr == ""  # no progress bar when stderr is not a terminal


def test_xor_from_the_command_line(xor_spec):
    result = symnn("train", xor_spec, "--data", "xor", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert len(out["loss"]) == 3001 and out["loss"][-1] < 0.01 and out["accuracy"][-1] == 1.0


@pytest.mark.parametrize("name", ["and", "or", "nand", "moons", "circles", "spirals", "blobs"])
def test_every_bundled_dataset_trains(tmp_path, name):
    outputs = 3 if name in ("spirals", "blobs") else 1
    spec = tmp_path / "net.toml"
    spec.write_text(
        f'inputs = 2\nloss = "softmax_cross_entropy"\n[[layers]]\nunits = 6\nactivation = "tanh"\n'
        f"[[layers]]\nunits = {outputs}\n"
        if outputs > 1
        else 'inputs = 2\nloss = "binary_cross_entropy"\n[[layers]]\nunits = 6\n'
        'activation = "tanh"\n[[layers]]\nunits = 1\nactivation = "sigmoid"\n'
    )
    generated = ["--samples", "60", "--seed", "1", "--optimizer", "sgd", "--batch", "8"]
    options = generated if name in GENERATED else []
    result = symnn(
        "train", spec, "--data", name, "--steps", "50", "--lr", "0.5", "--json", *options
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["loss"][-1] < out["loss"][0] and "accuracy" in out


def test_iris_with_plot_and_worked_step(tmp_path):
    spec = tmp_path / "iris.toml"
    spec.write_text(
        'inputs = 4\nloss = "softmax_cross_entropy"\n[[layers]]\nunits = 8\nactivation = "tanh"\n'
        '[[layers]]\nunits = 3\n[train]\nsteps = 300\noptimizer = "momentum"\nlr = 0.1\n'
    )
    result = symnn(
        "train", spec, "--data", "iris", "--standardize", "--plot", tmp_path / "iris.png",
        "--worked-step", tmp_path / "step.md", "--quiet",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "accuracy: " in result.stdout and "-> 9" in result.stdout
    assert (tmp_path / "iris.png").read_bytes()[:4] == b"\x89PNG"
    doc = (tmp_path / "step.md").read_text()
    assert "sample 1 of 150" in doc and "## Backward pass" in doc


def test_csv_data_with_columns_and_one_hot(tmp_path):
    data = tmp_path / "gates.csv"
    rows = ["p,q,noise,kind"] + [
        f"{p},{q},{i},{'same' if p == q else 'different'}"
        for i, (p, q) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)])
    ]
    data.write_text("\n".join(rows) + "\n")
    spec = tmp_path / "net.toml"
    spec.write_text(
        'inputs = 2\nloss = "softmax_cross_entropy"\n[[layers]]\nunits = 4\nactivation = "tanh"\n'
        "[[layers]]\nunits = 2\n"
    )
    result = symnn(
        "train", spec, "--data", data, "--x-columns", "p,1", "--y-columns", "kind", "--one-hot",
        "--steps", "400", "--lr", "1.0", "--init", "xavier", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["accuracy"][-1] == 1.0


def test_worked_step_tex_from_the_example(tmp_path):
    out = tmp_path / "step.tex"
    result = symnn("train", EXAMPLE, "--steps", "5", "--worked-step", out)
    assert result.returncode == 0, result.stderr
    tex = out.read_text()
    assert tex.startswith("\\documentclass") and "0.149780716" in tex
    assert "Fixed during training (not updated): b1, b2." in tex


def test_bad_input_exits_2_with_one_line(tmp_path, xor_spec):
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("a,b,y\n1,2,0\n3,oops,1\n")
    cases = [
        (["--data", "mnist"], "expected a bundled dataset"),
        (["--data", bad_csv], "line 3, column 'b': expected a number, found 'oops'"),
        (["--data", "xor", "--steps", "-3"], "train.steps: expected an integer >= 0"),
    ]
    for args, message in cases:
        result = symnn("train", xor_spec, *args)
        assert result.returncode == 2, (args, result.stdout)
        assert "Traceback" not in result.stderr
        assert result.stderr.startswith("symnn: error: ") and message in result.stderr, args
        assert len(result.stderr.strip().splitlines()) == 1


def test_more_bad_input_in_process(tmp_path, xor_spec, capsys):
    # The same path as above (cli.main), without a new interpreter per case.
    from symnn.cli.main import main

    cases = [
        (["--data", "and", "--samples", "9"], "apply to generators only"),
        (["--data", "iris"], "the network takes 2 inputs, the data has 4 features"),
        (["--data", tmp_path / "none.csv"], "none.csv: no such file"),
        (["--data", "xor", "--batch", "2"], "use 'sgd'"),
        (["--data", "xor", "--freeze", "W9"], "freeze: unknown parameter 'W9'"),
        (["--data", "xor", "--worked-step", tmp_path / "s.pdf"], "expected a .tex or .md"),
        (["--data", "xor", "--optimizer", "momentum", "--momentum", "1.5"], "in [0, 1)"),
        (["--data", "xor", "--one-hot"], "apply to CSV files only"),
        ([], "no [data] table"),
    ]
    for args, message in cases:
        assert main(["train", str(xor_spec), *map(str, args)]) == 2, args
        err = capsys.readouterr().err
        assert err.startswith("symnn: error: ") and message in err, (args, err)
        assert len(err.strip().splitlines()) == 1


def run_on_terminal(*args):
    """Run symnn with stderr on a pseudo-terminal; returns (exit status, what stderr showed)."""
    import os
    import pty

    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "symnn", *map(str, args)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=slave,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the terminal closes when the process ends
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return process.wait(), b"".join(chunks).decode()


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_progress_bar_on_a_terminal_unless_quiet():
    status, shown = run_on_terminal("train", EXAMPLE, "--steps", "200")
    assert status == 0
    assert "[##############################] 200/200 loss 0.0" in shown
    status, shown = run_on_terminal("train", EXAMPLE, "--steps", "200", "--quiet")
    assert status == 0 and shown == ""
