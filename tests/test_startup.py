"""Start-up stays cheap: what `import symnn` and the command line load, by name (not timed)."""

import subprocess
import sys
from pathlib import Path

import pytest

import symnn

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "two_two_two.toml"
HEAVY = ("scipy", "autograd", "matplotlib", "jinja2", "sympy", "numpy")


def loaded_after(code: str) -> set[str]:
    """The HEAVY modules a fresh interpreter holds after running ``code``."""
    probe = (
        "import sys\n"
        f"{code}\n"
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(result.stderr.split())


def cli(*argv: str) -> str:
    return (
        "from symnn.cli.main import main\n"
        "try:\n"
        f"    main({list(argv)!r})\n"
        "except SystemExit:\n"
        "    pass"
    )


@pytest.mark.parametrize(
    "code",
    ["import symnn", "import symnn.core.errors", cli("--help"), cli("--version")],
    ids=["import", "errors", "help", "version"],
)
def test_import_and_help_load_no_numerics(code):
    assert loaded_after(code) == set()


def test_one_weight_text_derive_loads_neither_scipy_nor_templates():
    loaded = loaded_after(cli("derive", str(EXAMPLE), "--wrt", "W1[1,1]"))
    assert {"sympy", "numpy"} <= loaded  # it did derive
    assert loaded.isdisjoint({"scipy", "autograd", "matplotlib", "jinja2"})


def test_check_of_a_softmax_network_skips_autograd_scipy(tmp_path):
    spec = tmp_path / "net.toml"
    spec.write_text(
        'inputs = 2\nloss = "softmax_cross_entropy"\n'
        '[[layers]]\nunits = 3\nactivation = "relu"\n'
        '[[layers]]\nunits = 3\nactivation = "identity"\n'
    )
    code = cli("check", str(spec)) + "\nprint(sorted(sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", "import sys\n" + code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "autograd" in result.stdout  # the oracle ran
    assert "'scipy.stats'" not in result.stdout


def test_lazy_exports_resolve_every_public_name():
    for name in symnn.__all__:
        assert getattr(symnn, name) is not None, name
    assert set(symnn.__all__) <= set(dir(symnn))
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        _ = symnn.nonsense


def test_full_parser_and_summaries_agree():
    from symnn.cli.commands import SUMMARIES
    from symnn.cli.main import parser

    sub = next(a for a in parser()._actions if a.dest == "command")
    assert list(sub.choices) == list(SUMMARIES)
    assert [c.help for c in sub._choices_actions] == list(SUMMARIES.values())
