"""YAML loading that remembers line numbers, so configuration errors can name the line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml

from cxgraph.errors import CxGraphError, read_utf8


class LineDict(dict):
    """A dict that knows the 1-based line of each key and of itself."""

    line: int = 0
    lines: dict[Any, int]


class LineList(list):
    """A list that knows the 1-based line where it starts and of each item."""

    line: int = 0
    lines: list[int]


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise CxGraphError(f"duplicate key {key!r}", line=key_node.start_mark.line + 1)
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(path: Path) -> Any:
    """Parse a YAML file, raising CxGraphError with file and line on any syntax error."""
    text = read_utf8(path)
    try:
        return yaml.load(text, Loader=_Loader)
    except CxGraphError as exc:
        raise CxGraphError(str(exc).split(": ", 1)[-1], path, exc.line) from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise CxGraphError(f"invalid YAML: {exc.problem}", path, line) from None


def line_of(node: Any, key: Any = None) -> int | None:
    """The line of `key` in a LineDict (or of the node itself), when known."""
    if key is not None and isinstance(node, LineDict):
        return node.lines.get(key, node.line)
    return getattr(node, "line", None)


def read_header(path: Path, what: str) -> tuple[str, Any, int]:
    """A `.rq` file's text, its `#+ ` YAML header (queries and ontology checks use the same form, as
    grlc's decorators do) and the number of header lines; malformed YAML names the file."""
    text = path.read_text(encoding="utf-8")
    lines = [line[3:] if line.startswith("#+ ") else line[2:] for line in text.splitlines() if line.startswith("#+")]
    try:
        header = yaml.safe_load("\n".join(lines)) or {}
    except yaml.YAMLError as exc:
        raise CxGraphError(f"{what} header is not valid YAML: {exc}", path) from None
    return text, header, len(lines)


T = TypeVar("T")


def parsed_once(path: Path, parse: Callable[[Path], T], cache: dict[str, tuple[bytes, T]]) -> T:
    """`parse(path)`, kept in `cache` with the content it was parsed from and parsed again only when the file
    changed (an edit of the same size too). Query and condition files with YAML headers are read on every
    policy evaluation and context pack, and parsing their headers was half of it. A parse of a file edited
    while it was read is returned but not kept. Shared: callers must not change the result."""
    key, content = str(path.resolve()), path.read_bytes()
    known = cache.get(key)
    if known is not None and known[0] == content:
        return known[1]
    parsed = parse(path)
    if path.read_bytes() == content:
        cache[key] = (content, parsed)
    return parsed
