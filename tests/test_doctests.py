"""The runnable examples in docstrings are tests too."""

import doctest
import importlib
import pkgutil

import pytest

import symnn

# __main__ runs the command line on import, so it is no place for examples.
MODULES = sorted(
    m.name for m in pkgutil.walk_packages(symnn.__path__, "symnn.") if m.name != "symnn.__main__"
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
