"""Identity resolution: link the many customer records to one resolved party, with rule and evidence.

Rules are declarative (`loaders/identity.yaml`). Records stay distinct (never owl:sameAs), because each
is a different customer definition; each gets `cx:representsParty` and, for every rule that tied it to
another record, a `cx:IdentityLink` naming the rule and the evidence.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from cxgraph.errors import CxGraphError
from cxgraph.project import Project, known_country
from cxgraph.stores.embedded import GraphStore
from cxgraph.vocab import CX, RDF_TYPE, RDFS_LABEL, cx
from cxgraph.yamlio import line_of, load_yaml

NORMALIZERS = {"trim", "lowercase", "digits", "phone"}


@dataclass(frozen=True)
class Rule:
    id: str
    label: str
    kind: str  # "value" (same normalized value), "key" (same person key in the same system), "reference"
    property: str
    normalize: tuple[str, ...] = ()


@dataclass
class IdentityConfig:
    record_classes: list[str]
    name_property: str
    rules: list[Rule]
    country_property: str | None = None  # the record's own country (ISO 3166 alpha-2), read first


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
        if spec["kind"] not in ("value", "key", "reference"):
            raise CxGraphError(f"rule {spec['id']}: kind must be 'value', 'key' or 'reference'", path,
                               line_of(spec, "kind"))
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
    for key, why in (("default_country", "a global default country turns a German number into a UK one; give each "
                      "source its `default_country` in sources.yaml"),
                     ("calling_codes", "numbers are normalized with libphonenumber, which knows every country's "
                      "calling code and trunk prefix")):
        if key in phone:
            raise CxGraphError(f"phone.{key} is no longer read: {why}", path, line_of(phone, key))
    return IdentityConfig(
        record_classes=[_expand(str(c), prefixes, path, line_of(doc, "record_classes")) for c in classes],
        name_property=_expand(str(doc.get("name_property", "cx:hasName")), prefixes, path, None),
        rules=rules,
        country_property=_expand(str(phone["country_property"]), prefixes, path, None)
        if phone.get("country_property") else None,
    )


def normalize(value: str, steps: tuple[str, ...], country: str | None) -> str | None:
    """Apply a rule's normalizers; None when nothing comparable is left.

    `country` is the record's own country, else its source's `default_country`; never a global default.
    """
    text = value
    for step in steps:
        if step == "trim":
            text = text.strip()
        elif step == "lowercase":
            text = text.lower()
        elif step == "digits":
            text = re.sub(r"\D", "", text)
        elif step == "phone":
            phone = normalize_phone(text, country)
            if phone is None:
                return None
            text = phone
    return text or None


def normalize_phone(text: str, country: str | None) -> str | None:
    """E.164 form (+<country code><national number>) by libphonenumber, or None when it cannot be placed.

    A number written with + (or 00 where no country is known) needs no country; a national number needs
    the record's or the source's country, and without one it is not compared. A number that can only be
    dialled locally (no area code: "555-4729") is not compared either: in two towns it is two people.
    Numbers that are possible for the country are kept even when not assigned (test and sample data).
    """
    import phonenumbers

    raw = text.strip()
    if not re.search(r"\d", raw):
        return None
    region = known_country(country) if country else None
    if raw.startswith("00") and region is None:
        raw = "+" + raw[2:]
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_possible_number_with_reason(number) != phonenumbers.ValidationResult.IS_POSSIBLE:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


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
    country: dict[str, str] = {}  # the record's own country, else its source's default_country
    by_graph = {s.graph: s.default_country for s in project.sources.values() if s.default_country}
    for row in store.query(f"SELECT ?r ?c ?g WHERE {{ VALUES ?c {{ {values} }} GRAPH ?g {{ ?r a ?c }} }}"):
        records.setdefault(row["r"].value, row["c"].value)
        if row["g"].value in by_graph:
            country.setdefault(row["r"].value, by_graph[row["g"].value])
    if config.country_property:
        for row in store.query(f"SELECT ?r ?v WHERE {{ ?r <{config.country_property}> ?v }}"):
            own = known_country(row["v"].value)  # a code no one knows ("UK") leaves the source's default
            if own:
                country[row["r"].value] = own
    names: dict[str, str] = {}
    for row in store.query(f"SELECT ?r ?v WHERE {{ ?r <{config.name_property}> ?v }}"):
        names.setdefault(row["r"].value, row["v"].value)

    uf = _UnionFind()
    for record in records:
        uf.find(record)
    evidence: dict[tuple[str, str], set[str]] = defaultdict(set)  # (record, rule) -> evidence texts
    for rule in config.rules:
        pairs = ((row["r"].value, row["v"]) for row in store.query(f"SELECT ?r ?v WHERE {{ ?r <{rule.property}> ?v }}"))
        if rule.kind == "reference":
            for record, target in pairs:
                if record in records and isinstance(target, ox.NamedNode) and target.value in records:
                    uf.union(record, target.value)
                    evidence[(record, rule.id)].add(f"refers to {target.value}")
                    evidence[(target.value, rule.id)].add(f"referred to by {record}")
            continue
        groups: dict[str, set[str]] = defaultdict(set)
        systems: dict[str, str] = {}
        if rule.kind == "key":  # a key one system assigns to a person: the same value elsewhere is another person
            held = f"SELECT ?r ?s WHERE {{ ?r <{rule.property}> ?v ; <{CX}isRecordedIn> ?s }}"
            systems = {row["r"].value: row["s"].value for row in store.query(held)}
        for record, value in pairs:
            if record not in records or not isinstance(value, ox.Literal):
                continue
            key = normalize(value.value, rule.normalize, country.get(record))
            if key and rule.kind == "key":
                if record not in systems:
                    continue
                key = f"{key} in {systems[record]}"
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
    target = project.graph_iri("identity")
    staging = store.scratch_graph(project.staging_graph("identity"), target)
    store.add_quads(_identity_quads(project, config, ox.NamedNode(staging), clusters, records, names, evidence))
    store.replace_graph(staging, target)
    return {"records": len(records), "parties": len(clusters),
            "linked": sum(1 for members in clusters.values() if len(members) > 1)}


def _identity_quads(project: Project, config: IdentityConfig, sgraph: ox.NamedNode, clusters: dict[str, list[str]],
                    records: dict[str, str], names: dict[str, str],
                    evidence: dict[tuple[str, str], set[str]]) -> Iterator[ox.Quad]:
    """The identity graph's quads, made as the store takes them: held as a list, they were the build's largest
    step up in memory (4 GB at 100,000 customers)."""
    for rule in config.rules:
        node = ox.NamedNode(project.id_iri(f"identity-rule/{rule.id}"))
        yield ox.Quad(node, RDF_TYPE, cx("IdentityRule"), sgraph)
        yield ox.Quad(node, RDFS_LABEL, ox.Literal(rule.label), sgraph)
    class_rank = {c: i for i, c in enumerate(config.record_classes)}
    for root, cluster in clusters.items():
        party = ox.NamedNode(project.id_iri(f"party/{_digest(root)}"))
        yield ox.Quad(party, RDF_TYPE, cx("Party"), sgraph)
        labelled = sorted((m for m in cluster if m in names), key=lambda m: (class_rank[records[m]], m))
        if labelled:
            yield ox.Quad(party, RDFS_LABEL, ox.Literal(names[labelled[0]]), sgraph)
        for member in sorted(cluster):
            yield ox.Quad(ox.NamedNode(member), cx("representsParty"), party, sgraph)
            for rule in config.rules:
                texts = evidence.get((member, rule.id))
                if not texts:
                    continue
                link = ox.NamedNode(project.id_iri(f"identity-link/{_digest(member, rule.id)}"))
                yield ox.Quad(link, RDF_TYPE, cx("IdentityLink"), sgraph)
                yield ox.Quad(link, cx("linksRecord"), ox.NamedNode(member), sgraph)
                yield ox.Quad(link, cx("linksParty"), party, sgraph)
                yield ox.Quad(link, cx("matchedByRule"), ox.NamedNode(project.id_iri(f"identity-rule/{rule.id}")),
                              sgraph)
                yield ox.Quad(link, cx("hasEvidence"), ox.Literal("; ".join(sorted(texts))), sgraph)
