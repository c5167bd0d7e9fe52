"""curator models: the models a backend offers (base models to tune or evaluate, and tuned ones).

Also the backend options every tuning command shares (``add_backend_arguments``, ``open_jobs``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from curator.core.backends.registry import ALIASES, BACKENDS, DEFAULT_BACKEND, canonical_name, create_backend
from curator.core.errors import BackendError, CuratorError
from curator.core.storage.workspace import Workspace
from curator.core.tuning import Jobs

DESCRIPTION = (
    "List the models a backend offers. Local tuned models live in the workspace of a dataset (FILE, or the\n"
    ".curator folder of the current directory)."
)
EPILOG = """backends:
""" + "\n".join(f"  {b.name:11} {b.title}: needs {b.needs}" for b in BACKENDS.values()) + """

exit codes:
  0  success
  1  the backend could not be reached or refused (the reason is printed)"""


def add_backend_arguments(parser: argparse.ArgumentParser, *, choose: bool = True) -> None:
    """--backend (unless ``choose`` is False) and the settings of the Google backends (each also read from the
    environment)."""
    if choose:
        parser.add_argument("--backend", default=DEFAULT_BACKEND, choices=[*BACKENDS, *ALIASES],
                            help=f"where models live (default: {DEFAULT_BACKEND})")
    google = parser.add_argument_group("Google backends (the API key comes only from GEMINI_API_KEY or GOOGLE_API_KEY)")
    google.add_argument("--project", help="Vertex: Google Cloud project (default: GOOGLE_CLOUD_PROJECT)")
    google.add_argument("--location", help="Vertex: region (default: GOOGLE_CLOUD_LOCATION, else us-central1)")
    google.add_argument("--staging", metavar="GS_URI", help="Vertex: gs:// folder to upload the training data to "
                                                             "(needs pip install 'curator[gcs]')")
    google.add_argument("--base-url", help="send Google requests here instead (e.g. the fake server)")


def workspace_for(file: str | None) -> Workspace:
    """The workspace of dataset FILE, or the existing .curator folder of the current directory."""
    if file:
        if not Path(file).is_file():
            raise CuratorError("no such dataset file", file)
        return Workspace.for_dataset(file)
    here = Path.cwd() / ".curator"
    if not here.is_dir():
        raise CuratorError("no curator workspace (.curator) in this folder: name the dataset FILE")
    return Workspace(here)


def backend_from_args(name: str, args: argparse.Namespace, workspace: Workspace | None):
    """The backend ``name`` built with the command-line settings."""
    from curator.core.storage.models import backend_storage

    return create_backend(name, **backend_storage(workspace), project=getattr(args, "project", None),
                          location=getattr(args, "location", None), base_url=getattr(args, "base_url", None),
                          staging_uri=getattr(args, "staging", None))


def open_jobs(args: argparse.Namespace, workspace: Workspace) -> Jobs:
    """Jobs of the workspace, building backends with the command-line settings."""
    return Jobs(workspace, lambda name: backend_from_args(name, args, workspace))


def fail(error: CuratorError) -> int:
    """Print a backend or input error (its reason, never a secret) and return the exit code."""
    if isinstance(error, BackendError):
        print(f"curator: {error.reason}", file=sys.stderr)
        return 1
    if error.path is None and len(error.problems) == 1:
        print(f"curator: {error.reason}", file=sys.stderr)
    else:
        print("\n".join(str(p) for p in error.problems), file=sys.stderr)
    return 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", nargs="?", help="a dataset whose workspace holds local tuned models")
    add_backend_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print JSON for machines")


def run(args: argparse.Namespace) -> int:
    try:
        name = canonical_name(args.backend)
        workspace = workspace_for(args.file) if BACKENDS[name].offline else None
        models = backend_from_args(name, args, workspace).list_models()
    except CuratorError as e:
        return fail(e)
    if args.json:
        json.dump([m.__dict__ for m in models], sys.stdout, indent=2)
        print()
        return 0
    width = max((len(m.name) for m in models), default=10)
    for m in models:
        kind = "tuned" if m.tuned else ("base, tunable" if m.can_tune else "base")
        shown = f"  {m.display_name}" if m.display_name != m.name else ""
        print(f"{m.name:{width}}  {kind:13}{shown}  {m.description}".rstrip())
    return 0
