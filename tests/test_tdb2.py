"""Beyond one machine: the exported N-Quads bulk-loaded by Jena's own TDB2 loader answer as the embedded store does.

`cxgraph export --format nquads` is the hand-off to a store that scales. This loads the sample's export with
`tdb2.tdbloader` (Debian's libapache-jena-java, what Fuseki's TDB2 runs on) and asks every named question,
with its example parameters bound as RDF terms, through `tdb2.tdbquery` with the union default graph that
Fuseki's configuration sets: the graphs and the answers must be the embedded store's.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from conftest import ROOT, Built
from cxgraph.answer.payloads import prefixes
from cxgraph.answer.queries import bind, catalog
from cxgraph.stores.binding import bind_values
from cxgraph.stores.remote import term_from_json
from cxgraph.system import JARS, JENA, jena_classpath


@pytest.fixture(scope="module")
def classpath(tmp_path_factory: pytest.TempPathFactory) -> str:
    found = jena_classpath(tmp_path_factory.mktemp("jena-shim"))
    if found is None or not (JARS / "jena-tdb2.jar").is_file() or not (JARS / "jena-cmds.jar").is_file():
        pytest.skip(f"no Java or no Jena TDB2: {JENA.install_hint}")
    return found


@pytest.fixture(scope="module")
def tdb(sample: Built, classpath: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample's N-Quads export, loaded by tdb2.tdbloader into a TDB2 database."""
    folder = tmp_path_factory.mktemp("tdb2")
    export = folder / "all.nq"
    sample.store.raw.dump(output=str(export), format=ox.RdfFormat.N_QUADS)
    proc = subprocess.run(["java", "-cp", classpath, "tdb2.tdbloader", "--loc", str(folder / "db"), str(export)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return folder / "db"


def tdbquery(classpath: str, db: Path, sparql: str) -> dict[str, Any]:
    proc = subprocess.run(["java", "-cp", classpath, "tdb2.tdbquery", "--loc", str(db), "--results=JSON",
                           "--set", "tdb:unionDefaultGraph=true", sparql],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return dict(json.loads(proc.stdout))


def term_text(term: Any) -> str | None:
    """A term as both stores agree to write it: numbers by value (each store canonicalizes its own way)."""
    if term is None:
        return None
    if isinstance(term, ox.Literal) and term.datatype.value.rsplit("#", 1)[-1] in ("integer", "decimal", "double"):
        return f"{float(term.value)!r}^^{term.datatype.value}"
    return str(term)


def test_tdb2_holds_every_graph_of_the_export(sample: Built, classpath: str, tdb: Path) -> None:
    answer = tdbquery(classpath, tdb, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    counts = {b["g"]["value"]: int(b["n"]["value"]) for b in answer["results"]["bindings"]}
    assert counts == {g: sample.store.count(g) for g in sample.store.named_graphs()}
    assert len(counts) > 20


def test_every_named_question_answers_the_same_on_tdb2(sample: Built, classpath: str, tdb: Path) -> None:
    queries = catalog(ROOT / "queries")
    assert len(queries) >= 12
    compared = 0
    for name, query in sorted(queries.items()):
        bindings = bind(query, query.examples, prefixes(sample.project))
        text = bind_values(query.text, bindings)
        here = sample.store.query(query.text, bindings)
        variables = [v.value for v in here.variables]
        ours = Counter(tuple(term_text(row[v]) for v in variables) for row in here)
        answer = tdbquery(classpath, tdb, text)
        theirs = Counter(tuple(term_text(term_from_json(b[v]) if v in b else None) for v in variables)
                         for b in answer["results"]["bindings"])
        assert theirs == ours, name
        compared += bool(ours)
    assert compared >= 10  # questions whose example has an answer, not only empty ones
