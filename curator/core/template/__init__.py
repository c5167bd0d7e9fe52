"""Production prompt templates: parse, match an input precisely, infer the dominant one from data.

The inference (``infer_template``, ``describe_outputs``, ``Inferred``) loads on first use: the app's first
screen needs templates parsed and matched, not inferred."""

from __future__ import annotations

from typing import TYPE_CHECKING

from curator.core.template.match import KINDS, Deviation, MatchResult, match
from curator.core.template.model import FieldSpec, Template, parse_template

if TYPE_CHECKING:
    from curator.core.template.infer import Inferred, describe_outputs, infer_template

__all__ = ["KINDS", "Deviation", "FieldSpec", "Inferred", "MatchResult", "Template", "describe_outputs",
           "infer_template", "match", "parse_template"]
_INFERENCE = ("Inferred", "describe_outputs", "infer_template")


def __getattr__(name: str):
    if name not in _INFERENCE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from curator.core.template import infer

    return getattr(infer, name)
