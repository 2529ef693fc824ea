"""Taking the mapping engine's N-Quads into the workspace: only into the graph of the source that made them.

Each source's staged mapping writes into a graph named with a nonce drawn for this build
(`staging_graph`), which no export can know in advance. A quad is accepted only when its graph is the
nonce graph of a source being loaded; it is then written into that source's real graph. Lines the
store cannot parse (an invalid IRI a function still produced) are matched to the row whose subject
they start with, which is quarantined with the text named; a line that matches no row fails the build.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from cxgraph import faults
from cxgraph.errors import CxGraphError
from cxgraph.xsd import PATTERNS, XSD, ill_typed

JUDGED = {XSD + name for name in PATTERNS}

CHUNK_LINES = 200_000
_SUBJECT = re.compile(rb"^\s*<([^<>\s]*)>")


@dataclass
class BadLine:
    """An N-Quads line the store refused, and the subject (row) it came from if known."""

    file: Path
    line: int
    text: str
    error: str
    subject: str | None = None


@dataclass
class Ingested:
    """Per source: quads written and the distinct subjects they have (to count rows in the graph)."""

    triples: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    subjects: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    bad_lines: list[BadLine] = field(default_factory=list)
    ill_typed: dict[str, list[ox.Quad]] = field(default_factory=lambda: defaultdict(list))  # source -> examples


def _chunks(path: Path) -> Iterator[tuple[int, list[bytes]]]:
    """(first line number, lines) in chunks, so a bad line costs a re-parse of one chunk only."""
    with path.open("rb") as handle:
        first, lines = 1, []
        for number, line in enumerate(handle, start=1):
            lines.append(line)
            if len(lines) >= CHUNK_LINES:
                yield first, lines
                first, lines = number + 1, []
        if lines:
            yield first, lines


def _parse(data: bytes) -> list[ox.Quad]:
    return list(ox.parse(data, format=ox.RdfFormat.N_QUADS))


def ingest(outputs: list[Path], sources: dict[str, str], targets: dict[str, str], store: ox.Store,
           known_subject: set[str] | None = None) -> Ingested:
    """Write every quad of `outputs` into `store`, moving it from its nonce graph to its source's graph.

    `sources` maps nonce graph -> source name; `targets` source name -> real graph IRI. A quad in any
    other graph (or the default graph) is an error naming file and line: a value tried to choose its
    graph. `known_subject`: subjects that rows produce, to attribute an unparsable line to its row.
    """
    done = Ingested()
    graphs = {nonce: (name, ox.NamedNode(targets[name])) for nonce, name in sources.items()}

    def accept(quads: list[ox.Quad], path: Path, first: int) -> Iterator[ox.Quad]:
        for offset, quad in enumerate(quads):
            graph = quad.graph_name
            entry = graphs.get(graph.value) if isinstance(graph, ox.NamedNode) else None
            if entry is None:
                raise CxGraphError(f"the mapping output puts a quad into graph {graph} instead of a source graph "
                                   f"(near line {first + offset}); refusing the whole load", path)
            name, target = entry
            done.triples[name] += 1
            if isinstance(quad.subject, ox.NamedNode):
                done.subjects[name].add(quad.subject.value)
            obj = quad.object
            if isinstance(obj, ox.Literal):
                datatype = obj.datatype.value
                if datatype in JUDGED and ill_typed(obj.value, datatype):
                    done.ill_typed[name].append(quad)
            yield ox.Quad(quad.subject, quad.predicate, quad.object, target)

    for path in outputs:
        for first, lines in _chunks(path):
            try:
                quads = _parse(b"".join(lines))
            except SyntaxError:
                quads = []
                for number, line in enumerate(lines, start=first):
                    try:
                        quads += _parse(line)
                    except SyntaxError as exc:
                        done.bad_lines.append(_bad(path, number, line, exc, known_subject))
            store.bulk_extend(accept(quads, path, first))
            faults.point("ingest-chunk")
    for name, found in done.ill_typed.items():
        example = found[0]
        raise CxGraphError(f"source {name!r}: the mapping wrote {len(found)} ill-typed literal(s), e.g. "
                           f"{example.object} for <{example.predicate.value}> of {example.subject}: give the "
                           "field the contract type that matches the datatype (or the datatype that matches the "
                           "values); nothing was replaced")
    unattributed = [b for b in done.bad_lines if b.subject is None]
    if unattributed:
        bad = unattributed[0]
        raise CxGraphError(f"the mapping engine wrote a line the store cannot read ({bad.error}) that no source "
                           f"row can be found for: {bad.text[:200]!r}", bad.file, bad.line)
    return done


def _bad(path: Path, number: int, line: bytes, exc: SyntaxError, known: set[str] | None) -> BadLine:
    match = _SUBJECT.match(line)
    subject = match.group(1).decode("utf-8", errors="replace") if match else None
    if known is not None and subject not in known:
        subject = None
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else "syntax error"
    return BadLine(path, number, line.decode("utf-8", errors="replace").rstrip("\n"), message, subject)
