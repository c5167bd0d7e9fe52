"""curator.core must never import textual: the core is usable headless and testable without a UI."""

import subprocess
import sys


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
