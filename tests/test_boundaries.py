"""Architecture rules, read from the source with ast: who may import what, and how long a page may be.

Every import statement counts, at any nesting level: inside functions, classes and ``if`` blocks too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = sorted(p for p in (ROOT / "recognizer").glob("*.py") if p.name not in ("cli.py", "__main__.py"))
LIBRARY = sorted((ROOT / "recognizer").rglob("*.py"))
PAGE_FILES = sorted((ROOT / "pages").glob("*.py"))
PAGES = PAGE_FILES + sorted((ROOT / "pages" / "ui").glob("*.py"))
MAX_PAGE_LINES = 150


def imports(source: str, package: str = "") -> list[tuple[int, str]]:
    """Every module a source imports, as (line, absolute dotted name); relative imports resolved from ``package``.

    ``from a import b`` names both ``a`` and ``a.b`` (``b`` may be a module).
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module
            found.append((node.lineno, module))
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names if alias.name != "*"]
    return found


def violations(files: list[Path], forbidden: tuple[str, ...], root: Path = ROOT) -> list[str]:
    """``file:line imports module`` for every import of a forbidden module or one of its submodules."""
    found = set()
    for path in files:
        relative = path.relative_to(root)
        package = ".".join(relative.parent.parts)  # where relative imports start, for a module and an __init__ alike
        for line, module in imports(path.read_text(encoding="utf-8"), package):
            if any(module == name or module.startswith(f"{name}.") for name in forbidden):
                found.add((str(relative), line, module))
    return [f"{file}:{line} imports {module}" for file, line, module in sorted(found)]


SNEAKY = """
import numpy as np
from .preprocess import Step

def train_later():
    if True:
        from .training import x
    import recognizer.training.train as t

class Lazy:
    def load(self):
        from . import training
"""


def test_the_checker_finds_a_training_import_anywhere(tmp_path: Path) -> None:
    """A runtime module with training imports inside a function, an if and a method is caught, line by line."""
    module = tmp_path / "recognizer" / "sneaky.py"
    module.parent.mkdir()
    module.write_text(SNEAKY)
    assert violations([module], ("recognizer.training",), root=tmp_path) == [
        "recognizer/sneaky.py:7 imports recognizer.training",
        "recognizer/sneaky.py:7 imports recognizer.training.x",
        "recognizer/sneaky.py:8 imports recognizer.training.train",
        "recognizer/sneaky.py:12 imports recognizer.training",
    ]
    assert violations([module], ("recognizer.train", "numpy.random"), root=tmp_path) == [], "whole names only"


def test_the_checker_resolves_relative_imports_from_subpackages() -> None:
    assert imports("from ..card import ModelCard", "recognizer.training") == [
        (1, "recognizer.card"),
        (1, "recognizer.card.ModelCard"),
    ]
    assert imports("from .data import load", "recognizer.training")[0] == (1, "recognizer.training.data")


def test_the_files_are_there() -> None:
    assert len(RUNTIME) >= 10 and (ROOT / "recognizer" / "inference.py") in RUNTIME
    assert {p.name for p in PAGE_FILES} >= {"draw.py", "models.py"}
    assert (ROOT / "pages" / "ui" / "builders.py") in PAGES


def test_the_runtime_never_imports_training() -> None:
    found = violations(RUNTIME, ("recognizer.training",))
    assert not found, "\n".join(found)


def test_the_library_never_imports_streamlit() -> None:
    found = violations(LIBRARY, ("streamlit", "streamlit_drawable_canvas"))
    assert not found, "\n".join(found)


def test_pages_never_import_keras_or_tensorflow() -> None:
    found = violations(PAGES, ("keras", "tensorflow", "tf_keras"))
    assert not found, "\n".join(found)


def test_page_files_never_import_numpy_or_cv2() -> None:
    found = violations(PAGE_FILES, ("numpy", "cv2"))
    assert not found, "\n".join(found)


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda p: p.name)
def test_page_files_are_short(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines < MAX_PAGE_LINES, f"{path.relative_to(ROOT)} has {lines} lines; move pure code to pages/ui"


def test_app_only_navigates() -> None:
    found = violations([ROOT / "app.py"], ("recognizer", "pages"))
    assert not found, "app.py lists the pages; the pages use the recognizer:\n" + "\n".join(found)


@pytest.mark.parametrize("path", [*PAGE_FILES, ROOT / "app.py"], ids=lambda p: p.name)
def test_page_files_have_no_bare_strings_that_streamlit_would_print(path: Path) -> None:
    """Streamlit's "magic" writes a page's bare expressions on the page: only the module docstring may be one."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bare = [n.lineno for n in tree.body[1:] if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)]
    assert not bare, f"{path.name}: bare strings at lines {bare} would be shown on the page"
