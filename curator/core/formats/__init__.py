"""Dataset file formats: one module per format, and a registry (``registry``) that detects and dispatches.

Use ``read_file`` / ``write_file`` from ``curator.core.formats.registry``.
"""
