"""Checking the graph and the ontology: SHACL validation, ontology QC, HermiT, documentation."""
