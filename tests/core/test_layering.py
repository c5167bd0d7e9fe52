"""The rules of the house's layers: the core never imports textual (usable headless, testable without a UI);
nothing above the backends names a provider; backends never import storage (the core hands them what they
keep); no screen reaches into another; one progress type, one cancel token, one Cancelled."""

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


def _typing_only(tree: ast.AST) -> set[int]:
    """ids of the import nodes under ``if TYPE_CHECKING:`` (annotations only: no dependency when running)."""
    return {id(sub) for node in ast.walk(tree) if isinstance(node, ast.If)
            and getattr(node.test, "id", None) == "TYPE_CHECKING" for sub in ast.walk(node)}


def _imported(tree: ast.AST) -> set[str]:
    names, typing = set(), _typing_only(tree)
    for node in ast.walk(tree):
        if id(node) in typing:
            continue
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


def test_backends_never_import_storage():
    """The local backend's models come from a ``ModelStore`` the core builds (``backend_factory``); no backend
    opens the workspace, writes SQL or imports anything of ``curator.core.storage``."""
    importing = [f"{path.relative_to(ROOT)} imports {name}" for path, tree in _modules("core/backends")
                 for name in sorted(_imported(tree)) if name.startswith("curator.core.storage")]
    sql = [f"{path.relative_to(ROOT)}:{node.lineno}" for path, tree in _modules("core/backends")
           for node in ast.walk(tree) if isinstance(node, ast.Attribute) and node.attr in ("execute", "query")
           and getattr(node.value, "attr", None) == "workspace"]
    assert importing == [] and sql == []


def test_no_screen_reaches_into_another():
    """A screen asks the app for another view with a message (tui/messages.py: OpenPlayground, GoToExample); it
    never imports the main screen, digs a screen out of the stack, nor dismisses with an example to jump to."""
    reaching = []
    for path, tree in _modules("tui/screens", "tui/widgets"):
        if "curator.tui.screens.main" in _imported(tree):
            reaching.append(f"{path.name} imports the main screen")
        reaching += [f"{path.name}:{node.lineno} uses screen_stack" for node in ast.walk(tree)
                     if isinstance(node, ast.Attribute) and node.attr == "screen_stack"]
        reaching += [f"{path.name}:{node.lineno} is a screen whose result is an example id" for node in ast.walk(tree)
                     if isinstance(node, ast.ClassDef) and any("Screen[int" in ast.unparse(b) for b in node.bases)]
        reaching += [f"{path.name}:{node.lineno} takes a callback to open the playground" for node in ast.walk(tree)
                     if isinstance(node, ast.arg) and node.arg == "open_playground"]
    assert reaching == []


def test_one_progress_type_and_one_cancel_token():
    """Long work reports ``curator.core.progress.Progress`` and is stopped by a ``threading.Event``: no other
    progress class, no progress callback of bare numbers, no cancel flag that is a callable."""
    found = []
    for path, tree in _modules("core", "cli", "tui"):
        where = path.relative_to(ROOT)
        found += [f"{where}:{node.lineno} class {node.name}" for node in ast.walk(tree)
                  if isinstance(node, ast.ClassDef) and node.name.endswith("Progress") and where.name != "progress.py"
                  and not any("Message" in ast.unparse(b) for b in node.bases) and node.name != "StderrProgress"]
        found += [f"{where}:{node.lineno} {ast.unparse(node)}" for node in ast.walk(tree)
                  if isinstance(node, ast.Subscript) and ast.unparse(node).startswith("Callable[[float")
                  and "progress" in ast.unparse(node).lower()]
        found += [f"{where}:{node.lineno} cancel=lambda" for node in ast.walk(tree)
                  if isinstance(node, ast.keyword) and node.arg == "cancel" and isinstance(node.value, ast.Lambda)]
    assert found == []


def test_one_cancelled_for_every_long_job():
    """Dedupe, checks, tuning and evaluation stop with the one ``curator.core.errors.Cancelled``."""
    defined = [str(path.relative_to(ROOT)) for path, tree in _modules("core", "tui", "cli")
               for node in ast.walk(tree) if isinstance(node, ast.ClassDef) and node.name == "Cancelled"]
    assert defined == ["core/errors.py"]


def test_each_screen_keeps_its_styles_in_its_own_tcss_file():
    """A screen's styles sit beside it in a .tcss file (CSS_PATH), never inline (DEFAULT_CSS, CSS)."""
    inline, missing = [], []
    for path, tree in _modules("tui"):
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef) or not any("Screen" in ast.unparse(b) for b in node.bases):
                continue
            for statement in node.body:
                name = getattr(statement.targets[0], "id", None) if isinstance(statement, ast.Assign) else None
                if name in ("DEFAULT_CSS", "CSS"):
                    inline.append(f"{path.name} {node.name}")
                elif name == "CSS_PATH" and not (path.parent / statement.value.value).exists():
                    missing.append(f"{path.name} {node.name}")
    assert inline == [] and missing == []
