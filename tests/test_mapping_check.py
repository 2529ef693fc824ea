"""The mapping check refuses, with file and line, the terms morph-kgc would misread."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from conftest import ROOT
from cxgraph.build.contract import load_contracts
from cxgraph.build.mapping import check_mapping
from cxgraph.errors import CxGraphError
from cxgraph.project import load_project


def _check_with(tmp_path: Path, line: str, ranges: dict[str, str] | None = None) -> None:
    project = load_project(ROOT)
    source = project.sources["crm"]
    text = source.mapping.read_text(encoding="utf-8")
    anchor = "      - [cx:hasSourceIdentifier, $(ContactId)]\n"
    assert anchor in text
    mapping = tmp_path / "crm.yml"
    mapping.write_text(text.replace(anchor, anchor + f"      - {line}\n", 1), encoding="utf-8")
    check_mapping(replace(source, mapping=mapping), load_contracts(project)["crm"], ranges)


def test_the_sample_mappings_pass(tmp_path: Path) -> None:
    _check_with(tmp_path, "[cx:hasSourceIdentifier, $(ContactId)]")


@pytest.mark.parametrize("term,message", [
    ('[cx:createdAt, "$(CreatedDate)T00:00:00Z", xsd:dateTime]', "reads as a column named 'CreatedDate)T00:00:00'"),
    ('[cx:hasName, "$(FirstName)x~literal"]', "starts with its only reference and goes on"),
    ('[cx:refersToRecord, "x$(ContactId)"]', "starts neither with a declared prefix nor with an absolute IRI"),
])
def test_terms_the_engine_misreads_are_refused_with_file_and_line(tmp_path: Path, term: str, message: str) -> None:
    with pytest.raises(CxGraphError, match="mapping 'contact'") as error:
        _check_with(tmp_path, term)
    assert message in str(error.value)
    assert error.value.path == tmp_path / "crm.yml"
    lines = (tmp_path / "crm.yml").read_text(encoding="utf-8").splitlines()
    assert term.split(",")[1].strip()[:12] in lines[error.value.line - 1]


def test_no_query_names_an_enterprise_namespace() -> None:
    project = load_project(ROOT)
    for path in (ROOT / "queries").glob("*.rq"):
        assert project.base_iri not in path.read_text(encoding="utf-8"), path


@pytest.mark.parametrize("term,message", [
    ("[cx:createdAt, $(CreatedDate), xsd:date]", "types the field 'datetime'"),
    ("[cx:hasName, $(FirstName), xsd:dateTime]", "types the field 'string'"),
    ("[cx:hasConsent, $(EmailOptIn), xsd:integer]", "types the field 'boolean'"),
])
def test_a_datatype_that_does_not_fit_the_contract_type_is_refused(tmp_path: Path, term: str, message: str) -> None:
    with pytest.raises(CxGraphError, match="writes") as error:
        _check_with(tmp_path, term)
    assert message in str(error.value) and error.value.line is not None


@pytest.mark.parametrize("term,message", [
    ("[cx:hasPromisedDate, $(FirstName)]", "writes cx:hasPromisedDate as xsd:string, but the ontology's values of "
                                           "cx:hasPromisedDate are xsd:date"),
    ("[cx:hasMarketingConsent, $(EmailOptIn), xsd:string]", "are xsd:boolean"),
])
def test_a_literal_must_have_its_propertys_datatype(tmp_path: Path, term: str, message: str) -> None:
    """A promised day mapped as text (or as a date-time) is never compared with a day: refused before the build."""
    from cxgraph.build.pipeline import ontology_ranges

    ranges = ontology_ranges(load_project(ROOT))
    _check_with(tmp_path, "[cx:hasSourceIdentifier, $(ContactId)]", ranges)  # the sample's own mapping passes
    with pytest.raises(CxGraphError, match="mapping 'contact'") as error:
        _check_with(tmp_path, term, ranges)
    assert message in str(error.value) and "crm.yml:" in str(error.value)
