"""curator: curate fine-tuning datasets, tune, and compare base vs tuned models from the terminal."""

__version__ = "0.1.0"
