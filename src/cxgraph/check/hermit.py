"""HermiT (Java, through owlready2) over the ontology's imports closure: consistency, satisfiability, inferences.

owlready2 does not read Turtle, so the closure merged by rdflib is handed over as N-Triples in memory
(its `owl:imports` dropped: the closure is already complete). HermiT accepts only the OWL 2 datatype map
(`xsd:date` stops it); the `unsupported-datatype` check catches that before, and a HermiT error becomes a
finding rather than a traceback. When the ontology is inconsistent, HermiT cannot say why, so each
individual is tried alone with the classes and properties to name the ones that cause it.
"""

from __future__ import annotations

import io
import re
import shutil
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from rdflib import OWL, RDF, RDFS, Graph, URIRef

from cxgraph.check.ontology_qc import Check, Finding
from cxgraph.errors import CxGraphError
from cxgraph.system import JDK

MAX_CULPRIT_RUNS = 20  # individuals tried one by one when the ontology is inconsistent
VOCABULARY = (str(OWL), str(RDF), str(RDFS))

CONSISTENCY = Check(
    "consistency", "The ontology is inconsistent", "ERROR",
    "HermiT finds no model of the imports closure: some individual (or the classes themselves) contradicts "
    "the axioms, and every conclusion would follow from it.")
UNSATISFIABLE = Check(
    "unsatisfiable-class", "A class can have no members (equivalent to owl:Nothing)", "ERROR",
    "HermiT infers that the class is equivalent to owl:Nothing, usually a subclass of two disjoint classes.")
REASONER_ERROR = Check(
    "reasoner-error", "HermiT could not reason over the ontology", "ERROR",
    "HermiT stopped with an error (for example a datatype outside the OWL 2 datatype map), so consistency "
    "and satisfiability are unknown.")
INFERRED_SUBCLASS = Check(
    "inferred-subclass", "HermiT infers a subclass relation that is not asserted", "INFO",
    "A named class is inferred to be a subclass of another although no chain of asserted rdfs:subClassOf "
    "(or owl:equivalentClass) says so: either intended (a defined class) or worth asserting or fixing.")
INFERRED_EQUIVALENCE = Check(
    "inferred-equivalence", "HermiT infers that two named classes are equivalent", "INFO",
    "Two named classes are inferred to have the same members although no axiom states it directly.")
REASONER_CHECKS = (CONSISTENCY, UNSATISFIABLE, REASONER_ERROR, INFERRED_SUBCLASS, INFERRED_EQUIVALENCE)


class JavaNotFound(CxGraphError):
    """HermiT needs a Java runtime on PATH."""


@dataclass
class Reasoning:
    """What HermiT said about the closure, and how long its classification took."""

    consistent: bool | None  # None when HermiT failed
    seconds: float
    unsatisfiable: list[URIRef] = field(default_factory=list)
    inferred_subclasses: list[tuple[URIRef, URIRef]] = field(default_factory=list)
    inferred_equivalences: list[tuple[URIRef, URIRef]] = field(default_factory=list)
    culprits: list[URIRef] = field(default_factory=list)  # individuals inconsistent on their own
    tbox_inconsistent: bool = False
    untried: int = 0  # individuals not tried (more than MAX_CULPRIT_RUNS)
    error: str | None = None
    runs: int = 1


def java() -> str:
    """The Java executable owlready2 will start, or a one-line reason why there is none."""
    import owlready2

    found = shutil.which(owlready2.JAVA_EXE)
    if not found:
        raise JavaNotFound(f"Java is not installed ({owlready2.JAVA_EXE!r} is not on PATH); HermiT needs a Java "
                           f"runtime: {JDK.install_hint}, or run with --no-reason")
    return found


class Inconsistent(Exception):
    pass


def ntriples(graph: Graph) -> bytes:
    """A merged closure as N-Triples for owlready2, without its owl:imports (the closure is already complete)."""
    data = Graph(bind_namespaces="none")
    for triple in graph:
        if triple[1] != OWL.imports:
            data.add(triple)
    return data.serialize(format="nt", encoding="utf-8")


def _hermit(graph: Graph) -> Any:
    return hermit_world(ntriples(graph))


def hermit_world(ntriples_data: bytes) -> Any:
    """Load N-Triples into a fresh owlready2 World and classify it with HermiT; the World, or Inconsistent."""
    import owlready2

    world = owlready2.World()
    world.get_ontology("urn:x-cxgraph:closure").load(fileobj=io.BytesIO(ntriples_data), format="ntriples")
    try:
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    except owlready2.OwlReadyInconsistentOntologyError:
        world.close()
        raise Inconsistent() from None
    return world


def java_message(text: str) -> str:
    """The exception line(s) of a Java error, without the stack trace."""
    lines = [line.strip() for line in text.splitlines()]
    start = next((i for i, line in enumerate(lines) if "Exception" in line or "Error" in line), 0)
    kept = []
    for line in lines[start:]:
        if line.startswith("at ") or not line:
            break
        kept.append(line)
    message = " ".join(kept) or text.strip()
    return re.sub(r"^(Java error message is:\s*)?Exception in thread \"main\"\s*", "", message)


def classify(graph: Graph) -> Reasoning:
    """Run HermiT over a merged closure: consistency, unsatisfiable classes, non-asserted subsumptions."""
    import owlready2

    java()
    started = time.perf_counter()
    try:
        world = _hermit(graph)
    except Inconsistent:
        result = Reasoning(consistent=False, seconds=time.perf_counter() - started)
        _find_culprits(graph, result)
        return result
    except owlready2.OwlReadyJavaError as exc:
        return Reasoning(consistent=None, seconds=time.perf_counter() - started, error=java_message(str(exc)))
    seconds = time.perf_counter() - started
    try:
        unsatisfiable = sorted(URIRef(c.iri) for c in world.inconsistent_classes() if c is not owlready2.Nothing)
        asserted = _asserted_superclasses(graph)
        subclasses, equivalences = set(), set()
        for sub, sup in world.sparql("SELECT ?a ?b WHERE { ?a rdfs:subClassOf ?b . FILTER(isIRI(?a) && isIRI(?b)) }"):
            a, b = URIRef(sub.iri), URIRef(sup.iri)
            if a != b and b != OWL.Thing and a not in unsatisfiable and b not in asserted[a]:
                subclasses.add((a, b))
        for one, other in world.sparql(
                "SELECT ?a ?b WHERE { ?a owl:equivalentClass ?b . FILTER(isIRI(?a) && isIRI(?b)) }"):
            a, b = sorted((URIRef(one.iri), URIRef(other.iri)))
            if a != b and OWL.Nothing not in (a, b) and not (b in asserted[a] and a in asserted[b]):
                equivalences.add((a, b))
    finally:
        world.close()
    return Reasoning(consistent=True, seconds=seconds, unsatisfiable=unsatisfiable,
                     inferred_subclasses=sorted(subclasses), inferred_equivalences=sorted(equivalences))


def _asserted_superclasses(graph: Graph) -> dict[URIRef, set[URIRef]]:
    """For each named class, every named class above it through asserted subClassOf / equivalentClass."""
    up: dict[URIRef, set[URIRef]] = defaultdict(set)
    for a, b in graph.subject_objects(RDFS.subClassOf):
        if isinstance(a, URIRef) and isinstance(b, URIRef):
            up[a].add(b)
    for a, b in graph.subject_objects(OWL.equivalentClass):
        if isinstance(a, URIRef) and isinstance(b, URIRef):
            up[a].add(b)
            up[b].add(a)
    closed: dict[URIRef, set[URIRef]] = defaultdict(set)
    for start in list(up):
        seen, todo = set(), list(up[start])
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(up.get(node, ()))
        closed[start] = seen
    return closed


def _individuals(graph: Graph) -> list[URIRef]:
    found = set()
    for s, kind in graph.subject_objects(RDF.type):
        if isinstance(s, URIRef) and (kind == OWL.NamedIndividual or not str(kind).startswith(VOCABULARY)):
            found.add(s)
    return sorted(found - set(graph.subjects(RDF.type, OWL.Ontology)))


def _find_culprits(graph: Graph, result: Reasoning) -> None:
    """Name the individuals that, alone with the classes and properties, make the ontology inconsistent."""
    individuals = _individuals(graph)
    tbox = Graph(bind_namespaces="none")
    for triple in graph:
        if triple[0] not in individuals:
            tbox.add(triple)
    result.runs += 1
    try:
        _hermit(tbox).close()
    except Inconsistent:
        result.tbox_inconsistent = True
        return
    for individual in individuals[:MAX_CULPRIT_RUNS]:
        alone = Graph(bind_namespaces="none")
        for triple in tbox:
            alone.add(triple)
        for s, p, o in graph.triples((individual, None, None)):
            alone.add((s, p, o))
            if o in individuals:
                for t in graph.triples((o, RDF.type, None)):
                    alone.add(t)
        result.runs += 1
        try:
            _hermit(alone).close()
        except Inconsistent:
            result.culprits.append(individual)
    result.untried = max(0, len(individuals) - MAX_CULPRIT_RUNS)


def reasoning_findings(result: Reasoning, top: URIRef) -> list[Finding]:
    """The reasoner's results as report rows (no file: they concern the closure as a whole)."""
    findings = []
    if result.error:
        findings.append(Finding(REASONER_ERROR.id, REASONER_ERROR.severity, top, message=result.error))
    if result.consistent is False:
        if result.culprits:
            findings += [Finding(CONSISTENCY.id, CONSISTENCY.severity, individual,
                                 message="this individual alone makes the ontology inconsistent")
                         for individual in result.culprits]
        elif result.tbox_inconsistent:
            findings.append(Finding(CONSISTENCY.id, CONSISTENCY.severity, top,
                                    message="the classes and properties are inconsistent even without individuals"))
        else:
            tried = "the first few" if result.untried else "each"
            findings.append(Finding(CONSISTENCY.id, CONSISTENCY.severity, top,
                                    message=f"no single individual explains it ({tried} was tried alone)"))
    findings += [Finding(UNSATISFIABLE.id, UNSATISFIABLE.severity, c, OWL.equivalentClass, OWL.Nothing)
                 for c in result.unsatisfiable]
    findings += [Finding(INFERRED_SUBCLASS.id, INFERRED_SUBCLASS.severity, a, RDFS.subClassOf, b)
                 for a, b in result.inferred_subclasses]
    findings += [Finding(INFERRED_EQUIVALENCE.id, INFERRED_EQUIVALENCE.severity, a, OWL.equivalentClass, b)
                 for a, b in result.inferred_equivalences]
    return findings
