"""Reading the records of a JSON export one top-level array item at a time, not the whole document at once.

An export is one document, `{"events": [ ... ]}`, whose array grows with the enterprise: parsed whole it took
3.7 times its size in memory (125 MiB of carrier events -> 467 MiB at 100,000 customers), and the contract
check and staging each parsed it whole. Here the document's text is walked with the standard library's own
decoder, each item of an array an iterator reads parsed on its own (`JSONDecoder.raw_decode`), so only one
item is ever held as objects. The records and their order are those `records.iterate_json` reaches in the
document parsed whole; a document that is not valid JSON raises the message `json.loads` gives for it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Generator, Iterator
from decimal import Decimal
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any

Pointer = tuple[Any, ...]
Found = list[tuple[Pointer, Any]]  # the records one iterator reaches in one chunk, in document order

_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder(parse_float=Decimal)  # decimals as written, as records.read_file reads them


class ExportProblem(Exception):
    """Why an export cannot be read as a whole (found while its records were read): its message, and the line it
    names (None: no line)."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def iterate_json(document: Any, tokens: list[str | None], prefix: Pointer = ()) -> Iterator[tuple[Pointer, Any]]:
    """Yield (pointer, node) for every node the iterator reaches from `document` (found at `prefix`)."""
    frontier: list[tuple[Pointer, Any]] = [(prefix, document)]
    for token in tokens:
        nxt: list[tuple[Pointer, Any]] = []
        for pointer, node in frontier:
            if token is None:
                if isinstance(node, list):
                    nxt.extend(((*pointer, i), item) for i, item in enumerate(node))
            elif isinstance(node, dict) and token in node:
                nxt.append(((*pointer, token), node[token]))
        frontier = nxt
    yield from frontier


def syntax_problem(text: str) -> ExportProblem | None:
    """The problem `json.loads` finds in a whole document, as reports give it (None: it reads)."""
    try:
        json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        # a string still open at the end of the file is reported where it starts
        ends_early = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        truncated = " (the file ends too early: truncated?)" if ends_early else ""
        return ExportProblem(f"JSON syntax error: {exc.msg}{truncated}", exc.lineno)
    except RecursionError:
        return ExportProblem("JSON nested too deeply to read", None)
    except ValueError as exc:  # an integer of more digits than Python converts (sys.set_int_max_str_digits)
        return ExportProblem(f"JSON value cannot be read: {exc}", None)
    return None


def json_chunks(text: str, iterators: list[list[str | None]],
                reached: Callable[[int], None] | None = None) -> Iterator[list[Found]]:
    """The records each iterator reaches, a chunk at a time: per item of the top-level array the iterators
    step into (`$[*]...`, or `$.name[*]...` for one name of a top-level object), else the whole document as
    one chunk. Each chunk lists, per iterator, the records it reaches there; `reached` hears where in the text
    each chunk ends (for progress).

    Raises ExportProblem when the document is not valid JSON (after the chunks before the fault: a caller that
    keeps nothing of a refused file must wait for the end), and when a name read at the top level is there twice
    (`json.loads` keeps the last, so the records under the first would be lost without a word).
    """
    try:
        yield from _chunks(text, iterators, reached or _nowhere)
    except _Twice as twice:  # a syntax error further on is the first thing to mend
        raise syntax_problem(text) or ExportProblem(str(twice), None) from None
    except (_Malformed, RecursionError, ValueError):  # (json.JSONDecodeError is a ValueError)
        problem = syntax_problem(text)
        if problem is None:  # not expected: the walk stopped where the whole parse does not
            raise ExportProblem("JSON syntax error: the document could not be read item by item", None) from None
        raise problem from None


class _Twice(Exception):
    """A name the iterators read is at the top level twice."""


class _Malformed(Exception):
    """The walk met text that is not JSON; `syntax_problem` says how, in json's own words."""


def _nowhere(at: int) -> None:
    """No one is told how far the walk has come."""


def _space(text: str, at: int) -> int:
    found = _SPACE.match(text, at)
    return found.end() if found else at


def _expect(text: str, at: int, char: str) -> int:
    if text[at:at + 1] != char:
        raise _Malformed
    return _space(text, at + 1)


def _chunks(text: str, iterators: list[list[str | None]], reached: Callable[[int], None]) -> Iterator[list[Found]]:
    at = _space(text, 0)
    opening = text[at:at + 1]
    if opening == "[" and iterators and all(t[:1] == [None] for t in iterators):
        end = yield from _items(text, at, (), [t[1:] for t in iterators], list(range(len(iterators))),
                                len(iterators), reached)
    elif opening == "{" and iterators and all(t and isinstance(t[0], str) for t in iterators):
        end = yield from _object(text, at, iterators, reached)
    else:  # a document no iterator steps into item by item: read whole
        document = json.loads(text, parse_float=Decimal)
        reached(len(text))
        yield [list(iterate_json(document, tokens)) for tokens in iterators]
        return
    if _space(text, end) != len(text):
        raise _Malformed  # "Extra data"


def _items(text: str, at: int, prefix: Pointer, rests: list[list[str | None]], which: list[int],
           width: int, reached: Callable[[int], None]) -> Generator[list[Found], None, int]:
    """Each item of the array opening at `at`, as a chunk: iterator `which[k]` reads `rests[k]` inside an item,
    the other iterators of the `width` nothing. Returns where the array ends."""
    at = _space(text, at + 1)
    if text[at:at + 1] == "]":
        return at + 1
    index = 0
    while True:
        item, at = _DECODER.raw_decode(text, at)
        chunk: list[Found] = [[] for _ in range(width)]
        for rest, k in zip(rests, which, strict=True):
            chunk[k] = list(iterate_json(item, rest, (*prefix, index)))
        del item
        reached(at)
        yield chunk
        index += 1
        at = _space(text, at)
        if text[at:at + 1] == "]":
            return at + 1
        at = _expect(text, at, ",")


def _object(text: str, at: int, iterators: list[list[str | None]],
            reached: Callable[[int], None]) -> Generator[list[Found], None, int]:
    """Walk the top-level object: a name the iterators read with `[*]` next is streamed item by item, any other
    name they read is parsed whole, the rest parsed and dropped (`raw_decode` is the only way to find where a
    value ends). Returns where the object ends."""
    width = len(iterators)
    wanted = {t[0] for t in iterators}
    seen: set[str] = set()
    at = _space(text, at + 1)
    if text[at:at + 1] == "}":
        return at + 1
    while True:
        if text[at:at + 1] != '"':
            raise _Malformed
        name, at = scanstring(text, at + 1)
        at = _expect(text, _space(text, at), ":")
        if name not in wanted:
            at = _DECODER.raw_decode(text, at)[1]  # read past it, finding any fault in it as json.loads would
        else:
            if name in seen:
                raise _Twice(f"the document names {name!r} twice at its top level (a JSON reader keeps only "
                                  "the last, so the records under the first would be lost): export it once", None)
            seen.add(name)
            which = [k for k, t in enumerate(iterators) if t[0] == name]
            if text[at:at + 1] == "[" and all(len(iterators[k]) > 1 and iterators[k][1] is None for k in which):
                at = yield from _items(text, at, (name,), [list(iterators[k][2:]) for k in which], which, width,
                                        reached)
            else:
                value, at = _DECODER.raw_decode(text, at)
                chunk: list[Found] = [[] for _ in range(width)]
                for k in which:
                    chunk[k] = list(iterate_json(value, iterators[k][1:], (name,)))
                del value
                reached(at)
                yield chunk
        at = _space(text, at)
        if text[at:at + 1] == "}":
            return at + 1
        at = _expect(text, at, ",")
