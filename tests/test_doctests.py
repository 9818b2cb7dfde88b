"""The examples in the runtime's docstrings run and print what they say."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import recognizer

RUNTIME = [m.name for m in pkgutil.iter_modules(recognizer.__path__) if not m.ispkg and m.name != "__main__"]


@pytest.mark.parametrize("name", RUNTIME)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"recognizer.{name}")
    failed, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert failed == 0, f"{failed} docstring example(s) of recognizer.{name} failed (output above)"
