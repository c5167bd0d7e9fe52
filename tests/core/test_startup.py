"""Start-up pays only for what it uses: the CLI's parser, every command module (for its --help) and the app's
first screen load no scikit-learn, scipy, google-genai nor backend; a command's --help loads no polars either.
(Speed itself is measured by bench/bench_startup.py, never timed here.)"""

import json
import subprocess
import sys

from curator.cli import COMMANDS

HEAVY = ("sklearn", "scipy", "google.genai")
INTERFACE = {"curator.core.backends", "curator.core.backends.base", "curator.core.backends.errors",
             "curator.core.backends.registry", "curator.core.backends.retry"}


def loaded_after(*modules: str) -> set[str]:
    """Every module a fresh interpreter holds after importing ``modules``."""
    code = "import sys, importlib, json\n" + "".join(f"importlib.import_module({m!r})\n" for m in modules) + \
           "print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


def heavy(names: set[str]) -> list[str]:
    return sorted(n for n in names if any(n == h or n.startswith(h + ".") for h in HEAVY))


def test_command_modules_load_nothing_slow_so_help_is_instant():
    modules = sorted({f"curator.cli.{module}" for module, _ in COMMANDS.values()})
    loaded = loaded_after("curator.cli", *modules)
    assert heavy(loaded) == []
    assert sorted(n for n in loaded if n == "polars" or n.startswith("polars.")) == []
    assert sorted(n for n in loaded if n.startswith("curator.core.backends") and n not in INTERFACE) == []


def test_app_and_its_first_screen_load_no_scikit_learn_scipy_google_or_backend():
    loaded = loaded_after("curator.cli", "curator.cli.app", "curator.tui.app", "curator.tui.screens.main")
    assert heavy(loaded) == []
    assert sorted(n for n in loaded if n.startswith("curator.core.backends")) == []


def test_curator_file_starts_reading_before_loading_polars_or_textual_and_paints_without_what_waits():
    # the file is read in a thread started before the app is imported: what starts it loads neither
    early = loaded_after("curator.cli", "curator.cli.app", "curator.core.opening")
    assert sorted(n for n in early if n.split(".")[0] in ("polars", "numpy", "textual", "rich")) == []
    # what the first screen needs (reading, the table) loads nothing that only later work uses
    first = loaded_after("curator.cli.app", "curator.core.opening", "curator.core.loading", "curator.core.session",
                         "curator.tui.app", "curator.tui.screens.main")
    later = ("rapidfuzz", "curator.core.template.infer", "curator.tui.screens.editor",
             "curator.tui.screens.columns", "curator.core.dedupe", "curator.core.evaluation", "curator.core.tuning")
    assert sorted(n for n in first if any(n == m or n.startswith(m + ".") for m in later)) == []


def test_top_level_help_and_version_import_no_command_module():
    for flag in ("--help", "--version"):
        code = (f"import sys, contextlib, io\nfrom curator.cli import main\n"
                f"with contextlib.redirect_stdout(io.StringIO()):\n    try:\n        main([{flag!r}])\n"
                f"    except SystemExit:\n        pass\nprint(sorted(n for n in sys.modules if n.startswith('curator.cli.')))")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        assert out.stdout.strip() == "[]"


def test_light_choices_mirror_the_engines_names():
    from curator.cli.eval import SPLIT_CHOICES, TASK_CHOICES
    from curator.core.evaluation.evaluate import AUTO
    from curator.core.evaluation.scoring import TASKS
    from curator.core.formats import NAMES
    from curator.core.formats.registry import format_names
    from curator.core.model import Split

    assert list(NAMES) == format_names()
    assert SPLIT_CHOICES == (AUTO, "all", *(s.value for s in Split))
    assert TASK_CHOICES == TASKS
