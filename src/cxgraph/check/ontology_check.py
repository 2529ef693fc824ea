"""The whole ontology check `cxgraph check-ontology` runs: the imports closure, the hygiene checks, then HermiT."""

from __future__ import annotations

from pathlib import Path

from cxgraph.check.hermit import CONSISTENCY, REASONER_CHECKS, Reasoning, classify, reasoning_findings
from cxgraph.check.ontology_qc import QcReport, check_closure, load_checks
from cxgraph.errors import CxGraphError
from cxgraph.ontology import load_closure


def run_checks(ontology: Path, checks_dir: Path, reason: bool = True) -> tuple[QcReport, Reasoning | None]:
    """Closure, hygiene checks, then (unless told not to) HermiT; the reasoner's findings join the report."""
    if not ontology.is_file():
        raise CxGraphError("ontology file not found", ontology)
    checks = load_checks(checks_dir)
    closure = load_closure(ontology)
    report = check_closure(closure, checks)
    if not reason:
        return report, None
    result = classify(closure.graph)
    seconds = {check.id: 0.0 for check in REASONER_CHECKS}
    seconds[CONSISTENCY.id] = result.seconds
    report.add(REASONER_CHECKS, reasoning_findings(result, closure.top_iri), seconds)
    return report, result
