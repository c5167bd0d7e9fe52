"""JSON objects of any shape, their fields named by a column mapping.

The mapping comes from ``--input-col`` / ``--output-col`` (or the dataset's settings), else from the common
shapes recognised in ``compose.SHAPES``. Nested fields are written with dots (``meta.question``). Several
input fields are composed through a template (``compose``), which the app makes the dataset's production
template.

Writing gives every object back its own keys: the input fields are recovered from the composed text (the
original values of the later fields are kept with each example, so an unchanged input splits exactly as it
was read), the output goes back to its field, and an output read as a number is written as one again.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from curator.core.errors import CuratorError, FieldsUnknown
from curator.core.formats.base import FormatOptions
from curator.core.formats.common import RecordError, json_type
from curator.core.formats.compose import AS_READ as _KEPT, Mapping, recognise_fields, template_for
from curator.core.formats.objects import ObjectFormat, first_value
from curator.core.formats.tabular import INPUT_NAMES, OUTPUT_NAMES, SYSTEM_NAMES



def get_path(obj: dict[str, Any], path: str) -> tuple[bool, Any]:
    """(found, value) of a field: the key itself, else a dotted path into nested objects."""
    if path in obj:
        return True, obj[path]
    value: Any = obj
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    return True, value


def _set_path(obj: dict[str, Any], path: str, value: Any) -> None:
    if path in obj or "." not in path:
        obj[path] = value
        return
    *parents, leaf = path.split(".")
    for part in parents:
        obj = obj[part]
    obj[leaf] = value


def recognise(objects: list[Any]) -> Mapping | None:
    """The first common shape whose fields all appear in the objects, or None."""
    return recognise_fields(k for obj in objects if isinstance(obj, dict) for k in obj)


def mapping_from_options(options: FormatOptions, objects: list[Any], path: str) -> Mapping:
    """The mapping the flags or settings name, completed by recognition; a CuratorError when unknown."""
    seen = list(dict.fromkeys(k for obj in objects if isinstance(obj, dict) for k in obj))
    named = [c.strip() for c in (options.input_col or "").split(",") if c.strip()]
    found = recognise(objects)
    if not named and not options.output_col and not options.system_col:
        if found is None:
            raise FieldsUnknown(
                "cannot tell which fields hold the input and the output; name them with --input-col and "
                f"--output-col (nested fields as a.b). The fields are: {', '.join(seen) or 'none'}", path,
                *_samples(objects))
        mapping = found
    else:
        inputs = tuple(named) or (found.inputs if found else _common(INPUT_NAMES, seen, ()))
        output = options.output_col or (found.output if found else _common(OUTPUT_NAMES, seen, None))
        if not inputs or output is None:
            role = "input" if not inputs else "output"
            raise CuratorError(f"cannot tell which field holds the {role}; name it with --{role}-col. "
                               f"The fields are: {', '.join(seen) or 'none'}", path, 1, 1)
        mapping = Mapping(inputs, output, shape=None if named and options.output_col else found and found.shape)
        if mapping.shape and (mapping.inputs, mapping.output) != (found.inputs, found.output):
            mapping = Mapping(mapping.inputs, mapping.output)
    system = options.system_col
    if system is None and not options.maps:  # a recognised shape: a system field beside it is the system
        system = next((n for n in SYSTEM_NAMES if n in seen and all(
            isinstance(o.get(n), (str, type(None))) for o in objects if isinstance(o, dict))), None)
    mapping = Mapping(mapping.inputs, mapping.output, system, template_for(mapping.inputs, options.template),
                      mapping.shape)
    for name in (*mapping.inputs, mapping.output, *(n for n in [mapping.system] if n)):
        if objects and not any(isinstance(o, dict) and get_path(o, name)[0] for o in objects):
            raise CuratorError(f"no field {name!r} in the file; the fields are: {', '.join(seen) or 'none'}",
                               path, 1, 1)
    if mapping.output in mapping.inputs:
        raise CuratorError(f"the input and output are the same field ({mapping.output!r})", path, 1, 1)
    mapping.composer  # a bad template is an error now, not at the first record
    return mapping


def _samples(objects: list[Any], rows: int = 5) -> tuple[list[str], list[dict[str, str]]]:
    """The text fields of the first objects (nested ones as a.b) and their values, for a column picker."""
    samples = [dict(_flat(obj)) for obj in objects[:rows] if isinstance(obj, dict)]
    fields = list(dict.fromkeys(k for obj in objects if isinstance(obj, dict) for k, _ in _flat(obj)))
    return fields, samples


def _flat(obj: dict[str, Any], prefix: str = ""):
    for key, value in obj.items():
        if isinstance(value, dict):
            yield from _flat(value, f"{prefix}{key}.")
        elif isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
            yield prefix + key, str(value)


def _common(names: tuple[str, ...], seen: list[str], default):
    """The first common field name the file has (as a one-input tuple for inputs), else ``default``."""
    name = next((n for n in names if n in seen), None)
    if name is None:
        return default
    return (name,) if isinstance(default, tuple) else name


def _text(obj: dict[str, Any], name: str, required: bool) -> str | None:
    found, value = get_path(obj, name)
    if not found or value is None:
        if required:
            raise RecordError(f"missing field {name!r}", name.split(".")[0])
        return None
    if isinstance(value, str):
        return value
    raise RecordError(f"field {name!r} must be a string, not {json_type(value)}", name.split(".")[0])


class MappedObjects(ObjectFormat):
    """JSON objects (one per line, or in a list) read and written through a ``Mapping``."""

    def __init__(self, name: str, container: str, extensions: tuple[str, ...], mapping: Mapping | None = None):
        self.name, self.container, self.extensions, self.mapping = name, container, extensions, mapping

    @property
    def holds_system(self) -> bool:  # type: ignore[override]
        return self.mapping is not None and self.mapping.system is not None

    def looks_like(self, obj: Any) -> bool:
        return recognise([obj]) is not None

    def sniff_container(self, head: bytes) -> bool:
        """Whether the file starts with a JSON object in this container (for fields named by the user)."""
        return isinstance(first_value(head, self.container), dict)

    def for_file(self, options: FormatOptions, objects: list[Any], path: str) -> MappedObjects:
        """A reader/writer for one file: the mapping resolved from options and the first objects."""
        return MappedObjects(self.name, self.container, self.extensions, mapping_from_options(options, objects, path))

    def resolved(self, options: FormatOptions) -> tuple[FormatOptions, str | None]:
        m = self.mapping
        return (replace(options, input_col=",".join(m.inputs), output_col=m.output, system_col=m.system,
                        template=m.template), m.describe())

    def write(self, records, out, options: FormatOptions, source=None):
        fmt = self if self.mapping is not None else self.for_file(options, [], "")
        return ObjectFormat.write(fmt, records, out, options, source)

    def lossy_fields(self, records, options: FormatOptions | None = None) -> list[str]:
        return [] if self.mapping is None else super().lossy_fields(records, options)

    def decode(self, obj: dict[str, Any]) -> tuple[str, str, str | None, dict[str, Any]]:
        m = self.mapping
        assert m is not None
        values = {name: _text(obj, name, required=k == 0) or "" for k, name in enumerate(m.inputs)}
        text_input = m.compose(values)
        found, output = get_path(obj, m.output)
        if not found:
            raise RecordError(f"missing field {m.output!r}", m.output.split(".")[0])
        if isinstance(output, int) and not isinstance(output, bool):
            output = str(output)
        elif not isinstance(output, str):
            raise RecordError(f"field {m.output!r} must be a string or a whole number, not {json_type(output)}",
                              m.output.split(".")[0])
        system = _text(obj, m.system, required=False) if m.system else None
        consumed = {n for n in (*m.inputs, m.output, m.system) if n and n in obj}
        rest = {k: v for k, v in obj.items() if k not in consumed}
        kept = {n: values[n] for n in m.inputs[1:] if values[n]}
        if kept:
            rest[_KEPT] = kept
        if isinstance(get_path(obj, m.output)[1], int):
            rest.setdefault(_KEPT, {})[m.output] = None  # the output was a number: write it back as one
        return text_input, output, system, rest

    def encode(self, row: dict[str, Any]) -> dict[str, Any]:
        m = self.mapping
        assert m is not None
        extra = json.loads(row["extra"]) if row["extra"] else {}
        kept = extra.get(_KEPT, {})
        obj = dict(zip(m.inputs, m.split(row["text_input"], kept, row.get("src_line"))))
        output: Any = row["output"]
        if m.output in kept and output.lstrip("-").isdigit():
            output = int(output)
        obj[m.output] = output
        if m.system and row["system"] is not None:
            obj[m.system] = row["system"]
        return obj

    def full_object(self, row: dict[str, Any]) -> dict[str, Any]:
        obj = super().full_object(row)
        for name in (*self.mapping.inputs, self.mapping.output):  # nested fields go back inside their parent
            if "." in name and name in obj and isinstance(obj.get(name.split(".")[0]), dict):
                _set_path(obj, name, obj.pop(name))
        return obj


MAPPED_JSONL = MappedObjects("jsonl", "lines", (".jsonl", ".ndjson"))
MAPPED_JSON = MappedObjects("json", "list", (".json",))
