"""Identity resolution: link the many customer records to one resolved party, with rule and evidence.

Rules are declarative (`loaders/identity.yaml`). Records stay distinct (never owl:sameAs), because each
is a different customer definition; each gets `cx:representsParty` and, for every rule that tied it to
another record, a `cx:IdentityLink` naming the rule and the evidence.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .config import Project
from .errors import CxGraphError
from .provenance import CX, RDF_TYPE, RDFS_LABEL, cx
from .store import GraphStore
from .yamlio import line_of, load_yaml

NORMALIZERS = {"trim", "lowercase", "digits", "phone"}


@dataclass(frozen=True)
class Rule:
    id: str
    label: str
    kind: str  # "value" (same normalized value) or "reference" (a record naming another)
    property: str
    normalize: tuple[str, ...] = ()


@dataclass
class IdentityConfig:
    record_classes: list[str]
    name_property: str
    rules: list[Rule]
    country_property: str | None = None
    calling_codes: dict[str, str] = field(default_factory=dict)
    default_country: str | None = None


def _expand(term: str, prefixes: dict[str, str], path: Path, line: int | None) -> str:
    if term.startswith("http://") or term.startswith("https://"):
        return term
    prefix, _, local = term.partition(":")
    if prefix not in prefixes:
        raise CxGraphError(f"unknown prefix in {term!r} (declared: {', '.join(prefixes)})", path, line)
    return prefixes[prefix] + local


def load_identity(path: Path) -> IdentityConfig:
    """Read the rules; a broken file stops the run naming file and line."""
    doc = load_yaml(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
        raise CxGraphError("expected 'rules:' with a list of rules", path, 1)
    prefixes = {"cx": CX, **{str(k): str(v) for k, v in (doc.get("prefixes") or {}).items()}}
    classes = doc.get("record_classes") or []
    if not classes:
        raise CxGraphError("'record_classes' must list the customer record classes to resolve", path, 1)
    rules = []
    for index, spec in enumerate(doc["rules"]):
        line = doc["rules"].lines[index]
        if not isinstance(spec, dict) or not {"id", "kind", "property"} <= set(spec):
            raise CxGraphError("each rule needs id, kind and property", path, line)
        if spec["kind"] not in ("value", "reference"):
            raise CxGraphError(f"rule {spec['id']}: kind must be 'value' or 'reference'", path, line_of(spec, "kind"))
        normalize = tuple(spec.get("normalize") or ())
        unknown = [n for n in normalize if n not in NORMALIZERS]
        if unknown:
            raise CxGraphError(f"rule {spec['id']}: unknown normalizer {unknown[0]!r} "
                               f"(one of {', '.join(sorted(NORMALIZERS))})", path, line_of(spec, "normalize"))
        rules.append(Rule(
            id=str(spec["id"]),
            label=str(spec.get("label", spec["id"])),
            kind=str(spec["kind"]),
            property=_expand(str(spec["property"]), prefixes, path, line_of(spec, "property")),
            normalize=normalize,
        ))
    phone = doc.get("phone") or {}
    return IdentityConfig(
        record_classes=[_expand(str(c), prefixes, path, line_of(doc, "record_classes")) for c in classes],
        name_property=_expand(str(doc.get("name_property", "cx:hasName")), prefixes, path, None),
        rules=rules,
        country_property=_expand(str(phone["country_property"]), prefixes, path, None)
        if phone.get("country_property") else None,
        calling_codes={str(k): str(v) for k, v in (phone.get("calling_codes") or {}).items()},
        default_country=phone.get("default_country"),
    )


def normalize(value: str, steps: tuple[str, ...], country: str | None, config: IdentityConfig) -> str | None:
    """Apply a rule's normalizers; None when nothing comparable is left."""
    text = value
    for step in steps:
        if step == "trim":
            text = text.strip()
        elif step == "lowercase":
            text = text.lower()
        elif step == "digits":
            text = re.sub(r"\D", "", text)
        elif step == "phone":
            text = normalize_phone(text, country or config.default_country, config.calling_codes)
            if text is None:
                return None
    return text or None


def normalize_phone(text: str, country: str | None, calling_codes: dict[str, str]) -> str | None:
    """E.164 form: +<country code><national number without trunk 0>."""
    raw = text.strip()
    digits = re.sub(r"\D", "", raw)
    if not digits:
        return None
    if raw.startswith("+"):
        return "+" + digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    code = calling_codes.get(country or "")
    if code and digits.startswith("0"):
        return f"+{code}{digits[1:]}"
    return None


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _digest(*parts: str) -> str:
    return hashlib.sha1("|".join(parts).encode("utf-8")).hexdigest()[:12]


def resolve(store: GraphStore, project: Project) -> dict[str, int]:
    """Recompute the identity graph from all source graphs and swap it in."""
    config = load_identity(project.identity)
    values = " ".join(f"<{c}>" for c in config.record_classes)
    records: dict[str, str] = {}
    for row in store.query(f"SELECT ?r ?c WHERE {{ VALUES ?c {{ {values} }} ?r a ?c }}"):
        records.setdefault(row["r"].value, row["c"].value)
    country: dict[str, str] = {}
    if config.country_property:
        for row in store.query(f"SELECT ?r ?v WHERE {{ ?r <{config.country_property}> ?v }}"):
            country[row["r"].value] = row["v"].value
    names: dict[str, str] = {}
    for row in store.query(f"SELECT ?r ?v WHERE {{ ?r <{config.name_property}> ?v }}"):
        names.setdefault(row["r"].value, row["v"].value)

    uf = _UnionFind()
    for record in records:
        uf.find(record)
    evidence: dict[tuple[str, str], set[str]] = defaultdict(set)  # (record, rule) -> evidence texts
    for rule in config.rules:
        pairs = [(row["r"].value, row["v"]) for row in store.query(f"SELECT ?r ?v WHERE {{ ?r <{rule.property}> ?v }}")]
        if rule.kind == "reference":
            for record, target in pairs:
                if record in records and isinstance(target, ox.NamedNode) and target.value in records:
                    uf.union(record, target.value)
                    evidence[(record, rule.id)].add(f"refers to {target.value}")
                    evidence[(target.value, rule.id)].add(f"referred to by {record}")
            continue
        groups: dict[str, set[str]] = defaultdict(set)
        for record, value in pairs:
            if record not in records or not isinstance(value, ox.Literal):
                continue
            key = normalize(value.value, rule.normalize, country.get(record), config)
            if key:
                groups[key].add(record)
        for key, members in groups.items():
            if len(members) < 2:
                continue
            ordered = sorted(members)
            for other in ordered[1:]:
                uf.union(ordered[0], other)
            for member in ordered:
                evidence[(member, rule.id)].add(f"{rule.label}: {key}")

    clusters: dict[str, list[str]] = defaultdict(list)
    for record in records:
        clusters[uf.find(record)].append(record)
    graph = ox.NamedNode(project.graph_iri("identity"))
    staging = project.graph_iri("staging/identity")
    sgraph = ox.NamedNode(staging)
    quads: list[ox.Quad] = []
    for rule in config.rules:
        node = ox.NamedNode(project.id_iri(f"identity-rule/{rule.id}"))
        quads += [ox.Quad(node, RDF_TYPE, cx("IdentityRule"), sgraph),
                  ox.Quad(node, RDFS_LABEL, ox.Literal(rule.label), sgraph)]
    class_rank = {c: i for i, c in enumerate(config.record_classes)}
    for root, members in clusters.items():
        party = ox.NamedNode(project.id_iri(f"party/{_digest(root)}"))
        quads.append(ox.Quad(party, RDF_TYPE, cx("Party"), sgraph))
        named = sorted((m for m in members if m in names), key=lambda m: (class_rank[records[m]], m))
        if named:
            quads.append(ox.Quad(party, RDFS_LABEL, ox.Literal(names[named[0]]), sgraph))
        for member in sorted(members):
            quads.append(ox.Quad(ox.NamedNode(member), cx("representsParty"), party, sgraph))
            for rule in config.rules:
                texts = evidence.get((member, rule.id))
                if not texts:
                    continue
                link = ox.NamedNode(project.id_iri(f"identity-link/{_digest(member, rule.id)}"))
                quads += [
                    ox.Quad(link, RDF_TYPE, cx("IdentityLink"), sgraph),
                    ox.Quad(link, cx("linksRecord"), ox.NamedNode(member), sgraph),
                    ox.Quad(link, cx("linksParty"), party, sgraph),
                    ox.Quad(link, cx("matchedByRule"), ox.NamedNode(project.id_iri(f"identity-rule/{rule.id}")),
                            sgraph),
                    ox.Quad(link, cx("hasEvidence"), ox.Literal("; ".join(sorted(texts))), sgraph),
                ]
    store.drop_graph(staging)
    store.add_quads(quads)
    store.replace_graph(staging, graph.value)
    return {"records": len(records), "parties": len(clusters),
            "linked": sum(1 for members in clusters.values() if len(members) > 1)}
