"""The shapes of a SHACL shapes graph as plain objects, and SHACL property paths as SPARQL path text.

This is what `shacl_sparql` compiles: it reads the shapes graph once (rdflib, as pySHACL does) so that the
compiler never walks RDF lists or blank nodes itself. A shape keeps its node in the shapes graph, which is
what a validation report names as sh:sourceShape and sh:resultPath.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import rdflib
from rdflib import RDF, RDFS, BNode, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, SH, XSD
from rdflib.term import Node

from cxgraph.errors import CxGraphError

# Parameters of the SHACL Core constraint components this engine compiles (SHACL 1.0, section 4).
VALUE_PARAMETERS = (SH["class"], SH.datatype, SH.nodeKind, SH.minExclusive, SH.minInclusive, SH.maxExclusive,
                    SH.maxInclusive, SH.minLength, SH.maxLength, SH.pattern, SH.languageIn, SH["in"], SH.node,
                    SH["not"], SH["and"], SH["or"], SH.xone)
FOCUS_PARAMETERS = (SH.minCount, SH.maxCount, SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals,
                    SH.uniqueLang, SH.hasValue, SH.closed, SH.qualifiedValueShape)
TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)


@dataclass(eq=False)
class Shape:
    """One node or property shape: its targets, its path (property shapes), and its constraint parameters."""

    node: Node
    path: Node | None = None
    severity: URIRef = SH.Violation
    messages: tuple[Literal, ...] = ()
    deactivated: bool = False
    targets: list[tuple[URIRef, Node]] = field(default_factory=list)  # (target predicate, its object)
    values: list[tuple[URIRef, object]] = field(default_factory=list)  # value-node constraints, in order
    focus: list[tuple[URIRef, object]] = field(default_factory=list)  # constraints on the whole value set
    properties: list[Shape] = field(default_factory=list)  # sh:property
    sparql: list[SparqlConstraint] = field(default_factory=list)
    pattern_flags: str = ""
    closed_allowed: tuple[URIRef, ...] = ()
    qualified: tuple[Shape, int | None, int | None] | None = None

    @property
    def is_property_shape(self) -> bool:
        return self.path is not None


@dataclass(frozen=True)
class SparqlConstraint:
    """An sh:sparql constraint: its SELECT text with the prefixes it declares, and its own messages."""

    node: Node
    select: str
    prefixes: tuple[tuple[str, str], ...]
    messages: tuple[Literal, ...]


def shape_nodes(graph: rdflib.Graph) -> Iterator[Node]:
    """Every node the shapes graph uses as a shape (SHACL 2.1): typed as one, targeting, or referenced as one."""
    seen: set[Node] = set()
    candidates: list[Node] = []
    for kind in (SH.NodeShape, SH.PropertyShape):
        candidates += graph.subjects(RDF.type, kind)
    for predicate in TARGETS:
        candidates += graph.subjects(predicate, None)
    for predicate in (SH.node, SH.property, SH.qualifiedValueShape, SH["not"]):
        candidates += graph.objects(None, predicate)
    for predicate in (SH["and"], SH["or"], SH.xone):
        for head in graph.objects(None, predicate):
            candidates += list(Collection(graph, head))
    for node in candidates:
        if node not in seen:
            seen.add(node)
            yield node


class ShapesModel:
    """The shapes of one shapes graph, each read once; `top` are those with targets (SHACL 2.1.3)."""

    def __init__(self, graph: rdflib.Graph) -> None:
        self.graph = graph
        self.shapes: dict[Node, Shape] = {}
        _refuse_unsupported(graph)
        for node in shape_nodes(graph):
            self.shape(node)
        self.parents: dict[Node, list[Shape]] = {}
        for shape in self.shapes.values():
            for child in shape.properties:
                self.parents.setdefault(child.node, []).append(shape)

    def shape(self, node: Node) -> Shape:
        """The shape at `node`, read on first use (shapes may refer to each other in any order)."""
        if node in self.shapes:
            return self.shapes[node]
        g = self.graph
        shape = Shape(node)
        self.shapes[node] = shape
        path = g.value(node, SH.path)
        shape.path = path
        shape.severity = g.value(node, SH.severity) or SH.Violation  # type: ignore[assignment]
        shape.messages = tuple(m for m in g.objects(node, SH.message) if isinstance(m, Literal))
        shape.deactivated = _true(g.value(node, SH.deactivated))
        for predicate in TARGETS:
            shape.targets += [(predicate, o) for o in g.objects(node, predicate)]
        if (node, RDF.type, RDFS.Class) in g or (node, RDF.type, OWL.Class) in g:  # implicit class target
            shape.targets.append((SH.targetClass, node))
        for parameter in VALUE_PARAMETERS:
            for value in g.objects(node, parameter):
                shape.values.append((parameter, self._parameter(parameter, value)))
        flags = g.value(node, SH.flags)
        shape.pattern_flags = str(flags) if flags is not None else ""
        for parameter in FOCUS_PARAMETERS:
            for value in g.objects(node, parameter):
                if parameter == SH.qualifiedValueShape:
                    continue
                if parameter == SH.closed:
                    if _true(value):
                        ignored = g.value(node, SH.ignoredProperties)
                        own = [g.value(p, SH.path) for p in g.objects(node, SH.property)]
                        listed = list(Collection(g, ignored)) if ignored is not None else []
                        shape.closed_allowed = tuple(p for p in own + listed if isinstance(p, URIRef))
                        shape.focus.append((parameter, True))
                    continue
                if parameter == SH.uniqueLang and not _true(value):
                    continue
                shape.focus.append((parameter, _number(value) if parameter in (SH.minCount, SH.maxCount) else value))
        shape.properties = [self.shape(p) for p in g.objects(node, SH.property)]
        for child in shape.properties:
            if g.value(child.node, SH.path) is None:
                raise CxGraphError(f"shape {node}: its sh:property {child.node} has no sh:path")
        for constraint in g.objects(node, SH.sparql):
            if _true(g.value(constraint, SH.deactivated)):
                continue
            select = g.value(constraint, SH.select)
            if select is None:
                raise CxGraphError(f"the SPARQL constraint of shape {node} has no sh:select (only SELECT-based "
                                   "constraints are supported)")
            shape.sparql.append(SparqlConstraint(
                constraint, str(select), self._prefixes(constraint),
                tuple(m for m in g.objects(constraint, SH.message) if isinstance(m, Literal))))
        qualified = g.value(node, SH.qualifiedValueShape)
        if qualified is not None:
            low, high = g.value(node, SH.qualifiedMinCount), g.value(node, SH.qualifiedMaxCount)
            shape.qualified = (self.shape(qualified), _number(low) if low is not None else None,
                               _number(high) if high is not None else None)
            shape.focus.append((SH.qualifiedValueShape, qualified))
        return shape

    def siblings(self, shape: Shape) -> tuple[Shape, ...]:
        """The qualified value shapes of the sibling property shapes, when sh:qualifiedValueShapesDisjoint."""
        if not _true(self.graph.value(shape.node, SH.qualifiedValueShapesDisjoint)) or shape.qualified is None:
            return ()
        own = shape.qualified[0]
        out: list[Shape] = []
        for parent in self.graph.subjects(SH.property, shape.node):
            for sibling in self.graph.objects(parent, SH.property):
                q = self.graph.value(sibling, SH.qualifiedValueShape)
                if q is not None and q != own.node and sibling != shape.node:
                    out.append(self.shape(q))
        return tuple(out)

    def _parameter(self, parameter: URIRef, value: Node) -> object:
        if parameter in (SH["and"], SH["or"], SH.xone):
            return [self.shape(member) for member in Collection(self.graph, value)]
        if parameter in (SH["in"], SH.languageIn):
            return list(Collection(self.graph, value))
        if parameter in (SH.node, SH["not"]):
            return self.shape(value)
        if parameter in (SH.minLength, SH.maxLength):
            return _number(value)
        return value

    def _prefixes(self, constraint: Node) -> tuple[tuple[str, str], ...]:
        out: dict[str, str] = {}
        for ontology in self.graph.objects(constraint, SH.prefixes):
            for declaration in self.graph.objects(ontology, SH.declare):
                prefix = self.graph.value(declaration, SH.prefix)
                namespace = self.graph.value(declaration, SH.namespace)
                if prefix is not None and namespace is not None:
                    out[str(prefix)] = str(namespace)
        return tuple(sorted(out.items()))


def _refuse_unsupported(graph: rdflib.Graph) -> None:
    """SHACL-SPARQL features this engine does not run, refused by name rather than silently passed."""
    for predicate, what in ((SH.target, "SPARQL-based targets (sh:target)"),
                            (SH.validator, "SPARQL-based constraint components (sh:validator)"),
                            (SH.nodeValidator, "SPARQL-based constraint components (sh:nodeValidator)"),
                            (SH.propertyValidator, "SPARQL-based constraint components (sh:propertyValidator)")):
        for subject in graph.subjects(predicate, None):
            raise CxGraphError(f"{subject} uses {what}, which this engine does not run; validate with "
                               "--engine pyshacl")


def path_text(graph: rdflib.Graph, path: Node) -> str:
    """A SHACL property path (SHACL 2.3.1) as SPARQL 1.1 property path text."""
    if isinstance(path, URIRef):
        return f"<{path}>"
    if not isinstance(path, BNode):
        raise CxGraphError(f"{path!r} is not a SHACL property path")
    if graph.value(path, RDF.first) is not None:
        members = [path_text(graph, m) for m in Collection(graph, path)]
        if len(members) < 2:
            raise CxGraphError("a SHACL sequence path needs at least two members")
        return "(" + "/".join(members) + ")"
    for predicate, template in ((SH.inversePath, "^{}"), (SH.zeroOrMorePath, "{}*"), (SH.oneOrMorePath, "{}+"),
                                (SH.zeroOrOnePath, "{}?")):
        inner = graph.value(path, predicate)
        if inner is not None:
            text = path_text(graph, inner)
            return "(" + template.format(text if text.startswith(("(", "<")) else f"({text})") + ")"
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        members = [path_text(graph, m) for m in Collection(graph, alternatives)]
        if len(members) < 2:
            raise CxGraphError("a SHACL alternative path needs at least two members")
        return "(" + "|".join(members) + ")"
    raise CxGraphError(f"the blank node {path} is not a SHACL property path")


def _true(value: Node | None) -> bool:
    """Only the literal true switches a boolean parameter on (the W3C suite's uniqueLang-002: "1" does not)."""
    return isinstance(value, Literal) and str(value) == "true" and value.datatype == XSD.boolean


def _number(value: Node | None) -> int:
    if not isinstance(value, Literal) or not isinstance(value.toPython(), int):
        raise CxGraphError(f"{value!r} is not an integer where SHACL needs a count or a length")
    return int(value.toPython())
