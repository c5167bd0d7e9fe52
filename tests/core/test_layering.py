"""The rules of the house's layers: the core never imports textual (usable headless, testable without a UI);
nothing above the backends names a provider; no screen reaches into another."""

import ast
import subprocess
import sys
from pathlib import Path


def test_core_does_not_import_textual():
    code = (
        "import sys, pkgutil, importlib, curator.core\n"
        "for m in pkgutil.walk_packages(curator.core.__path__, 'curator.core.'):\n"
        "    importlib.import_module(m.name)\n"
        "import curator.cli\n"
        "bad = sorted(n for n in sys.modules if n == 'textual' or n.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"curator.core imported: {out.stdout.strip()}"


ROOT = Path(__file__).resolve().parents[2] / "curator"
PROVIDERS = {"local", "vertex", "gemini-api", "gemini", "local-echo"}


def _modules(*folders: str):
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield path, ast.parse(path.read_text(encoding="utf-8"))


def _imported(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_nothing_above_the_backends_names_a_provider():
    """Faces and workflows ask ``registry.BACKENDS`` (defaults, options) instead of naming a provider. Settings
    and the limits check name the *targets* whose limits apply, which is what a user chooses, not a backend."""
    named = []
    for path, tree in _modules("tui", "cli", "core"):
        if "backends" in path.parts or path.name == "settings.py" or path.name == "limits.py":
            continue
        named += [f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}" for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and node.value in PROVIDERS]
    assert named == []


def test_no_screen_reaches_into_another():
    """A screen asks the app for another view with a message (tui/messages.py); it never imports the main
    screen nor digs a screen out of the stack to drive it."""
    reaching = []
    for path, tree in _modules("tui/screens", "tui/widgets"):
        if "curator.tui.screens.main" in _imported(tree):
            reaching.append(f"{path.name} imports the main screen")
        reaching += [f"{path.name}:{node.lineno} uses screen_stack" for node in ast.walk(tree)
                     if isinstance(node, ast.Attribute) and node.attr == "screen_stack"]
    assert reaching == []


def test_one_cancelled_for_every_long_job():
    """Dedupe, checks, tuning and evaluation stop with the one ``curator.core.errors.Cancelled``."""
    defined = [str(path.relative_to(ROOT)) for path, tree in _modules("core", "tui", "cli")
               for node in ast.walk(tree) if isinstance(node, ast.ClassDef) and node.name == "Cancelled"]
    assert defined == ["core/errors.py"]
