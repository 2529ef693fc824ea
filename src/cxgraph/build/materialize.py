"""Data reasoning: materialize the entailments queries rely on into the graph `graph/inferred`.

What is materialized (the TBox is read from the ontology graph the build loads):
  * the subclass closure applied to the data: `x a C` and C ⊑ D gives `x a D`, where ⊑ follows
    rdfs:subClassOf, owl:equivalentClass (both ways), the conjuncts of an owl:intersectionOf and the
    members of an owl:unionOf, transitively;
  * the subproperty closure: `s p o` and p ⊑ q gives `s q o` (rdfs:subPropertyOf, owl:equivalentProperty);
  * defined classes, C ≡ (A ⊓ B ⊓ (p value v)): an individual meeting every conjunct is a C; so is an
    individual `x p v` when C ≡ (p value v).
Domains and ranges are not applied on purpose: they would type nodes from mistaken links and hide the
very errors the SHACL shapes look for.

Everything is SPARQL UPDATE with explicit GRAPH clauses over the store interface, so the same rules run
on the embedded store and on a remote SPARQL 1.1 store. Where a rule reads a known term in every data graph, it
names the graphs in a FILTER on `GRAPH ?g`, not a VALUES block: the store then reads the term once across
graphs instead of every graph whole (at 10,000 customers: the has-value rule 3.4 s -> 0.0 s, removing what
is asserted 6.3 s -> 2.5 s). They write into a staging graph; triples already
asserted in a data graph are removed from it; then it replaces the inferred graph in one update, so
queries never see a half-built inferred graph and source graphs are never written. Measured against owlrl
and reasonable in `benchmarks/bench_reasoning.py`.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import IO, cast

import pyoxigraph as ox

from cxgraph.errors import CxGraphError
from cxgraph.project import Project
from cxgraph.stores.embedded import GraphStore
from cxgraph.vocab import OWL, RDF, RDF_TYPE, RDFS, sparql_prologue

MAX_ROUNDS = 10

PREFIXES = sparql_prologue({"rdf": RDF, "rdfs": RDFS, "owl": OWL})

# One step up the class hierarchy, through anonymous class expressions; IRIs are kept at both ends.
CLASS_STEP = ("(rdfs:subClassOf|owl:equivalentClass|^owl:equivalentClass"
              "|owl:intersectionOf/rdf:rest*/rdf:first|^rdf:first/^rdf:rest*/^owl:unionOf)")
PROPERTY_STEP = "(rdfs:subPropertyOf|owl:equivalentProperty|^owl:equivalentProperty)"
TOP_CLASSES = "owl:Thing, rdfs:Resource, rdfs:Class, owl:Class"
TOP_PROPERTIES = "owl:topObjectProperty, owl:topDataProperty"

SUBPROPERTIES = PREFIXES + """
SELECT DISTINCT ?p ?super WHERE {{
  GRAPH <{ontology}> {{ ?p {property_step}+ ?super }}
  FILTER(isIRI(?p) && isIRI(?super) && ?p != ?super && ?super NOT IN ({top_properties}))
}} ORDER BY ?p ?super"""

# Run once per property with its superproperties, the property written in: as one update joined to the pairs
# above, the store read every quad of every data graph and held them (at 100,000 customers: 29 s and +4.4 GB,
# the build's peak, for 6,812 triples; per property 0.02 s at 10,000 customers).
SUBPROPERTY_RULE = PREFIXES + """
INSERT {{ GRAPH <{staging}> {{ ?s ?super ?o }} }}
WHERE {{
  VALUES ?super {{ {supers} }}
  GRAPH ?g {{ ?s {prop} ?o }} FILTER(?g IN ({data_list}))
}}"""

SUPERCLASSES = PREFIXES + """
SELECT DISTINCT ?class ?super WHERE {{
  GRAPH <{ontology}> {{ ?class {class_step}+ ?super }}
  FILTER(isIRI(?class) && isIRI(?super) && ?class != ?super && ?super NOT IN ({top_classes}))
}} ORDER BY ?class ?super"""

# Run once per class with its superclasses: the store holds an update's new triples in memory until it
# commits, and one update for every class at once held them all (the build peaked at 13.2 GB during it at
# 100,000 customers).
_SUBCLASS_WHERE = """
WHERE {{
  VALUES ?super {{ {supers} }}
  GRAPH ?g {{ ?x a {cls} }} FILTER(?g IN ({data_list}, <{staging}>))
}}"""
SUBCLASS_RULE = PREFIXES + "INSERT {{ GRAPH <{staging}> {{ ?x a ?super }} }}" + _SUBCLASS_WHERE

# A conjunct ?m is met by ?x when ?x has the named class ?m, or the value that restriction ?m requires.
_MEETS = """{{
      {{ FILTER(isIRI(?m)) VALUES ?h {{ {data} <{staging}> }} GRAPH ?h {{ ?x a ?m }} }}
      UNION
      {{ GRAPH <{ontology}> {{ ?m owl:onProperty ?mp ; owl:hasValue ?mv }}
         VALUES ?h {{ {data} <{staging}> }} GRAPH ?h {{ ?x ?mp ?mv }} }}
    }}"""

INTERSECTION_RULE = PREFIXES + """
INSERT {{ GRAPH <{staging}> {{ ?x a ?class }} }}
WHERE {{
  GRAPH <{ontology}> {{ ?class owl:equivalentClass|^owl:equivalentClass ?expr . ?expr owl:intersectionOf ?list .
                       ?list rdf:first ?m }}
  FILTER(isIRI(?class) && ?class NOT IN ({top_classes}))
  FILTER NOT EXISTS {{ GRAPH <{ontology}> {{ ?list rdf:rest*/rdf:first ?other }}
                      FILTER(!isIRI(?other))
                      FILTER NOT EXISTS {{ GRAPH <{ontology}> {{ ?other owl:onProperty ?op ; owl:hasValue ?ov }} }} }}
  """ + _MEETS + """
  FILTER NOT EXISTS {{
    GRAPH <{ontology}> {{ ?list rdf:rest*/rdf:first ?need }}
    FILTER NOT EXISTS {{
      {{ FILTER(isIRI(?need)) VALUES ?k {{ {data} <{staging}> }} GRAPH ?k {{ ?x a ?need }} }}
      UNION
      {{ GRAPH <{ontology}> {{ ?need owl:onProperty ?np ; owl:hasValue ?nv }}
         VALUES ?k {{ {data} <{staging}> }} GRAPH ?k {{ ?x ?np ?nv }} }}
    }}
  }}
}}"""

HAS_VALUE_RULE = PREFIXES + """
INSERT {{ GRAPH <{staging}> {{ ?x a ?class }} }}
WHERE {{
  GRAPH <{ontology}> {{ ?class owl:equivalentClass|^owl:equivalentClass ?m .
                       ?m owl:onProperty ?mp ; owl:hasValue ?mv }}
  FILTER(isIRI(?class) && ?class NOT IN ({top_classes}))
  GRAPH ?h {{ ?x ?mp ?mv }} FILTER(?h IN ({data_list}, <{staging}>))
}}"""

HAS_DEFINED_CLASSES = PREFIXES + """
ASK {{ GRAPH <{ontology}> {{ ?class owl:equivalentClass|^owl:equivalentClass ?expr .
                            ?expr owl:intersectionOf|owl:hasValue ?x }} }}"""

# Entailments already asserted somewhere in the data are not repeated. Read from the staging side, every
# inferred triple is looked up in the data (96 s at 100,000 customers, to remove a few hundred of 5.3 million),
# so each inferred class is read from each data graph's side instead (`_remove_asserted`).
REMOVE_ASSERTED = """
DELETE {{ GRAPH <{staging}> {{ ?s ?p ?o }} }}
WHERE {{ GRAPH <{staging}> {{ ?s ?p ?o }} GRAPH ?g {{ ?s ?p ?o }} FILTER(?g IN ({data_list})) }}"""

# Every class the rules can type an individual with: a superclass of anything, a defined class included (one
# class step, owl:equivalentClass either way, leads from its definition to it).
INFERABLE_CLASSES = PREFIXES + """
SELECT DISTINCT ?class WHERE {{
  GRAPH <{ontology}> {{ ?sub {class_step}+ ?class }}
  FILTER(isIRI(?class) && ?class NOT IN ({top_classes}))
}} ORDER BY ?class"""

UPDATE_BYTES = 256_000  # the removal's operations per request

REMOVE_ASSERTED_TYPE = """DELETE {{ GRAPH <{staging}> {{ ?x a <{cls}> }} }}
WHERE {{ GRAPH <{graph}> {{ ?x a <{cls}> }} GRAPH <{staging}> {{ ?x a <{cls}> }} }}"""

REMOVE_ASSERTED_PROPERTY = """DELETE {{ GRAPH <{staging}> {{ ?s <{prop}> ?o }} }}
WHERE {{ GRAPH <{staging}> {{ ?s <{prop}> ?o }} GRAPH ?g {{ ?s <{prop}> ?o }} FILTER(?g IN ({data_list})) }}"""


def inferred_graph(project: Project) -> str:
    return project.graph_iri("inferred")


def data_graphs(store: GraphStore, project: Project) -> list[str]:
    """Every named graph the rules read: all but the ontology, the inferred graph, lineage and staging graphs."""
    return project.data_graphs(store.named_graphs(), provenance=True)


def _sparql(template: str, project: Project, staging: str, data: list[str], **terms: str) -> str:
    return template.format(
        staging=staging, ontology=project.graph_iri("ontology"), data=" ".join(f"<{g}>" for g in data),
        data_list=", ".join(f"<{g}>" for g in data), class_step=CLASS_STEP, property_step=PROPERTY_STEP,
        top_classes=TOP_CLASSES, top_properties=TOP_PROPERTIES, **terms)


def _remove_asserted(store: GraphStore, project: Project, staging: str, data: list[str]) -> None:
    """Take out of `staging` what a data graph asserts, in requests of UPDATE_BYTES: per inferable class and data
    graph, the graph's own instances of the class (few: the mappings type a record with its most specific class),
    and per superproperty the staging graph's few triples of it."""
    supers = {row["super"].value for row in store.query(_sparql(SUBPROPERTIES, project, staging, data))}
    if RDF_TYPE.value in supers:  # a property under rdf:type: its entailments can be any type at all
        store.update(_sparql(REMOVE_ASSERTED, project, staging, data))
        return
    classes = [row["class"].value for row in store.query(_sparql(INFERABLE_CLASSES, project, staging, data))]
    operations = [_sparql(REMOVE_ASSERTED_TYPE, project, staging, data, cls=cls, graph=graph)
                  for cls in classes for graph in data]
    operations += [_sparql(REMOVE_ASSERTED_PROPERTY, project, staging, data, prop=prop) for prop in sorted(supers)]
    batch: list[str] = []
    size = 0
    for operation in operations:  # requests of about 256 KB at most: a server may cap an update's body (1 MiB)
        if batch and size + len(operation) > UPDATE_BYTES:
            store.update(" ;\n".join(batch))
            batch, size = [], 0
        batch.append(operation)
        size += len(operation) + 3
    if batch:
        store.update(" ;\n".join(batch))


def _subproperty_closure(store: GraphStore, project: Project, staging: str, data: list[str]) -> None:
    """`s p o` and p ⊑ q gives `s q o`: one update per property p that has superproperties."""
    supers: dict[str, list[str]] = defaultdict(list)
    for row in store.query(_sparql(SUBPROPERTIES, project, staging, data)):
        supers[str(row["p"])].append(str(row["super"]))  # serialized IRIs: <...>
    for prop, above in supers.items():
        store.update(_sparql(SUBPROPERTY_RULE, project, staging, data, prop=prop, supers=" ".join(above)))


def _subclass_closure(store: GraphStore, project: Project, staging: str, data: list[str]) -> None:
    """`x a C` and C ⊑ D gives `x a D`: one update per class C that has superclasses (on a build's own
    workspace: one scan of the store's type index per class, written in batches)."""
    supers: dict[str, list[str]] = defaultdict(list)
    for row in store.query(_sparql(SUPERCLASSES, project, staging, data)):
        supers[str(row["class"])].append(str(row["super"]))  # serialized IRIs: <...>
    if getattr(store, "is_private", False):
        _subclass_scan(store, {cls[1:-1]: [s[1:-1] for s in above] for cls, above in supers.items()},
                       staging, data)
        return
    for cls, above in supers.items():
        store.update(_sparql(SUBCLASS_RULE, project, staging, data, cls=cls, supers=" ".join(above)))


SCAN_BYTES = 8 << 20  # N-Quads handed to the bulk loader at once (32 MB: 10% faster, 90 MiB more at 10,000 customers)
_INSTANCES = "SELECT ?x WHERE {{ GRAPH ?g {{ ?x a <{cls}> }} FILTER(?g IN ({graphs})) }}"


def _subclass_scan(store: GraphStore, supers: dict[str, list[str]], staging: str, data: list[str]) -> None:
    """The subclass rule on a build's own workspace, without a Python object per triple: the store writes each
    class's instances as TSV (one `<iri>` a line) into `_Supertypes`, which turns each line into an N-Quads line
    per superclass by a bytes replace for the bulk loader. As Python quads read from the type index and handed
    to the bulk loader (250,000 at a time) it took 9.4 s at 10,000 customers, most of the reasoning stage; as an
    update, the store held every new triple in memory until it committed (13.2 GB at 100,000 customers); as a SELECT
    and a load per class, 32 s. Streamed, what it holds does not grow with a class (2.1 million instances of one at
    100,000 customers)."""
    raw: ox.Store = store.raw  # type: ignore[attr-defined]
    graphs = ", ".join(f"<{g}>" for g in [*data, staging])
    sink = _Supertypes(store, staging)
    for cls, above in supers.items():
        result = raw.query(_INSTANCES.format(cls=cls, graphs=graphs))
        assert isinstance(result, ox.QuerySolutions)
        sink.start(above)
        result.serialize(cast(IO[bytes], sink), format=ox.QueryResultsFormat.TSV)  # write(), then flush()
        sink.end()
    sink.load()


BLANK_BATCH = 100_000  # blank-node types held as quads before they are loaded with the lines


class _Supertypes:
    """A file-like sink for the TSV of one class's instances at a time (the store writes it 8 KB at a time): every
    instance line becomes an N-Quads line per superclass, loaded once SCAN_BYTES are waiting, across classes
    (a load has a fixed cost: 85 classes loaded one by one took 32 s at 10,000 customers). A blank node goes as
    a quad, since a loader reading `_:label` would make a new node of it."""

    def __init__(self, store: GraphStore, staging: str) -> None:
        self.store, self.staging = store, staging
        self.raw: ox.Store = store.raw  # type: ignore[attr-defined]
        self.graph = ox.NamedNode(staging)
        self.suffixes: list[bytes] = []
        self.targets: list[ox.NamedNode] = []
        self.rest = b""
        self.header = True
        self.batch: list[bytes] = []
        self.size = 0
        self.blank: list[ox.Quad] = []
        self.loads = 0  # bulk loads of lines so far (tests count them)

    def start(self, above: list[str]) -> None:
        self.suffixes = [f" <{RDF_TYPE.value}> <{s}> <{self.staging}> .\n".encode() for s in above]
        self.targets = [ox.NamedNode(s) for s in above]
        self.rest, self.header = b"", True

    def write(self, data: bytes) -> int:
        text = self.rest + data
        cut = text.rfind(b"\n") + 1
        self.rest = text[cut:]
        lines = text[:cut]
        if self.header and lines:  # the first line names the variable
            lines, self.header = lines.partition(b"\n")[2], False
        self._take(lines)
        return len(data)

    def flush(self) -> None:
        """The store flushes its output at the end of each class: loading waits for SCAN_BYTES (`load`)."""

    def end(self) -> None:
        if self.rest and not self.header:  # a last line without its line end
            self._take(self.rest + b"\n")
        self.rest = b""

    def _take(self, lines: bytes) -> None:
        if lines.startswith(b"_:") or b"\n_:" in lines:
            rows = lines.split(b"\n")
            self.blank += [ox.Quad(ox.BlankNode(row[2:].decode()), RDF_TYPE, target, self.graph)
                           for row in rows if row.startswith(b"_:") for target in self.targets]
            lines = b"".join(row + b"\n" for row in rows if row and not row.startswith(b"_:"))
        for suffix in self.suffixes if lines else ():
            self.batch.append(lines.replace(b"\n", suffix))
            self.size += len(self.batch[-1])
        if self.size >= SCAN_BYTES or len(self.blank) >= BLANK_BATCH:
            self.load()

    def load(self) -> None:
        """Hand what is waiting to the bulk loader."""
        if self.batch:
            self.raw.bulk_load(b"".join(self.batch), format=ox.RdfFormat.N_QUADS, lenient=True)
            self.batch, self.size = [], 0
            self.loads += 1
        if self.blank:
            self.store.add_quads(self.blank)
            self.blank = []


def materialize(store: GraphStore, project: Project) -> dict[str, int]:
    """Rebuild the inferred graph from the ontology graph and every data graph; returns counts.

    Keys: `triples` (in the inferred graph now), `types` (of them rdf:type), `rounds` (defined-class
    rounds run), `milliseconds`. Call it after every load, once identity resolution has written.
    """
    started = time.perf_counter()
    ontology = project.graph_iri("ontology")
    if ontology not in store.named_graphs():
        raise CxGraphError("the store has no ontology graph to reason with; run `cxgraph build` first")
    data = data_graphs(store, project)
    staging = store.scratch_graph(project.staging_graph("inferred"), inferred_graph(project))
    if data:
        def run(template: str) -> None:
            store.update(_sparql(template, project, staging, data))

        _subproperty_closure(store, project, staging, data)
        _subclass_closure(store, project, staging, data)
        rounds = 0
        size = store.count(staging)
        defined = bool(store.query(_sparql(HAS_DEFINED_CLASSES, project, staging, data)))
        while defined and rounds < MAX_ROUNDS:  # defined classes can feed each other: stop when nothing is new
            rounds += 1
            run(HAS_VALUE_RULE)
            run(INTERSECTION_RULE)
            if store.count(staging) == size:  # nothing newly typed: the subclass closure already holds
                break
            _subclass_closure(store, project, staging, data)
            size = store.count(staging)
        _remove_asserted(store, project, staging, data)
    else:
        rounds = 0
    types = _count_types(store, staging)
    store.replace_graph(staging, inferred_graph(project))
    triples = store.count(inferred_graph(project))
    return {"triples": triples, "types": types, "rounds": rounds,
            "milliseconds": round((time.perf_counter() - started) * 1000)}


def _count_types(store: GraphStore, graph: str) -> int:
    rows = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s a ?c }} }}")
    return int(next(iter(rows))["n"].value)
