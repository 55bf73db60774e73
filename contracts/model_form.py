"""A payment model as a form: which values of a document a person may change, read from the schema.

An inkoper who changes a price, a percentage or a period should not have to edit JSON, and should not be able
to break the model's structure while doing so. So the form is derived from two things: the document (which
rules, milestones and bands it has) and the schema (what each value is, and its Dutch ``title`` and
``description``). A value becomes a field when the schema says it is a scalar someone may set: an amount, a
percentage, a number, a text, a choice from an ``enum`` or a set of them. Names and references (the
``name`` definition: a rule's id, the milestone a rule pays on) and values marked ``readOnly`` are the model's
structure: they are shown, not edited; adding a rule or a milestone is done in the JSON. An optional value that
the document leaves out is offered empty, so that a minimum number of hours can be added to a milestone
without the JSON.

A new property in the schema therefore shows up in the form without code here. :func:`apply` writes what was
filled in back into the document and keeps every value whose meaning did not change as it was written
("1200" stays "1200", not "1200.00"), so that a form submitted unchanged gives the document back unchanged.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any, Literal

from jsonschema import Draft202012Validator

from contracts.model import model_path, schema

Kind = Literal["money", "percent", "integer", "number", "text", "longtext", "choice", "choices"]
Path = tuple[str | int, ...]

#: Leave a value out of the document (an optional field left empty).
EMPTY = None

_SCALAR_REFS: dict[str, Kind] = {"money": "money", "percent": "percent"}
_STRUCTURE_REFS = frozenset({"name"})


@dataclass(frozen=True)
class Field:
    """One value a person may set. ``label`` and ``hint`` are the schema's Dutch texts (msgids for the app);
    ``value`` is the document's value, or None where the document leaves it out; ``subject`` names the entry of
    a mapping the value belongs to (the client group of a price)."""

    path: Path
    kind: Kind
    label: str
    hint: str | None
    required: bool
    value: Any
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    exclusive_minimum: bool = False
    subject: str | None = None

    @property
    def name(self) -> str:
        """The form input's name: the path, which holds only schema names and indices, joined by dashes."""
        return "pm-" + "-".join(map(str, self.path))

    @property
    def where(self) -> str:
        """The path as the model's own problems name it (``rules[0].amount.amount``)."""
        return model_path(self.path)


@dataclass(frozen=True)
class Fixed:
    """A value of the model's structure, shown beside the fields for context."""

    label: str
    value: str


@dataclass(frozen=True)
class Group:
    """A part of the model: the document itself, a rule, a band. ``name`` tells one item of a list from the
    next (a rule's label, a milestone's key, a band's number)."""

    path: Path
    title: str | None
    name: str | None
    hint: str | None = None
    fields: tuple[Field, ...] = ()
    fixed: tuple[Fixed, ...] = ()
    groups: tuple[Group, ...] = field(default_factory=tuple)

    @property
    def where(self) -> str:
        return model_path(self.path)

    def all_fields(self) -> Iterator[Field]:
        yield from self.fields
        for group in self.groups:
            yield from group.all_fields()

    def all_groups(self) -> Iterator[Group]:
        yield self
        for group in self.groups:
            yield from group.all_groups()


# --- reading the schema ---------------------------------------------------------------------------


def _resolve(node: Any) -> tuple[dict[str, Any], str | None]:
    """The schema node behind a local ``$ref`` (with the ref's own annotations kept), and the definition's name."""
    if not isinstance(node, dict) or "$ref" not in node:
        return (node if isinstance(node, dict) else {}), None
    ref_name = str(node["$ref"]).rsplit("/", 1)[-1]
    target, inner = _resolve(schema()["$defs"][ref_name])
    merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return merged, inner or ref_name


def _properties(node: dict[str, Any], instance: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """The properties an object may have and those it must have, with the branches of ``allOf``/``if``/``then``
    that apply to this instance merged in (a rule's fields depend on its type). ``true`` in a branch only
    allows a property described elsewhere."""
    props = dict(node.get("properties", {}))
    required = set(node.get("required", ()))
    for part in node.get("allOf", ()):
        if "if" in part and Draft202012Validator(part["if"]).is_valid(instance):
            then, _name = _resolve(part.get("then", {}))
            props.update({k: v for k, v in then.get("properties", {}).items() if v is not True})
            required |= set(then.get("required", ()))
    return props, required


def _kind(node: dict[str, Any], ref: str | None, key: str) -> Kind | None:
    """What the form makes of a value, or None when it is structure (or an object or list, walked instead)."""
    if node.get("readOnly") or "const" in node or ref in _STRUCTURE_REFS:
        return None
    if ref in _SCALAR_REFS:
        return _SCALAR_REFS[ref]
    if "enum" in node:
        return "choice"
    kind = node.get("type")
    if kind == "array":
        items, _ref = _resolve(node.get("items", {}))
        return "choices" if "enum" in items else None
    if kind == "string":
        return "longtext" if key == "description" else "text"
    if kind == "integer":
        return "integer"
    if kind == "number":
        return "number"
    return None


def _field(path: Path, node: dict[str, Any], kind: Kind, required: bool, value: Any,
           subject: str | None = None) -> Field:
    choices: tuple[str, ...] = ()
    if kind == "choice":
        choices = tuple(node["enum"])
    elif kind == "choices":
        choices = tuple(_resolve(node["items"])[0]["enum"])
    low = node.get("minimum", node.get("exclusiveMinimum"))
    return Field(path=path, kind=kind, label=node.get("title") or str(path[-1]),
                 hint=node.get("description"), required=required, value=value, choices=choices,
                 minimum=0 if kind in ("money", "percent") else low,
                 exclusive_minimum="exclusiveMinimum" in node, subject=subject)


def _item_name(instance: Any, fallback: str) -> str:
    if isinstance(instance, dict):
        for key in ("label", "description", "name"):
            if isinstance(instance.get(key), str) and instance[key].strip():
                return str(instance[key])
    return fallback


def _object(path: Path, node: dict[str, Any], instance: dict[str, Any], title: str | None,
            name: str | None) -> Group:
    props, required = _properties(node, instance)
    fields: list[Field] = []
    fixed: list[Fixed] = []
    groups: list[Group] = []
    for key, raw in props.items():
        sub, ref = _resolve(raw)
        here = (*path, key)
        kind = _kind(sub, ref, key)
        present = key in instance
        if kind is not None:
            fields.append(_field(here, sub, kind, key in required, instance.get(key)))
        elif not present or "const" in sub:
            continue  # an optional structure (added in the JSON), or the one value the schema allows
        elif sub.get("type") == "object" and "additionalProperties" in sub and "properties" not in sub:
            groups.append(_mapping(here, sub, instance[key]))
        elif sub.get("type") == "array" and _resolve(sub.get("items"))[0].get("type") == "object":
            groups.append(_array(here, sub, instance[key]))
        elif isinstance(instance[key], dict):
            groups.append(_object(here, sub, instance[key], sub.get("title") or key, None))
        else:
            value = instance[key]
            shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            fixed.append(Fixed(label=sub.get("title") or key, value=shown))
    return Group(path=path, title=title, name=name, hint=node.get("description"), fields=tuple(fields),
                 fixed=tuple(fixed), groups=tuple(groups))


def _array(path: Path, node: dict[str, Any], items: list[Any]) -> Group:
    item_node, _ref = _resolve(node["items"])
    children = []
    for i, item in enumerate(items):
        if isinstance(item, dict):
            children.append(_object((*path, i), item_node, item, item_node.get("title"), _item_name(item, str(i + 1))))
    return Group(path=path, title=node.get("title"), name=None, hint=node.get("description"), groups=tuple(children))


def _mapping(path: Path, node: dict[str, Any], entries: dict[str, Any]) -> Group:
    value_node, ref = _resolve(node["additionalProperties"])
    kind = _kind(value_node, ref, "")
    fields, children = [], []
    for key, value in entries.items():
        if kind is not None:
            fields.append(_field((*path, key), value_node, kind, True, value, subject=key))
        elif isinstance(value, dict):
            children.append(_object((*path, key), value_node, value, value_node.get("title"), _item_name(value, key)))
    return Group(path=path, title=node.get("title"), name=None, hint=node.get("description"), fields=tuple(fields),
                 groups=tuple(children))


def form_of(document: dict[str, Any]) -> Group:
    """The form for a valid payment model document: its groups and fields, in the schema's order."""
    root = _object((), schema(), document, None, None)
    return Group(path=(), title=None, name=None, fields=root.fields, fixed=root.fixed, groups=root.groups)


# --- writing values back ------------------------------------------------------------------------


def _plain(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 12.50 → "12.5", 70 → "70"."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _same(old: Any, new: Any, kind: Kind) -> bool:
    if old is None:
        return False
    if kind in ("money", "percent", "number"):
        try:
            return Decimal(str(old)) == Decimal(str(new))
        except (InvalidOperation, ValueError):
            return False
    if kind == "choices":
        return isinstance(old, list) and sorted(map(str, old)) == sorted(map(str, new))
    return bool(old == new)


def _written(new: Any, kind: Kind) -> Any:
    """A value as the schema writes it. An amount with more than two decimals is written as typed, so that the
    schema refuses it at its field instead of it being rounded unseen."""
    if kind == "money":
        exponent = new.as_tuple().exponent
        return format(new.quantize(Decimal("0.01")), "f") if isinstance(exponent, int) and exponent >= -2 \
            else format(new, "f")
    if kind == "percent":
        return _plain(new)
    if kind == "number":
        # An hour count is a JSON number; it is no amount of money, and the schema reads it as such.
        return int(new) if new == new.to_integral_value() else float(new)
    if kind == "choices":
        return list(new)
    return new


def _container(document: Any, path: Path) -> Any:
    node = document
    for part in path[:-1]:
        node = node[part]
    return node


def apply(document: dict[str, Any], values: Mapping[Path, Any]) -> dict[str, Any]:
    """A copy of ``document`` with ``values`` (by field path) written in. A value is what the form read: a
    ``Decimal`` for amounts, percentages and numbers, an ``int``, a ``str``, a list of choices, or
    :data:`EMPTY` to leave an optional value out. A path not in ``values``, an empty required value and a value
    that means what the document already says leave the document as it was."""
    out = copy.deepcopy(document)
    for spec in form_of(document).all_fields():
        if spec.path not in values:
            continue
        new = values[spec.path]
        if isinstance(new, str):  # a browser sends a textarea's line breaks as CRLF
            new = new.replace("\r\n", "\n").strip()
        parent = _container(out, spec.path)
        key = spec.path[-1]
        if new is EMPTY or new == "" or (spec.kind == "choices" and not new):
            if not spec.required and isinstance(parent, dict):
                parent.pop(key, None)
            continue
        if _same(spec.value, new, spec.kind):
            continue
        parent[key] = _written(new, spec.kind)
    return out


# --- translation catalogue --------------------------------------------------------------------------


def schema_texts(node: Any = None) -> Iterator[str]:
    """Every ``title`` and ``description`` in the schema: the Dutch texts the form shows."""
    node = schema() if node is None else node
    if isinstance(node, dict):
        for key in ("title", "description"):
            if isinstance(node.get(key), str):
                yield node[key]
        for value in node.values():
            yield from schema_texts(value)
    elif isinstance(node, list):
        for value in node:
            yield from schema_texts(value)


def extract_schema_messages(fileobj: IO[bytes], keywords: object, comment_tags: object,
                            options: object) -> Iterator[tuple[int, None, str, list[str]]]:
    """A Babel extractor: the schema's labels and help enter the app's catalogue, so the form reads in English
    as every other form does."""
    for text in schema_texts(json.load(fileobj)):
        yield 0, None, text, []

