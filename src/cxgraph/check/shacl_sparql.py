"""SHACL Core and SHACL-SPARQL compiled to SPARQL and run where the data is: on the store itself.

pySHACL walks an rdflib copy of the whole union, focus node by focus node: at 10k customers (3.4M quads)
it did not finish in 30 minutes. Here each constraint of each shape becomes one SELECT over the store that
returns exactly its violations (set-based, as Jena and TopBraid evaluate SHACL-SPARQL), so the store's
indexes and joins do the work and only results travel. The results are those of SHACL 1.0: one per value
node for value constraints, one per focus node for counts, with sh:sourceShape, sh:resultPath, sh:value,
sh:resultSeverity and sh:sourceConstraintComponent as a report names them.

Nested shapes (sh:node, sh:not, sh:and, sh:or, sh:xone, sh:qualifiedValueShape) compile to SPARQL boolean
expressions (EXISTS over the nested shape's violations), so a value node's conformance is decided in the
same query. SPARQL constraints pre-bind $this by joining their SELECT with the shape's focus nodes, which
equals substitution whenever the SELECT binds $this in a pattern (every constraint of the project's shapes
does). Not supported, and refused by name: recursive shapes, SPARQL constraints inside nested shapes,
$shapesGraph, and SPARQL-based constraint components.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import combinations, count
from typing import Any

import pyoxigraph as ox
import rdflib
from rdflib import RDF, BNode, Literal, URIRef
from rdflib.namespace import SH, XSD
from rdflib.term import Node

from cxgraph.check.shacl_model import Shape, ShapesModel, SparqlConstraint, path_text
from cxgraph.errors import CxGraphError
from cxgraph.progress import Tick, silent
from cxgraph.xsd import PATTERNS

Query = Callable[[str], Any]  # SPARQL text -> rows whose row["var"] is a pyoxigraph term or None

COMPONENTS: dict[URIRef, URIRef] = {
    SH["class"]: SH.ClassConstraintComponent, SH.datatype: SH.DatatypeConstraintComponent,
    SH.nodeKind: SH.NodeKindConstraintComponent, SH.minExclusive: SH.MinExclusiveConstraintComponent,
    SH.minInclusive: SH.MinInclusiveConstraintComponent, SH.maxExclusive: SH.MaxExclusiveConstraintComponent,
    SH.maxInclusive: SH.MaxInclusiveConstraintComponent, SH.minLength: SH.MinLengthConstraintComponent,
    SH.maxLength: SH.MaxLengthConstraintComponent, SH.pattern: SH.PatternConstraintComponent,
    SH.languageIn: SH.LanguageInConstraintComponent, SH["in"]: SH.InConstraintComponent,
    SH.node: SH.NodeConstraintComponent, SH["not"]: SH.NotConstraintComponent,
    SH["and"]: SH.AndConstraintComponent, SH["or"]: SH.OrConstraintComponent, SH.xone: SH.XoneConstraintComponent,
    SH.minCount: SH.MinCountConstraintComponent, SH.maxCount: SH.MaxCountConstraintComponent,
    SH.equals: SH.EqualsConstraintComponent, SH.disjoint: SH.DisjointConstraintComponent,
    SH.lessThan: SH.LessThanConstraintComponent, SH.lessThanOrEquals: SH.LessThanOrEqualsConstraintComponent,
    SH.uniqueLang: SH.UniqueLangConstraintComponent, SH.hasValue: SH.HasValueConstraintComponent,
    SH.closed: SH.ClosedConstraintComponent,
}
_KINDS = {
    SH.IRI: "isIRI({x})", SH.BlankNode: "isBlank({x})", SH.Literal: "isLiteral({x})",
    SH.BlankNodeOrIRI: "(isIRI({x}) || isBlank({x}))", SH.BlankNodeOrLiteral: "(isBlank({x}) || isLiteral({x}))",
    SH.IRIOrLiteral: "(isIRI({x}) || isLiteral({x}))",
}
_RANGES = {SH.minExclusive: ">", SH.minInclusive: ">=", SH.maxExclusive: "<", SH.maxInclusive: "<="}
# Lexical forms a datatype constraint checks (an ill-typed literal does not conform, SHACL 4.2.2), and the
# SPARQL casts that also reject impossible dates such as 2026-02-30.
_LEXICAL = {XSD[name]: pattern for name, pattern in PATTERNS.items()}
_CASTS = {XSD.date, XSD.dateTime}
_INTEGERS = {  # XSD 1.1 integer types (3.4.13-3.4.25) and their bounds; None: unbounded
    "integer": (None, None), "long": (-2**63, 2**63 - 1), "int": (-2**31, 2**31 - 1), "short": (-2**15, 2**15 - 1),
    "byte": (-128, 127), "nonNegativeInteger": (0, None), "positiveInteger": (1, None),
    "nonPositiveInteger": (None, 0), "negativeInteger": (None, -1), "unsignedLong": (0, 2**64 - 1),
    "unsignedInt": (0, 2**32 - 1), "unsignedShort": (0, 2**16 - 1), "unsignedByte": (0, 255),
}


@dataclass(frozen=True)
class Finding:
    """One validation result: what a sh:ValidationResult says, with data terms as pyoxigraph terms."""

    shape: Node
    focus: Any
    component: URIRef
    severity: URIRef
    path: Node | None = None
    value: Any = None
    messages: tuple[Literal, ...] = ()
    constraint: Node | None = None  # the sh:sparql node of a SPARQL constraint


@dataclass(frozen=True)
class Scope:
    """A subquery binding ?this to focus nodes, and the variables naming the route to each (sh:property)."""

    text: str
    routes: tuple[str, ...]
    subjects_of: str | None = None  # the scope is exactly the subjects of this predicate (sh:targetSubjectsOf)


@dataclass
class Screen:
    """The simple constraints of one shape checked in one pass over its focus nodes.

    `flags`: per value constraint, its component, the variable flagging a failing value, and the SELECT that
    lists its failing values (run only when some value fails); `min_count`/`max_count` are read from the
    number of values per focus node.
    """

    flags: list[tuple[URIRef, str, str]]
    min_count: int | None
    max_count: int | None


@dataclass
class Check:
    """One compiled SELECT and how its rows become findings."""

    shape: Shape
    component: URIRef
    text: str
    value: str | None = None  # the variable holding sh:value ("value", "this") or None
    path_var: bool = False  # rows bind ?path (closed shapes, SPARQL constraints)
    sparql: SparqlConstraint | None = None
    screen: Screen | None = None
    seconds: float = 0.0
    found: int = 0


class Compiler:
    """Compiles a shapes model to SELECT queries; class hierarchies are read from the data, once per class."""

    def __init__(self, model: ShapesModel, query: Query) -> None:
        self.model = model
        self.query = query
        self._subclasses: dict[Node, list[str]] = {}
        self._fresh = count(1)
        self._stack: list[Shape] = []
        self._patterns: set[tuple[str, str]] = set()  # sh:pattern (and flags) the store compiled

    # -- the checks --------------------------------------------------------------------------------------
    def checks(self) -> Iterator[Check]:
        """Every check of every shape that has focus nodes, in a stable order."""
        for shape in sorted(self.model.shapes.values(), key=lambda s: str(s.node)):
            if shape.deactivated:
                continue
            for scope in self.scopes(shape):
                yield from self._shape_checks(shape, scope)

    def scopes(self, shape: Shape, seen: tuple[Shape, ...] = ()) -> list[Scope]:
        """Subqueries binding ?this to the shape's focus nodes: one for its targets, and one for each route
        by which a shape with focus nodes reaches it as sh:property. A node reached by two routes (two
        parents, or one parent through two of its focus nodes) is validated, and reported, once per route, as
        SHACL 2.1 and the W3C suite say; the route variables keep those apart. Empty for a shape only used
        inside others."""
        if shape in seen:
            raise CxGraphError(f"shape {shape.node} is recursive (it is its own sh:property); SHACL leaves "
                               "recursive shapes undefined and this engine does not validate them")
        out = []
        branches = [b for b in (self._target(p, o) for p, o in shape.targets) if b]
        classes = [self.subclasses(o) for p, o in shape.targets if p == SH.targetClass]
        if len(shape.targets) == 1 and shape.targets[0][0] == SH.targetSubjectsOf and branches:
            out.append(Scope("{ SELECT DISTINCT ?this WHERE { " + branches[0] + " } }", (),
                             term(shape.targets[0][1])))
        elif len(shape.targets) == 1 and len(classes) == 1 and len(classes[0]) == 1:
            # one class and no subclass: each instance comes once, so no DISTINCT set is built (it costs a
            # hash of every focus node, 138k carrier events at 10,000 customers)
            out.append(Scope(f"?this a {classes[0][0]} .", ()))
        elif branches:
            out.append(Scope("{ SELECT DISTINCT ?this WHERE { " + " UNION ".join(f"{{ {b} }}" for b in branches)
                             + " } }", ()))
        for parent in self.model.parents.get(shape.node, []):
            if parent.deactivated:
                continue
            step = f"?focus {path_text(self.model.graph, parent.path)} ?this ." if parent.path is not None \
                else "BIND(?focus AS ?this)"
            for outer in self.scopes(parent, (*seen, shape)):
                route = f"?r{len(outer.routes)}"
                up = " ".join(outer.routes)
                text = (f"{{ SELECT DISTINCT ?this {up} {route} WHERE {{ {{ SELECT (?this AS {route}) {up} "
                        f"WHERE {{ {outer.text} }} }} {step.replace('?focus', route)} }} }}")
                out.append(Scope(text, (*outer.routes, route)))
        return out

    def _target(self, predicate: URIRef, node: Node) -> str | None:
        if predicate == SH.targetClass:
            return f"VALUES ?cls {{ {' '.join(self.subclasses(node))} }} ?this a ?cls ."
        if predicate == SH.targetNode:
            return None if isinstance(node, BNode) else f"VALUES ?this {{ {term(node)} }}"
        if predicate == SH.targetSubjectsOf:
            return f"?this {term(node)} ?object ."
        if predicate == SH.targetObjectsOf:
            return f"?subject {term(node)} ?this ."
        return None

    def subclasses(self, cls: Node) -> list[str]:
        """The class and every class the data says is a subclass of it (SHACL instance, 1.5)."""
        if cls not in self._subclasses:
            if isinstance(cls, URIRef):
                rows = self.query("SELECT DISTINCT ?c WHERE { ?c <http://www.w3.org/2000/01/rdf-schema#subClassOf>* "
                                  f"{term(cls)} FILTER(isIRI(?c)) }}")
                found = {f"<{row['c'].value}>" for row in rows} | {term(cls)}
                self._subclasses[cls] = sorted(found)
            else:
                self._subclasses[cls] = []
        return self._subclasses[cls]

    def _shape_checks(self, shape: Shape, scope: Scope) -> Iterator[Check]:
        path = self._path(shape)
        values = f"?this {path} ?value ." if path else "BIND(?this AS ?value)"
        value_var = "value" if path else "this"
        focus = " ".join(("?this", *scope.routes))  # one result per focus node and route
        where = scope.text
        counts = {p: a for p, a in shape.focus if p in (SH.minCount, SH.maxCount)}
        # value constraints and counts in one pass (value constraints alone stream without grouping)
        screened = bool(path) and ((bool(shape.values) and bool(counts)) or len(counts) > 1)
        if screened:
            yield self._screen(shape, scope, path, counts)
        else:
            # the subjects of a predicate, asked for the values of that predicate: the values say it all
            value_scope = "" if scope.subjects_of is not None and scope.subjects_of == path else where
            for parameter, argument in shape.values:
                ok = self.value_ok(shape, parameter, argument, "?value")
                yield Check(shape, COMPONENTS[parameter], _select(f"DISTINCT {focus} ?value",
                            f"{value_scope} {values} FILTER(!({ok}))"), value_var)
        for parameter, argument in shape.focus:
            if screened and parameter in counts:
                continue  # in the screen
            yield from self._focus_checks(shape, parameter, argument, where, focus, values, value_var)
        for constraint in shape.sparql:
            yield self._sparql_check(shape, constraint, scope)

    def _screen(self, shape: Shape, scope: Scope, path: str, counts: dict[URIRef, Any]) -> Check:
        """One GROUP BY over the shape's focus nodes: the number of values of each (sh:minCount, sh:maxCount)
        and, per value constraint, whether any value fails it. Reading the focus nodes and their values once
        instead of once per constraint is what makes a shape cost one pass over its targets."""
        focus = " ".join(("?this", *scope.routes))
        flags, binds, tests = [], [], []
        for i, (parameter, argument) in enumerate(shape.values):
            ok = self.value_ok(shape, parameter, argument, "?value")
            flag = f"?bad{i}"
            binds.append(f"BIND(IF({ok}, 0, 1) AS {flag})")
            tests.append(f"COALESCE(MAX({flag}), 0) = 1")
            detail = _select(f"DISTINCT {focus} ?value", f"{scope.text} ?this {path} ?value . FILTER(!({ok}))")
            flags.append((COMPONENTS[parameter], flag, detail))
        low, high = counts.get(SH.minCount), counts.get(SH.maxCount)
        if low:
            tests.append(f"COUNT(DISTINCT ?value) < {low}")
        if high is not None:
            tests.append(f"COUNT(DISTINCT ?value) > {high}")
        aggregates = " ".join(f"(MAX({flag}) AS {flag}x)" for _c, flag, _d in flags)
        text = (f"SELECT {focus} (COUNT(DISTINCT ?value) AS ?n) {aggregates} WHERE {{ {scope.text} "
                f"OPTIONAL {{ ?this {path} ?value . {' '.join(binds)} }} }} GROUP BY {focus} "
                f"HAVING ({' || '.join(tests)})")
        return Check(shape, SH.ConstraintComponent, text,
                     screen=Screen(flags, low or None, high))

    def _focus_checks(self, shape: Shape, parameter: URIRef, argument: Any, where: str, focus: str, values: str,
                      value_var: str) -> Iterator[Check]:
        component = COMPONENTS.get(parameter, parameter)
        path = self._path(shape)
        if parameter == SH.minCount:
            if argument == 0:
                return
            if argument == 1:
                yield Check(shape, component, _select(f"DISTINCT {focus}", f"{where} FILTER NOT EXISTS {{ {values} }}"))
            else:
                yield Check(shape, component, _select(focus, f"{where} OPTIONAL {{ {values} }}",
                            f"GROUP BY {focus} HAVING (COUNT(DISTINCT ?value) < {argument})"))
        elif parameter == SH.maxCount:
            if argument == 0:
                yield Check(shape, component, _select(f"DISTINCT {focus}", f"{where} {values}"))
            else:
                yield Check(shape, component, _select(focus, f"{where} {values}",
                            f"GROUP BY {focus} HAVING (COUNT(DISTINCT ?value) > {argument})"))
        elif parameter == SH.equals:
            other = f"?this {term(argument)} ?value ."
            yield Check(shape, component, _select(f"DISTINCT {focus} ?value",
                        f"{where} {values} FILTER NOT EXISTS {{ {other} }}"), "value")
            mine = f"?this {path} ?value" if path else "FILTER(sameTerm(?this, ?value))"
            yield Check(shape, component, _select(f"DISTINCT {focus} ?value",
                        f"{where} {other} FILTER NOT EXISTS {{ {mine} }}"), "value")
        elif parameter == SH.disjoint:
            yield Check(shape, component, _select(f"DISTINCT {focus} ?value",
                        f"{where} {values} ?this {term(argument)} ?value ."), value_var)
        elif parameter in (SH.lessThan, SH.lessThanOrEquals):
            op = "<" if parameter == SH.lessThan else "<="
            yield Check(shape, component, _select(f"DISTINCT {focus} ?value ?other",  # one result per pair
                        f"{where} {values} ?this {term(argument)} ?other "
                        f"FILTER(!COALESCE(?value {op} ?other, false))"), value_var)
        elif parameter == SH.uniqueLang:
            yield Check(shape, component, _select(f"DISTINCT {focus} ?lang", f"{where} {values} "
                        f"{values.replace('?value', '?second')} FILTER(!sameTerm(?value, ?second) && "
                        "lang(?value) != \"\" && LCASE(lang(?value)) = LCASE(lang(?second))) "
                        "BIND(LCASE(lang(?value)) AS ?lang)"))
        elif parameter == SH.hasValue:
            check = f"?this {path} {term(argument)}" if path else f"FILTER(sameTerm(?this, {term(argument)}))"
            yield Check(shape, component, _select(f"DISTINCT {focus}", f"{where} FILTER NOT EXISTS {{ {check} }}"))
        elif parameter == SH.closed:
            allowed = ", ".join(term(p) for p in shape.closed_allowed) or f"<{RDF}nil>"
            yield Check(shape, component, _select(f"DISTINCT {focus} ?path ?value",
                        f"{where} {values.replace('?value', '?node')} ?node ?path ?value "
                        f"FILTER(?path NOT IN ({allowed}))"), "value", path_var=True)
        elif parameter == SH.qualifiedValueShape:
            assert shape.qualified is not None
            qualified, low, high = shape.qualified
            ok = self._qualified_ok(shape, qualified, "?value")
            if low is not None and low > 0:
                yield Check(shape, SH.QualifiedMinCountConstraintComponent, _select(focus,
                            f"{where} OPTIONAL {{ {values} FILTER({ok}) }}",
                            f"GROUP BY {focus} HAVING (COUNT(DISTINCT ?value) < {low})"))
            if high is not None:
                yield Check(shape, SH.QualifiedMaxCountConstraintComponent, _select(focus,
                            f"{where} {values} FILTER({ok})",
                            f"GROUP BY {focus} HAVING (COUNT(DISTINCT ?value) > {high})"))

    def _sparql_check(self, shape: Shape, constraint: SparqlConstraint, scope: Scope) -> Check:
        text = constraint.select
        if re.search(r"\$shapesGraph\b", text):
            raise CxGraphError(f"the SPARQL constraint of shape {shape.node} uses $shapesGraph, which this "
                               "engine does not provide")
        prologue = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in constraint.prefixes)
        head = re.match(r"(?is)^\s*((?:(?:PREFIX\s+[^\s:]*:\s*<[^>]*>|BASE\s+<[^>]*>)\s*)*)", text)
        if head and head.group(1):
            prologue += head.group(1) + "\n"
            text = text[head.end():]
        text = re.sub(r"\$this\b", "?this", text)
        if re.search(r"\$currentShape\b", text):
            if isinstance(shape.node, BNode):
                raise CxGraphError(f"the SPARQL constraint of the blank shape {shape.node} uses $currentShape, "
                                   "which needs the shape to have an IRI here")
            text = re.sub(r"\$currentShape\b", term(shape.node), text)
        if re.search(r"\$PATH\b", text):
            if shape.path is None:
                raise CxGraphError(f"the SPARQL constraint of node shape {shape.node} uses $PATH, which only a "
                                   "property shape has")
            text = re.sub(r"\$PATH\b", self._path(shape), text)
        if not re.search(r"(?is)^\s*SELECT\s+(DISTINCT\s+|REDUCED\s+)?(\*|[^{]*\?this\b)", text):
            raise CxGraphError(f"the SPARQL constraint of shape {shape.node} does not select $this, so its results "
                               "cannot name their focus node")
        if re.search(r"(?i)\b(LIMIT|OFFSET)\s+\d", text):
            raise CxGraphError(f"the SPARQL constraint of shape {shape.node} has LIMIT or OFFSET, which apply per "
                               "focus node in SHACL; this engine validates every focus node in one query")
        where = re.search(r"(?is)^\s*SELECT\b[^{]*?\{", text)
        if where is None:
            raise CxGraphError(f"the SPARQL constraint of shape {shape.node} has no WHERE group")
        # $this is pre-bound (SHACL 5.3.1): the focus nodes open the constraint's own WHERE group, so they are
        # bound before its OPTIONALs, FILTERs and NOT EXISTS run; repeated solutions are one result (DISTINCT)
        text = text[:where.end()] + f" {scope.text} " + text[where.end():]
        return Check(shape, SH.SPARQLConstraintComponent, f"{prologue}SELECT DISTINCT * WHERE {{ {{ {text} }} }}",
                     "value", path_var=True, sparql=constraint)

    # -- conformance as expressions ----------------------------------------------------------------------
    def _probe_pattern(self, shape: Shape, pattern: str, flags: str) -> None:
        """Refuse a pattern the store cannot compile: every value would fail it."""
        probe = list(self.query(f"SELECT (REGEX(\"\", {_string(pattern)}{flags}) AS ?ok) {{}}"))
        if not probe or probe[0]["ok"] is None:
            raise CxGraphError(f"shape {shape.node}: sh:pattern {pattern!r} is not a regular expression "
                               "SPARQL (XPath) accepts (no look-around or back-references)")
        self._patterns.add((pattern, flags))

    def value_ok(self, shape: Shape, parameter: URIRef, argument: Any, x: str) -> str:
        """A SPARQL expression, never an error, that is true when value node `x` satisfies the constraint."""
        if parameter == SH["class"]:
            t = self.var()
            return f"EXISTS {{ {x} a {t} FILTER({t} IN ({', '.join(self.subclasses(argument))})) }}"
        if parameter == SH.datatype:
            return _datatype_ok(argument, x)
        if parameter == SH.nodeKind:
            if argument not in _KINDS:
                raise CxGraphError(f"shape {shape.node}: {argument} is not a SHACL node kind")
            return _KINDS[argument].format(x=x)
        if parameter in _RANGES:
            return f"COALESCE({x} {_RANGES[parameter]} {term(argument)}, false)"
        if parameter in (SH.minLength, SH.maxLength):
            op = ">=" if parameter == SH.minLength else "<="
            return f"(!isBlank({x}) && STRLEN(STR({x})) {op} {argument})"
        if parameter == SH.pattern:
            flags = f", {_string(shape.pattern_flags)}" if shape.pattern_flags else ""
            if (str(argument), flags) not in self._patterns:  # probed once, however often the shape uses it
                self._probe_pattern(shape, str(argument), flags)
            return f"(!isBlank({x}) && COALESCE(REGEX(STR({x}), {_string(str(argument))}{flags}), false))"
        if parameter == SH.languageIn:
            tags = " || ".join(f"langMatches(lang({x}), {_string(str(t))})" for t in argument)
            return f"(isLiteral({x}) && lang({x}) != \"\" && ({tags or 'false'}))"
        if parameter == SH["in"]:
            return "(" + (" || ".join(f"sameTerm({x}, {term(v)})" for v in argument) or "false") + ")"
        if parameter == SH.node:
            return self.conforms(argument, x)
        if parameter == SH["not"]:
            return f"!({self.conforms(argument, x)})"
        if parameter == SH["and"]:
            return "(" + (" && ".join(self.conforms(s, x) for s in argument) or "true") + ")"
        if parameter == SH["or"]:
            return "(" + (" || ".join(self.conforms(s, x) for s in argument) or "false") + ")"
        if parameter == SH.xone:
            return "((" + (" + ".join(f"IF({self.conforms(s, x)}, 1, 0)" for s in argument) or "0") + ") = 1)"
        raise CxGraphError(f"shape {shape.node}: {parameter} is not a constraint this engine compiles")

    def conforms(self, shape: Shape, x: str) -> str:
        """A SPARQL expression that is true when node `x` conforms to `shape` (SHACL 2.1 conformance)."""
        if shape.deactivated:
            return "true"
        if shape in self._stack:
            raise CxGraphError(f"shape {shape.node} refers to itself through sh:node, sh:not, sh:and, sh:or, "
                               "sh:xone or sh:qualifiedValueShape; recursive shapes are not validated")
        if shape.sparql:
            raise CxGraphError(f"shape {shape.node} has a SPARQL constraint and is used inside another shape; "
                               "only shapes with targets may have SPARQL constraints here")
        self._stack.append(shape)
        try:
            path = self._path(shape)
            parts = []
            for parameter, argument in shape.values:
                if path:
                    v = self.var()
                    ok = self.value_ok(shape, parameter, argument, v)
                    parts.append(f"NOT EXISTS {{ {x} {path} {v} FILTER(!({ok})) }}")
                else:
                    parts.append(self.value_ok(shape, parameter, argument, x))
            for parameter, argument in shape.focus:
                parts.append(self._focus_ok(shape, parameter, argument, x, path))
            parts += [self.conforms(child, x) for child in shape.properties if not child.deactivated]
            return "(" + (" && ".join(parts) or "true") + ")"
        finally:
            self._stack.pop()

    def _focus_ok(self, shape: Shape, parameter: URIRef, argument: Any, x: str, path: str) -> str:
        def values(v: str) -> str:
            return f"{x} {path} {v} ." if path else f"BIND({x} AS {v})"

        if parameter == SH.minCount:
            return "true" if argument == 0 else f"EXISTS {{ {self._distinct(values, argument)} }}"
        if parameter == SH.maxCount:
            return f"NOT EXISTS {{ {self._distinct(values, argument + 1)} }}"
        v, w = self.var(), self.var()
        if parameter == SH.equals:
            return (f"(NOT EXISTS {{ {values(v)} FILTER NOT EXISTS {{ {x} {term(argument)} {v} }} }} && "
                    f"NOT EXISTS {{ {x} {term(argument)} {v} FILTER NOT EXISTS {{ {values(v)} }} }})")
        if parameter == SH.disjoint:
            return f"NOT EXISTS {{ {values(v)} {x} {term(argument)} {v} . }}"
        if parameter in (SH.lessThan, SH.lessThanOrEquals):
            op = "<" if parameter == SH.lessThan else "<="
            return f"NOT EXISTS {{ {values(v)} {x} {term(argument)} {w} FILTER(!COALESCE({v} {op} {w}, false)) }}"
        if parameter == SH.uniqueLang:
            return (f"NOT EXISTS {{ {values(v)} {values(w)} FILTER(!sameTerm({v}, {w}) && lang({v}) != \"\" && "
                    f"LCASE(lang({v})) = LCASE(lang({w}))) }}")
        if parameter == SH.hasValue:
            return f"EXISTS {{ {x} {path} {term(argument)} }}" if path else f"sameTerm({x}, {term(argument)})"
        if parameter == SH.closed:
            allowed = ", ".join(term(p) for p in shape.closed_allowed) or f"<{RDF}nil>"
            return f"NOT EXISTS {{ {x} {v} {w} FILTER({v} NOT IN ({allowed})) }}"
        if parameter == SH.qualifiedValueShape:
            assert shape.qualified is not None
            qualified, low, high = shape.qualified
            parts = []

            def counted(u: str) -> str:
                return self._qualified_ok(shape, qualified, u)

            if low:
                parts.append(f"EXISTS {{ {self._distinct(values, low, counted)} }}")
            if high is not None:
                parts.append(f"NOT EXISTS {{ {self._distinct(values, high + 1, counted)} }}")
            return "(" + (" && ".join(parts) or "true") + ")"
        raise CxGraphError(f"shape {shape.node}: {parameter} is not a constraint this engine compiles")

    def _distinct(self, values: Callable[[str], str], n: int, ok: Callable[[str], str] | None = None) -> str:
        """A pattern matching `n` pairwise distinct value nodes (each satisfying `ok`)."""
        names = [self.var() for _ in range(n)]
        pattern = " ".join(values(v) for v in names)
        tests = [f"!sameTerm({a}, {b})" for a, b in combinations(names, 2)]
        if ok is not None:
            tests += [ok(v) for v in names]
        return pattern + (f" FILTER({' && '.join(tests)})" if tests else "")

    def _qualified_ok(self, shape: Shape, qualified: Shape, x: str) -> str:
        ok = self.conforms(qualified, x)
        others = [f"!({self.conforms(s, x)})" for s in self.model.siblings(shape)]
        return "(" + " && ".join([ok, *others]) + ")"

    def _path(self, shape: Shape) -> str:
        return path_text(self.model.graph, shape.path) if shape.path is not None else ""

    def var(self) -> str:
        return f"?v{next(self._fresh)}"


def run_checks(checks: Iterable[Check], query: Query, workers: int | None = None,
               tick: Tick = silent) -> list[Finding]:
    """Run each check's SELECT and turn its rows into findings, `workers` queries at a time (the store
    evaluates a query without holding the interpreter, so two cores validate about twice as fast).
    `tick` hears ("validate", checks done, checks, "checks") as each finishes."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    todo = list(checks)
    tick("validate", 0, len(todo), "checks")
    with ThreadPoolExecutor(max_workers=workers or min(4, os.cpu_count() or 1)) as pool:
        futures = [pool.submit(_run_one, check, query) for check in todo]
        for done, _future in enumerate(as_completed(futures), start=1):
            tick("validate", done, len(todo), "checks")
        parts = [future.result() for future in futures]
    return [finding for part in parts for finding in part]


def _run_one(check: Check, query: Query) -> list[Finding]:
    started = time.perf_counter()
    rows = list(query(check.text))
    found = list(_screened(check, rows, query)) if check.screen else list(_findings(check, rows))
    check.seconds = time.perf_counter() - started
    check.found = len(found)
    return found


def _screened(check: Check, rows: list[Any], query: Query) -> Iterator[Finding]:
    """Findings of a screen: counts from each row, failing values by one SELECT over the flagged nodes."""
    screen, shape = check.screen, check.shape
    assert screen is not None
    for row in rows:
        n = int(row["n"].value)
        if screen.min_count is not None and n < screen.min_count:
            yield Finding(shape.node, row["this"], SH.MinCountConstraintComponent, shape.severity, shape.path,
                          None, shape.messages)
        if screen.max_count is not None and n > screen.max_count:
            yield Finding(shape.node, row["this"], SH.MaxCountConstraintComponent, shape.severity, shape.path,
                          None, shape.messages)
    for component, flag, detail in screen.flags:  # a second pass only for a constraint some value fails
        if any(_get(row, flag.lstrip("?") + "x") is not None and _get(row, flag.lstrip("?") + "x").value == "1"
               for row in rows):
            for found in query(detail):
                yield Finding(shape.node, found["this"], component, shape.severity, shape.path, found["value"],
                              shape.messages)


def _findings(check: Check, rows: list[Any]) -> Iterator[Finding]:
    shape = check.shape
    for row in rows:
        focus = row["this"]
        if focus is None:
            continue
        path: Node | None = shape.path
        value = row[check.value] if check.value else None
        messages = shape.messages
        if check.sparql is not None:
            if _get(row, "failure") is not None and _get(row, "failure").value == "true":
                raise CxGraphError(f"the SPARQL constraint of shape {shape.node} reported a failure (?failure)")
            found_path = _get(row, "path")
            if isinstance(found_path, ox.NamedNode):
                path = URIRef(found_path.value)
            value = _get(row, "value")
            if value is None and shape.path is None:
                value = focus
            template = check.sparql.messages or shape.messages
            messages = tuple(_substitute(m, row) for m in template)
        elif check.path_var:
            path = URIRef(row["path"].value)
        if value is None and check.value == "this":
            value = focus
        yield Finding(shape.node, focus, check.component, shape.severity, path, value, messages,
                      check.sparql.node if check.sparql else None)


def _get(row: Any, name: str) -> Any:
    try:
        return row[name]
    except (KeyError, IndexError, TypeError):
        return None


def _substitute(message: Literal, row: Any) -> Literal:
    """{?var} and {$var} in a message template, replaced by the row's binding (SHACL 5.3.2)."""
    def one(match: re.Match[str]) -> str:
        bound = _get(row, match.group(1))
        return bound.value if bound is not None else match.group(0)

    return Literal(re.sub(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}", one, str(message)), lang=message.language,
                   datatype=message.datatype)


def validate(query: Query, shapes: rdflib.Graph, workers: int | None = None,
             tick: Tick = silent) -> tuple[list[Finding], list[Check]]:
    """Every violation of the shapes in the data that `query` answers from, and the checks that ran."""
    compiler = Compiler(ShapesModel(shapes), query)
    checks = list(compiler.checks())
    return run_checks(checks, query, workers, tick), checks


def report_graph(findings: Iterable[Finding], shapes: rdflib.Graph) -> rdflib.Graph:
    """The findings as a SHACL validation report (sh:ValidationReport), with blank shapes and paths copied."""
    report = rdflib.Graph()
    report.bind("sh", SH)
    root = BNode()
    report.add((root, RDF.type, SH.ValidationReport))
    any_result = False
    for finding in findings:
        any_result = True
        node = BNode()
        report.add((root, SH.result, node))
        report.add((node, RDF.type, SH.ValidationResult))
        report.add((node, SH.focusNode, to_rdflib(finding.focus)))
        report.add((node, SH.resultSeverity, finding.severity))
        report.add((node, SH.sourceConstraintComponent, finding.component))
        report.add((node, SH.sourceShape, finding.shape))
        _copy_blank(shapes, finding.shape, report)
        if finding.path is not None:
            report.add((node, SH.resultPath, finding.path))
            _copy_blank(shapes, finding.path, report)
        if finding.value is not None:
            report.add((node, SH.value, to_rdflib(finding.value)))
        if finding.constraint is not None:
            report.add((node, SH.sourceConstraint, finding.constraint))
        for message in finding.messages:
            report.add((node, SH.resultMessage, message))
    report.add((root, SH.conforms, Literal(not any_result)))
    return report


def _copy_blank(source: rdflib.Graph, node: Node, target: rdflib.Graph) -> None:
    """A blank shape or path's own triples, so that the report says what it was."""
    if not isinstance(node, BNode):
        return
    todo, seen = [node], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for p, o in source.predicate_objects(current):
            target.add((current, p, o))
            if isinstance(o, BNode):
                todo.append(o)


def validate_graph(data: rdflib.Graph, shapes: rdflib.Graph) -> tuple[bool, rdflib.Graph]:
    """Validate an rdflib data graph (copied into an in-memory Oxigraph store): conforms, and the report."""
    store = ox.Store()
    store.extend(ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)) for s, p, o in data)
    findings, _ = validate(lambda text: store.query(text), shapes)
    report = report_graph(findings, shapes)
    return not findings, report


def term(node: Node) -> str:
    """An IRI or literal of the shapes graph as SPARQL text (blank nodes are not constants in SPARQL)."""
    if isinstance(node, URIRef):
        return f"<{node}>"
    if isinstance(node, Literal):
        if node.language:
            return f"{_string(str(node))}@{node.language}"
        if node.datatype is not None:
            return f"{_string(str(node))}^^<{node.datatype}>"
        return _string(str(node))
    raise CxGraphError(f"the blank node {node} cannot be used as a constant in a constraint")


def to_oxigraph(node: Node) -> Any:
    """An rdflib term as a pyoxigraph term, its lexical form as written (no rdflib normalization)."""
    if isinstance(node, URIRef):
        return ox.NamedNode(str(node))
    if isinstance(node, BNode):
        return ox.BlankNode(str(node))
    if isinstance(node, Literal):
        if node.language:
            return ox.Literal(str(node), language=node.language)
        return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype or XSD.string)))
    raise TypeError(f"not an RDF term: {node!r}")


def to_rdflib(value: Any) -> Node:
    """A pyoxigraph term as the rdflib term of a report."""
    if isinstance(value, ox.NamedNode):
        return URIRef(value.value)
    if isinstance(value, ox.BlankNode):
        return BNode(value.value)
    if isinstance(value, ox.Literal):
        if value.language:
            return Literal(value.value, lang=value.language)
        return Literal(value.value, datatype=URIRef(value.datatype.value), normalize=False)
    raise TypeError(f"not an RDF term: {value!r}")


def _datatype_ok(datatype: Node, x: str) -> str:
    name = str(datatype).removeprefix(str(XSD))
    if str(datatype).startswith(str(XSD)) and name in _INTEGERS and name != "integer":
        raise CxGraphError(f"sh:datatype xsd:{name}: Oxigraph stores a valid xsd:{name} literal as xsd:integer, "
                           "so every value would fail; use sh:datatype xsd:integer with sh:minInclusive / "
                           "sh:maxInclusive")
    if datatype == RDF.langString:
        return f"(isLiteral({x}) && lang({x}) != \"\")"
    test = f"isLiteral({x}) && datatype({x}) = {term(datatype)}"
    lexical = _LEXICAL.get(datatype) if isinstance(datatype, URIRef) else None
    if lexical:
        test += f" && REGEX(STR({x}), {_string('^(' + lexical + ')$')})"
    if datatype in _CASTS:
        test += f" && COALESCE(datatype({term(datatype)}(STR({x}))) = {term(datatype)}, false)"
    name = str(datatype).removeprefix(str(XSD))
    if str(datatype).startswith(str(XSD)) and name in _INTEGERS:
        low, high = _INTEGERS[name]
        if not lexical:
            test += f" && REGEX(STR({x}), \"^[+-]?[0-9]+$\")"
        number = f"<{XSD}integer>(STR({x}))"
        test += (f" && {number} >= {low}" if low is not None else "") + \
                (f" && {number} <= {high}" if high is not None else "")
    return f"COALESCE({test}, false)"


def _string(text: str) -> str:
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
               .replace("\t", "\\t"))
    return f'"{escaped}"'


def _select(projection: str, where: str, tail: str = "") -> str:
    return f"SELECT {projection} WHERE {{ {where} }} {tail}".strip()


__all__ = ["Check", "Compiler", "Finding", "report_graph", "run_checks", "validate", "validate_graph"]
