"""Production prompt templates: parse, match an input precisely, infer the dominant one from data."""

from curator.core.template.infer import Inferred, describe_outputs, infer_template
from curator.core.template.match import KINDS, Deviation, MatchResult, match
from curator.core.template.model import FieldSpec, Template, parse_template

__all__ = ["KINDS", "Deviation", "FieldSpec", "Inferred", "MatchResult", "Template", "describe_outputs",
           "infer_template", "match", "parse_template"]
