"""Write shapes/core/datatypes.ttl from the ontology's data property ranges (run after adding a data property).

Usage: python scripts/make_datatype_shapes.py   (tests/test_shapes.py checks the file and the ontology agree)
"""
import glob
from pathlib import Path

import rdflib
from rdflib.namespace import RDFS, XSD

from cxgraph.xsd import ontology_datatypes

g = rdflib.Graph()
ROOT = Path(__file__).resolve().parent.parent
for f in glob.glob(str(ROOT / "ontology/modules/*.ttl")):
    g.parse(f)
CX = "https://w3id.org/cxgraph/ontology#"
rows = []
for prop, datatype in sorted(ontology_datatypes(g).items()):
    if prop.startswith(CX):
        rows.append((prop[len(CX):], datatype[len(str(XSD)):], str(g.value(rdflib.URIRef(prop), RDFS.label))))
WORDS = {"date": "a date (YYYY-MM-DD, no time of day)", "dateTime": "a date and time with its zone",
         "decimal": "a decimal number", "integer": "a whole number", "string": "a plain string",
         "boolean": "true or false", "anyURI": "an IRI (xsd:anyURI)",
         "nonNegativeInteger": "a whole number of 0 or more"}
out = ["""# Core datatypes: every value of a data property has the datatype the ontology gives it, on whatever record
# it appears, for any enterprise. Generated from the ontology's ranges (a date-valued property has range
# rdfs:Literal and the scope note "Values are xsd:date literals"); tests/test_shapes.py checks the two agree.
@prefix cx: <https://w3id.org/cxgraph/ontology#> .
@prefix cxsh: <https://w3id.org/cxgraph/shapes#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

<https://w3id.org/cxgraph/shapes/datatypes> a owl:Ontology ;
    dct:title "cxgraph shapes: datatypes"@en ;
    dct:description "One shape per data property of the ontology: its values have the datatype the ontology gives."@en ;
    dct:license <https://creativecommons.org/licenses/by/4.0/> .
"""]
for name, dt, label in rows:
    words = WORDS.get(dt, f"an xsd:{dt} value")
    # an instant needs its zone: "2026-03-02T09:15:00" could be any of 26 hours
    zone = '\n    sh:pattern "(Z|[+-][0-9][0-9]:[0-9][0-9])$" ;' if dt == "dateTime" else ""
    out.append(f"""cxsh:Datatype-{name} a sh:PropertyShape ;
    sh:targetSubjectsOf cx:{name} ;
    rdfs:label "{label}: datatype"@en ;
    rdfs:comment "Every value of cx:{name} is xsd:{dt}."@en ;
    sh:path cx:{name} ;
    sh:datatype xsd:{dt} ;{zone}
    sh:message "A value of cx:{name} ({label}) is not {words}."@en .
""")
(ROOT / "shapes/core/datatypes.ttl").write_text("\n".join(out), encoding="utf-8")
print(f"{len(rows)} datatype shapes written")
