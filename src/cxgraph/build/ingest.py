"""Taking the mapping engine's N-Quads into the workspace: only into the graph of the source that made them.

Each source's staged mapping writes into a graph named with a nonce drawn for this build
(`staging_graph`), which no export can know in advance. A quad is accepted only when its graph is the
nonce graph of a source being loaded; it is then written into that source's real graph. Lines the
store cannot parse (an invalid IRI a function still produced) are matched to the row whose subject
they start with, which is quarantined with the text named; a line that matches no row fails the build.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from cxgraph import faults
from cxgraph.errors import CxGraphError
from cxgraph.progress import Tick, silent
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
    """Per source: quads written and the distinct subjects they have (to count rows in the graph).

    The IRIs are interned, as `SubjectRows` interns the subjects rows give: a subject is one string however
    many sets hold it (a copy per set was 40% of what a build held per source row)."""

    triples: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    subjects: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    # IRIs under `namespace` that quads have as their object, with the graphs that hold such quads: the
    # candidates for dangling links (a resource of the enterprise's namespace that nothing describes)
    objects: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    bad_lines: list[BadLine] = field(default_factory=list)
    ill_typed: dict[str, list[ox.Quad]] = field(default_factory=lambda: defaultdict(list))  # source -> examples

    def faults(self) -> tuple[int, int]:
        """Lines refused and literals found ill-typed so far: a file that added to them is kept to look at."""
        return len(self.bad_lines), sum(len(found) for found in self.ill_typed.values())


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


def ingest(outputs: Iterable[Path], sources: dict[str, str], targets: dict[str, str], store: ox.Store,
           known_subject: Container[str] | None = None, tick: Tick = silent, namespace: str | None = None,
           discard: bool = False) -> Ingested:
    """Write every quad of `outputs` into `store`, moving it from its nonce graph to its source's graph.

    `sources` maps nonce graph -> source name; `targets` source name -> real graph IRI. A quad in any
    other graph (or the default graph) is an error naming file and line: a value tried to choose its
    graph. `known_subject`: subjects that rows produce, to attribute an unparsable line to its row.
    `tick` hears the quads loaded against an estimate of all (from the bytes read so far of the files handed
    over so far: `outputs` may be files still being mapped). `namespace`: the object IRIs under it are
    gathered (`Ingested.objects`). `discard`: delete each file once all of it is in the store, so the mapped
    copies never sit beside the whole store on disk; one with a line refused or ill-typed stays to look at.
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
                done.subjects[name].add(sys.intern(quad.subject.value))
            obj = quad.object
            if namespace is not None and isinstance(obj, ox.NamedNode) and obj.value.startswith(namespace):
                done.objects[name].add(sys.intern(obj.value))
            if isinstance(obj, ox.Literal):
                datatype = obj.datatype.value
                if datatype in JUDGED and ill_typed(obj.value, datatype):
                    done.ill_typed[name].append(quad)
            yield ox.Quad(quad.subject, quad.predicate, quad.object, target)

    fast = _FastPath(sources, targets, namespace)
    size = read = loaded = 0
    for path in outputs:
        size += path.stat().st_size if path.exists() else 0
        faults_before = done.faults()
        for first, lines in _chunks(path):
            read += sum(len(line) for line in lines)
            loaded += len(lines)
            tick("load", loaded, max(loaded, round(loaded * size / max(read, 1))), "quads")
            if fast.load(lines, store, done):
                faults.point("ingest-chunk")
                continue
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
        if discard and done.faults() == faults_before:
            path.unlink(missing_ok=True)  # a file with a line the store refused stays, for the error naming it
    tick("load", loaded, loaded, "quads")
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


class _FastPath:
    """The common case without a Python object per quad: every line of a chunk is `... <nonce graph> .`.

    The nonce graph is rewritten to the source's graph in the bytes, subjects and ill-typed literals are read
    from the line, and the chunk goes to the store's bulk loader (about 10x the per-quad path). A chunk with
    any other line (another graph, no graph, anything unusual) returns False and takes the checked path,
    which names the line; so does a chunk the loader cannot parse (what it wrote is rewritten there anyway).
    """

    def __init__(self, sources: dict[str, str], targets: dict[str, str], namespace: str | None = None) -> None:
        self.graphs = {f"<{nonce}> .\n".encode(): (name, f"<{targets[name]}> .\n".encode())
                       for nonce, name in sources.items()}
        self.judged = {dt.encode() for dt in JUDGED}
        self.namespace = namespace.encode() if namespace is not None else None

    def load(self, lines: list[bytes], store: ox.Store, done: Ingested) -> bool:
        out: list[bytes] = []
        counts: dict[str, int] = defaultdict(int)
        subjects: dict[str, set[bytes]] = defaultdict(set)
        objects: dict[str, set[bytes]] = defaultdict(set)
        namespace = self.namespace
        ill: list[tuple[str, bytes]] = []
        for line in lines:
            if not line.startswith(b"<") or b"\\" in line:
                return False
            cut = line.rfind(b" <")
            entry = self.graphs.get(line[cut + 1:]) if cut > 0 else None
            if entry is None:
                return False
            name, target = entry
            counts[name] += 1
            subjects[name].add(line[1:line.index(b">")])
            head = line[:cut]
            if namespace is not None and head[-1:] == b">":  # an IRI object, or a typed literal
                start = head.rfind(b" <") + 2
                # no backslash here, so a quote anywhere means a literal (whose text may hold " <")
                if head.startswith(namespace, start) and b'"' not in head:
                    objects[name].add(head[start:-1])
            if head.endswith(b">") and (mark := head.rfind(b'"^^<')) > 0 and head[mark + 4:-1] in self.judged:
                start = head.find(b'> "', line.index(b">") + 1)
                if start < 0 or ill_typed(head[start + 3:mark].decode("utf-8"), head[mark + 4:-1].decode()):
                    ill.append((name, line))
            out.append(head + b" " + target)
        try:
            store.bulk_load(b"".join(out), format=ox.RdfFormat.N_QUADS)
        except (SyntaxError, ValueError):
            return False
        for name, count in counts.items():
            done.triples[name] += count
            done.subjects[name].update(sys.intern(s.decode("utf-8")) for s in subjects[name])
        for name, found in objects.items():
            done.objects[name].update(sys.intern(o.decode("utf-8")) for o in found)
        for name, line in ill:
            done.ill_typed[name] += _parse(line)
        return True


def _bad(path: Path, number: int, line: bytes, exc: SyntaxError, known: Container[str] | None) -> BadLine:
    match = _SUBJECT.match(line)
    subject = match.group(1).decode("utf-8", errors="replace") if match else None
    if known is not None and subject not in known:
        subject = None
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else "syntax error"
    return BadLine(path, number, line.decode("utf-8", errors="replace").rstrip("\n"), message, subject)
