"""Dataset file formats: one module per format, and a registry (``registry``) that detects and dispatches.

Use ``read_file`` / ``write_file`` from ``curator.core.formats.registry``.
"""

# Every format's name in the order files are sniffed (the registry's order; a test keeps them equal). Here, where
# importing costs nothing, for the command line's --format choices.
NAMES = ("gemini-jsonl", "vertex-jsonl", "openai-jsonl", "sharegpt-jsonl", "alpaca-jsonl", "jsonl", "gemini-json",
         "pairs-json", "openai-json", "sharegpt-json", "alpaca-json", "json", "csv", "tsv", "parquet")
