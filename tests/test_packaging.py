"""The pip path: bundled examples by name from any folder, stdin specs, package metadata, and plots
that check for matplotlib first and never touch its global backend."""

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Run in a child with these modules unimportable, as on a machine without them.
BLOCK = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ImportError(name)
sys.meta_path.insert(0, Block())
from symnn.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def symnn(*args, cwd, stdin=None, blocked=()):
    command = [sys.executable, "-m", "symnn"]
    if blocked:
        command = [sys.executable, "-c", BLOCK.format(blocked=set(blocked))]
    return subprocess.run(
        [*command, *map(str, args)], cwd=cwd, capture_output=True, text=True, input=stdin
    )


def test_bundled_examples_by_name_from_any_folder(tmp_path):
    listing = symnn("examples", cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    for name in ("two_two_two.toml", "xor.toml", "perceptron_points.csv"):
        assert name in listing.stdout
    derived = symnn("derive", "two_two_two", "--wrt", "W1[1,1]", cwd=tmp_path)
    assert derived.returncode == 0, derived.stderr
    assert "∂L/∂w_1_1_1 = δ_1_1*x_1" in derived.stdout
    assert symnn("derive", "xor.toml", "--level", "matrix", cwd=tmp_path).returncode == 0
    shown = symnn("examples", "xor", cwd=tmp_path)
    assert shown.stdout == (ROOT / "examples" / "xor.toml").read_text()
    points = symnn("perceptron", "--csv", "perceptron_points.csv", cwd=tmp_path)
    assert points.returncode == 0 and "converged" in points.stdout
    for program in ("micrograd", "micrograd.txt"):  # graph programs by name too
        graph = symnn("graph", program, "--json", cwd=tmp_path)
        assert graph.returncode == 0 and '"output": "g"' in graph.stdout, graph.stderr
    assert "micrograd.txt" in listing.stdout and "notebook.ipynb" in listing.stdout
    # a program is no network spec
    wrong = symnn("derive", "micrograd.txt", cwd=tmp_path)
    assert wrong.returncode == 2 and "micrograd.txt: no such file" in wrong.stderr


def test_a_local_file_wins_over_a_bundled_name(tmp_path):
    (tmp_path / "xor").write_text('inputs = 3\n[[layers]]\nunits = 1\nactivation = "tanh"\n')
    result = symnn("derive", "xor", "--wrt", "W1[1,3]", cwd=tmp_path)
    assert result.returncode == 0 and "x_3" in result.stdout


def test_examples_copy_never_overwrites(tmp_path):
    result = symnn("examples", "--copy", "mine", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    copied = sorted(p.name for p in (tmp_path / "mine").iterdir())
    bundled = (ROOT / "examples").iterdir()
    kinds = (".toml", ".csv", ".txt", ".ipynb")
    assert copied == sorted(p.name for p in bundled if p.suffix in kinds)
    assert "notebook.ipynb" in copied and "micrograd.txt" in copied
    (tmp_path / "mine" / "xor.toml").write_text("# mine\n")
    again = symnn("examples", "--copy", "mine", "xor", cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr
    assert (tmp_path / "mine" / "xor.toml").read_text() == "# mine\n"


def test_unknown_spec_names_the_bundled_examples(tmp_path):
    result = symnn("derive", "two_two_tow", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "no such file" in result.stderr and "two_two_two" in result.stderr
    unknown = symnn("examples", "nope", cwd=tmp_path)
    assert unknown.returncode == 2 and "no bundled example 'nope'" in unknown.stderr


def test_a_spec_from_standard_input(tmp_path):
    spec = (ROOT / "examples" / "two_two_two.toml").read_text()
    derived = symnn("derive", "-", "--wrt", "W2[1,1]", cwd=tmp_path, stdin=spec)
    assert derived.returncode == 0, derived.stderr
    assert "δ_2_1*a_1_1" in derived.stdout
    # train reads the spec twice (network, then [train]); standard input is read once.
    trained = symnn("train", "-", "--steps", "1", "--quiet", "--json", cwd=tmp_path, stdin=spec)
    assert trained.returncode == 0, trained.stderr
    bad = symnn("derive", "-", cwd=tmp_path, stdin="inputs = [")
    assert bad.returncode == 2 and bad.stderr.startswith("symnn: error: <stdin>: not valid TOML")


def test_plot_without_matplotlib_fails_before_training(tmp_path):
    # A million steps would take minutes: the error must come first.
    args = ("train", "xor", "--steps", "1000000", "--plot", "loss.png", "--quiet")
    result = symnn(*args, cwd=tmp_path, blocked={"matplotlib"})
    assert result.returncode == 2, result.stderr
    assert "pip install 'symnn[plot]'" in result.stderr and "Traceback" not in result.stderr
    for args in (
        ("perceptron", "--gate", "and", "--plot", "p.png"),
        ("calc", "descent", "x**2", "--from", "1", "--plot", "d.png"),
    ):
        result = symnn(*args, cwd=tmp_path, blocked={"matplotlib"})
        assert result.returncode == 2 and "symnn[plot]" in result.stderr


def test_figures_leave_the_matplotlib_backend_and_pyplot_alone(tmp_path):
    pytest.importorskip("matplotlib")
    script = """
import sys, matplotlib
matplotlib.use("svg")
import symnn
net = symnn.Network(2, [symnn.Dense(1, "sigmoid")])
X, Y = [[0, 0], [1, 1]], [[0], [1]]
figures = [
    symnn.training_figure(symnn.train(net, X, Y, steps=3, progress=False), net, X, Y),
    symnn.descent_figure(symnn.gradient_descent("x**2 + y**2", "1,1", "0.25", 2)),
    symnn.perceptron_figure(symnn.train_perceptron(*symnn.gate("and"))),
]
symnn.save_figure(figures[0], sys.argv[1])
from matplotlib.figure import Figure
assert all(isinstance(f, Figure) and f._repr_png_().startswith(b"\\x89PNG") for f in figures)
print(matplotlib.get_backend(), "matplotlib.pyplot" in sys.modules)
"""
    out = tmp_path / "run.png"
    result = subprocess.run(
        [sys.executable, "-c", script, str(out)], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["svg", "False"]
    assert out.read_bytes().startswith(b"\x89PNG")


def test_package_metadata():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert (ROOT / "symnn" / "py.typed").exists()
    assert "License :: OSI Approved :: MIT License" in project["classifiers"]
    assert {"Homepage", "Repository", "Issues"} <= set(project["urls"])
    # sympy.solvers.simplex (the perceptron's separability test) exists from SymPy 1.13 on.
    assert "sympy>=1.13" in project["dependencies"]
    minimum = (ROOT / ".ci" / "minimum-versions").read_text()
    assert '["project"]["dependencies"]' in minimum  # the pins come from the declaration
    assert ".ci/minimum-versions" in (ROOT / ".ci" / "run").read_text()


def test_readme_links_work_outside_the_repository():
    import re

    text = (ROOT / "README.md").read_text()
    targets = re.findall(r"\]\(([^)]+)\)", text)
    assert targets and all(t.startswith(("https://", "#")) for t in targets), targets
