"""curator's core: data, formats, checks, dedupe, backends, tuning, evaluation and storage.

Nothing in this package imports textual (a test enforces it); the TUI and the CLI are faces over it.
"""
