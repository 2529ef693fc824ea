"""The Fuseki deployment as files: docker-compose.yml, fuseki/ (assembler configuration, shiro.ini), the
loader's Dockerfile and .env.example. No Docker engine is needed: the files are read with real parsers
(PyYAML, rdflib, docker-compose's own `config` when installed, Jena itself when installed) and checked
against each other and against Fuseki's documented vocabulary.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import rdflib
import yaml
from rdflib import RDF, RDFS, BNode, Literal, URIRef

from cxgraph.system import JDK, JENA, JENA_DEPENDENCIES, jena_xerces_shim

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
ASSEMBLER = ROOT / "fuseki" / "cxgraph.ttl"
SHIRO = ROOT / "fuseki" / "shiro.ini"
ENV_EXAMPLE = ROOT / ".env.example"

FUSEKI = "http://jena.apache.org/fuseki#"
TDB2 = "http://jena.apache.org/2016/tdb#"
JA = "http://jena.hpl.hp.com/2005/11/Assembler#"
RDF_NS = str(RDF)
RDFS_NS = str(RDFS)
NAMESPACES = {"fuseki": FUSEKI, "tdb2": TDB2, "ja": JA, "rdf": RDF_NS, "rdfs": RDFS_NS}

# Every term of these namespaces that an assembler configuration may use, each with where it is defined
# (apache/jena source and the Fuseki documentation, apache/jena-site source/documentation/fuseki2/).
# A term that is not here (a typo such as fuseki:endpiont, or an operation the server does not have) fails
# test_assembler_uses_only_documented_terms; add a term only with the page or class that defines it.
_FUSEKI_VOCAB = "jena-fuseki-core .../server/FusekiVocab.java, FusekiVocabG.java"
_ENDPOINT_DOC = "fuseki2/fuseki-config-endpoint.md"
ALLOWED: dict[str, dict[str, str]] = {
    FUSEKI: {
        "Server": _FUSEKI_VOCAB,
        "Service": _FUSEKI_VOCAB,
        "services": _FUSEKI_VOCAB,
        "name": _FUSEKI_VOCAB,
        "dataset": "FusekiVocabG.pDataset; fuseki2/fuseki-configuration.md",
        "endpoint": _FUSEKI_VOCAB + "; " + _ENDPOINT_DOC,
        "operation": _FUSEKI_VOCAB + "; " + _ENDPOINT_DOC,
        "allowedUsers": _FUSEKI_VOCAB + "; fuseki2/fuseki-data-access-control.md",
        "implementation": _FUSEKI_VOCAB,
        "timeout": _FUSEKI_VOCAB,
        "queryLimit": _FUSEKI_VOCAB,
        "unionDefaultGraph": _FUSEKI_VOCAB,
        "allowTimeoutOverride": _FUSEKI_VOCAB,
        "maximumTimeoutOverride": _FUSEKI_VOCAB,
        "passwd": _FUSEKI_VOCAB,
        "realm": _FUSEKI_VOCAB,
        "auth": _FUSEKI_VOCAB,
        "pingEP": _FUSEKI_VOCAB,
        "statsEP": _FUSEKI_VOCAB,
        "metricsEP": _FUSEKI_VOCAB,
        "compactEP": _FUSEKI_VOCAB,
        # Old-style endpoint declarations (fuseki2/fuseki-old-config-endpoint.md), still accepted.
        "serviceQuery": _FUSEKI_VOCAB,
        "serviceUpdate": _FUSEKI_VOCAB,
        "serviceUpload": _FUSEKI_VOCAB,
        "serviceShacl": _FUSEKI_VOCAB,
        "serviceReadWriteGraphStore": _FUSEKI_VOCAB,
        "serviceReadGraphStore": _FUSEKI_VOCAB,
        # Operations (the objects of fuseki:operation): the table in fuseki-config-endpoint.md, and
        # fuseki:shacl from shacl/__index.md "Integration with Apache Jena Fuseki"; "_" forms are the
        # alternative names FusekiVocab registers.
        "query": _ENDPOINT_DOC,
        "update": _ENDPOINT_DOC,
        "gsp-r": _ENDPOINT_DOC,
        "gsp-rw": _ENDPOINT_DOC,
        "gsp_r": _FUSEKI_VOCAB + " (opGSP_r_alt)",
        "gsp_rw": _FUSEKI_VOCAB + " (opGSP_rw_alt)",
        "upload": _ENDPOINT_DOC,
        "no-op": _ENDPOINT_DOC,
        "shacl": "shacl/__index.md; FusekiVocab.opShacl",
    },
    TDB2: {
        "DatasetTDB": "jena-tdb2 .../assembler/VocabTDB2.java",
        "DatasetTDB2": "VocabTDB2.tDatasetTDB2; fuseki2/examples config-tdb2.ttl",
        "GraphTDB": "VocabTDB2.java",
        "GraphTDB2": "VocabTDB2.java",
        "location": "VocabTDB2.pLocation",
        "unionDefaultGraph": "VocabTDB2.pUnionDefaultGraph; DatasetAssemblerTDB2.java",
        "graphName": "VocabTDB2.java",
        "namedGraph": "VocabTDB2.java",
        "dataset": "VocabTDB2.java",
    },
    JA: {
        "context": "jena-core .../assembler/JA.java; fuseki-config-endpoint.md (Context)",
        "cxtName": "JA.java",
        "cxtValue": "JA.java",
        "loadClass": "JA.java; FusekiConfig.processLoadClass",
        "data": "JA.java; fuseki-config-endpoint.md",
        "MemoryDataset": "fuseki-config-endpoint.md; examples/config-shacl.ttl",
        "RDFDataset": "fuseki2/fuseki-configuration.md",
        "defaultGraph": "fuseki2/fuseki-configuration.md",
        "MemoryModel": "JA.java",
        "content": "JA.java",
        "externalContent": "JA.java",
        "InfModel": "JA.java",
        "reasoner": "JA.java",
        "reasonerURL": "JA.java",
        "baseModel": "JA.java",
    },
    RDF_NS: {"type": "RDF", "first": "RDF (lists)", "rest": "RDF (lists)", "nil": "RDF (lists)"},
    RDFS_NS: {"label": "RDFS", "comment": "RDFS"},
}
OPERATIONS = {"query", "update", "gsp-r", "gsp-rw", "gsp_r", "gsp_rw", "upload", "no-op", "shacl"}
WRITING_OPERATIONS = {"update", "gsp-rw", "gsp_rw", "upload", "shacl"}


def fu(local: str) -> URIRef:
    return URIRef(FUSEKI + local)


def tdb2(local: str) -> URIRef:
    return URIRef(TDB2 + local)


def ja(local: str) -> URIRef:
    return URIRef(JA + local)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def assembler() -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(ASSEMBLER, format="turtle")
    return graph


@pytest.fixture(scope="module")
def endpoints(assembler: rdflib.Graph) -> dict[str, set[str]]:
    """Endpoint name ("" for the dataset URL itself) -> the operations (local names) it serves."""
    (service,) = assembler.subjects(RDF.type, fu("Service"))
    found: dict[str, set[str]] = {}
    for endpoint in assembler.objects(service, fu("endpoint")):
        (operation,) = assembler.objects(endpoint, fu("operation"))
        names = list(assembler.objects(endpoint, fu("name")))
        name = str(names[0]) if names else ""
        found.setdefault(name, set()).add(str(operation).removeprefix(FUSEKI))
    return found


def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, f".env.example: not KEY=VALUE: {line!r}"
            values[key.strip()] = value.strip()
    return values


def strings(node: Any) -> list[str]:
    """Every string in a YAML document, keys included."""
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in (*strings(key), *strings(value))]
    if isinstance(node, list):
        return [s for item in node for s in strings(item)]
    return [node] if isinstance(node, str) else []


# ---- docker-compose.yml


def test_compose_services_volume_and_image(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"fuseki", "loader"}
    assert set(compose["volumes"]) == {"fuseki-data"}
    fuseki = compose["services"]["fuseki"]
    # A pinned release of the widely used image, never :latest (its behaviour is what the files rely on).
    assert fuseki["image"] == "stain/jena-fuseki:5.1.0"
    assert "fuseki-data:/fuseki" in fuseki["volumes"], "the TDB2 database must live in the named volume"


def test_compose_mounts_the_configuration_where_fuseki_reads_it(compose: dict[str, Any]) -> None:
    mounts = {}
    for volume in compose["services"]["fuseki"]["volumes"]:
        source, target, *mode = volume.split(":")
        mounts[target] = (source, mode)
    # Fuseki (full server) reads one data service per file in FUSEKI_BASE/configuration/ (FUSEKI_BASE=/fuseki).
    assert mounts["/fuseki/configuration/cxgraph.ttl"] == ("./fuseki/cxgraph.ttl", ["ro"])
    # The image's entrypoint copies FUSEKI_HOME/shiro.ini into FUSEKI_BASE on the first start.
    assert mounts["/jena-fuseki/shiro.ini"] == ("./fuseki/shiro.ini", ["ro"])


def test_every_file_the_compose_file_references_exists(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name}: mounts {source}, which is not in the repository"
            else:
                assert source in compose["volumes"], f"{name}: volume {source} is not declared"
        for env_file in ([service["env_file"]] if isinstance(service.get("env_file"), str)
                         else service.get("env_file", [])):
            assert (ROOT / env_file).is_file(), f"{name}: env_file {env_file} is not in the repository"
        build = service.get("build")
        if build is not None:
            context = ROOT / (build if isinstance(build, str) else build.get("context", "."))
            dockerfile = context / ("Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile"))
            assert context.is_dir(), f"{name}: build context {context} is missing"
            assert dockerfile.is_file(), f"{name}: {dockerfile} is missing"


def test_loader_dockerfile_builds_from_the_repository(compose: dict[str, Any]) -> None:
    build = compose["services"]["loader"]["build"]
    context = ROOT / build["context"]
    text = (context / build["dockerfile"]).read_text(encoding="utf-8").replace("\\\n", " ")
    instructions = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            word, _, rest = line.strip().partition(" ")
            instructions.append((word.upper(), rest.strip()))
    assert instructions[0] == ("FROM", "python:3.11-slim")
    for word, rest in instructions:
        if word == "COPY":
            sources = [part for part in rest.split() if not part.startswith("--")][:-1]
            for source in sources:
                assert (context / source).exists(), f"Dockerfile copies {source}, which is not in the repository"
    run = " ".join(rest for word, rest in instructions if word == "RUN")
    assert "pip install ." in run, "the image installs the project itself"
    assert "cxgraph setup" in run, "the mapping engine is installed at build time (no PyPI access at run time)"
    assert ("ENTRYPOINT", '["cxgraph"]') in instructions
    ignored = (context / ".dockerignore").read_text(encoding="utf-8").split()
    assert ".env" in ignored, "the admin password in .env must not be copied into the image"
    assert {".venv", ".git", ".cxgraph"} <= set(ignored)


def test_env_file_is_not_committed() -> None:
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert ".env" in ignored or "/.env" in ignored, ".env holds the admin password: .gitignore must list it"


def test_fuseki_healthcheck_pings_and_loader_waits_for_it(compose: dict[str, Any]) -> None:
    check = compose["services"]["fuseki"]["healthcheck"]
    assert check["test"][0] == "CMD"
    # "$$" is Compose's escape for "$": the container runs curl on http://localhost:3030/$/ping.
    assert check["test"][-1] == "http://localhost:3030/$$/ping"
    assert "curl" in check["test"] and "--fail" in check["test"]
    loader = compose["services"]["loader"]
    assert loader["depends_on"] == {"fuseki": {"condition": "service_healthy"}}
    assert loader["restart"] == "no", "the loader is one-shot"


def test_ports_are_bound_to_loopback(compose: dict[str, Any]) -> None:
    ports = [(name, port) for name, service in compose["services"].items() for port in service.get("ports", [])]
    assert ports, "Fuseki's port is published"
    for name, port in ports:
        assert isinstance(port, str) and port.startswith("127.0.0.1:"), f"{name}: {port} is not loopback only"
    assert compose["services"]["fuseki"]["ports"] == ["127.0.0.1:${FUSEKI_PORT:-3030}:3030"]


def test_admin_password_comes_from_the_environment(compose: dict[str, Any]) -> None:
    required = "${FUSEKI_ADMIN_PASSWORD:?"  # Compose stops with a message when it is unset or empty
    assert compose["services"]["fuseki"]["environment"]["ADMIN_PASSWORD"].startswith(required)
    assert compose["services"]["loader"]["environment"]["CXGRAPH_ENDPOINT_PASSWORD"].startswith(required)
    for name, service in compose["services"].items():
        for key, value in service.get("environment", {}).items():
            if "PASSWORD" in key:
                assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]*\}", str(value)), f"{name}: {key} is hard-coded"
    values = env_example()
    assert values["FUSEKI_ADMIN_PASSWORD"] == "", ".env.example must not ship a usable password"


def test_compose_interpolation_is_well_formed_and_documented(compose: dict[str, Any]) -> None:
    documented = set(env_example())
    text = COMPOSE.read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    for value in strings(compose):
        rest = value.replace("$$", "")
        for match in re.finditer(r"\$", rest):
            tail = rest[match.start():]
            assert re.match(r"\$\{[A-Za-z_][A-Za-z0-9_]*(:?[-?][^}]*)?\}|\$[A-Za-z_]", tail), (
                f"{value!r}: a lone $ (write $$ for a literal $)")
    used = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", body))
    assert used == {"FUSEKI_ADMIN_PASSWORD", "FUSEKI_PORT", "FUSEKI_JVM_ARGS"}
    assert used <= documented, f"not in .env.example: {sorted(used - documented)}"


def test_loader_targets_the_configured_endpoints(compose: dict[str, Any], endpoints: dict[str, set[str]],
                                                  assembler: rdflib.Graph) -> None:
    loader = compose["services"]["loader"]
    env = loader["environment"]
    (service,) = assembler.subjects(RDF.type, fu("Service"))
    base = f"http://fuseki:3030/{assembler.value(service, fu('name'))}/"

    def operations(url: str) -> set[str]:
        assert url.startswith(base), f"{url} is not on the Fuseki service {base}"
        return endpoints.get(url.removeprefix(base), set())

    assert "query" in operations(env["CXGRAPH_ENDPOINT"])
    assert "update" in operations(env["CXGRAPH_UPDATE_ENDPOINT"])
    assert "gsp-rw" in operations(env["CXGRAPH_GSP_ENDPOINT"])
    assert env["CXGRAPH_ENDPOINT_USER"] == "admin"
    assert loader["command"] == ["build", "--endpoint", env["CXGRAPH_ENDPOINT"]]
    # The loader tells cxgraph that the server unions the named graphs, which the dataset really does.
    assert env["CXGRAPH_UNION_DEFAULT_GRAPH"] == "true"
    (dataset,) = assembler.objects(service, fu("dataset"))
    assert assembler.value(dataset, tdb2("unionDefaultGraph")) == Literal(True)


def _compose_command() -> list[str] | None:
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_compose_file_passes_compose_own_validation(tmp_path: Path) -> None:
    """`docker compose config` (or Debian's docker-compose) parses, validates and interpolates the file."""
    command = _compose_command()
    if command is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed")
    base = [*command, "--project-directory", str(ROOT), "-f", str(COMPOSE), "--env-file", str(ENV_EXAMPLE)]
    env = {key: value for key, value in os.environ.items() if not key.startswith(("FUSEKI_", "COMPOSE_"))}
    without = subprocess.run([*base, "config"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert without.returncode != 0, "an empty FUSEKI_ADMIN_PASSWORD must stop Compose"
    assert "FUSEKI_ADMIN_PASSWORD" in without.stdout + without.stderr
    env["FUSEKI_ADMIN_PASSWORD"] = "not-a-real-password"
    done = subprocess.run([*base, "config"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    resolved = yaml.safe_load(done.stdout)
    assert resolved["services"]["fuseki"]["environment"]["ADMIN_PASSWORD"] == "not-a-real-password"
    assert resolved["services"]["loader"]["environment"]["CXGRAPH_ENDPOINT_PASSWORD"] == "not-a-real-password"
    port = resolved["services"]["fuseki"]["ports"][0]  # short syntax (docker-compose 1.x) or long (Compose v2)
    assert (port.get("host_ip") if isinstance(port, dict) else port.split(":")[0]) == "127.0.0.1"


# ---- fuseki/cxgraph.ttl


def test_assembler_declares_the_standard_prefixes() -> None:
    graph = rdflib.Graph()
    graph.parse(ASSEMBLER, format="turtle")
    declared = {prefix: str(ns) for prefix, ns in graph.namespaces()}
    for prefix, namespace in NAMESPACES.items():
        assert declared.get(prefix) == namespace, f"prefix {prefix}: is {declared.get(prefix)}, not {namespace}"


def undocumented_terms(graph: rdflib.Graph) -> set[str]:
    """IRIs of the fuseki:, tdb2:, ja:, rdf:, rdfs: namespaces that are not in the allow-list."""
    unknown = set()
    for triple in graph:
        for term in triple:
            for namespace, allowed in ALLOWED.items():
                local = str(term).removeprefix(namespace)
                if isinstance(term, URIRef) and term.startswith(namespace) and local not in allowed:
                    unknown.add(str(term))
    return unknown


def test_assembler_uses_only_documented_terms(assembler: rdflib.Graph) -> None:
    unknown = undocumented_terms(assembler)
    assert not unknown, f"terms not in Fuseki's documented vocabulary: {sorted(unknown)}"
    for predicate in set(assembler.predicates()):
        assert any(str(predicate).startswith(ns) for ns in ALLOWED), f"predicate from an unknown namespace: {predicate}"
    for rdf_type in set(assembler.objects(None, RDF.type)):
        assert any(str(rdf_type).startswith(ns) for ns in (FUSEKI, TDB2, JA)), f"unknown type {rdf_type}"


def test_allow_list_rejects_a_typo() -> None:
    """The check above is not vacuous: a misspelt property or operation is caught."""
    text = ASSEMBLER.read_text(encoding="utf-8")
    for good, bad in (("fuseki:endpoint", "fuseki:endpiont"), ("fuseki:shacl", "fuseki:shcl"),
                      ("tdb2:unionDefaultGraph", "tdb2:unionDefaultGraf")):
        assert good in text
        graph = rdflib.Graph()
        graph.parse(data=text.replace(good, bad, 1), format="turtle", publicID=ASSEMBLER.as_uri())
        assert undocumented_terms(graph) == {bad.replace("fuseki:", FUSEKI).replace("tdb2:", TDB2)}


def test_service_endpoints(endpoints: dict[str, set[str]], assembler: rdflib.Graph) -> None:
    (service,) = assembler.subjects(RDF.type, fu("Service"))
    assert assembler.value(service, fu("name")) == Literal("cxgraph")
    assert all(op in OPERATIONS for ops in endpoints.values() for op in ops)
    assert endpoints == {
        "": {"query"},
        "sparql": {"query"},
        "query": {"query"},
        "get": {"gsp-r"},
        "update": {"update"},
        "data": {"gsp-rw"},
        "shacl": {"shacl"},
    }
    # Nothing writes through the dataset URL itself, which shiro.ini leaves open for queries.
    assert not endpoints[""] & WRITING_OPERATIONS


def test_dataset_is_tdb2_in_the_volume_with_union_default_graph_and_timeout(assembler: rdflib.Graph) -> None:
    (service,) = assembler.subjects(RDF.type, fu("Service"))
    (dataset,) = assembler.objects(service, fu("dataset"))
    assert (dataset, RDF.type, tdb2("DatasetTDB2")) in assembler
    location = str(assembler.value(dataset, tdb2("location")))
    assert location == "/fuseki/databases/cxgraph", "the database lives in the fuseki-data volume (/fuseki)"
    union = assembler.value(dataset, tdb2("unionDefaultGraph"))
    assert isinstance(union, Literal) and union.toPython() is True
    settings = {}
    for context in assembler.objects(dataset, ja("context")):
        assert isinstance(context, BNode)
        settings[str(assembler.value(context, ja("cxtName")))] = str(assembler.value(context, ja("cxtValue")))
    assert set(settings) == {"arq:queryTimeout"}
    first, _, overall = settings["arq:queryTimeout"].partition(",")
    assert first.isdigit() and overall.isdigit() and 0 < int(first) <= int(overall) <= 300_000


# ---- fuseki/shiro.ini


def _ant_match(pattern: str, path: str) -> bool:
    """Shiro's AntPathMatcher for the patterns used here: `*` within a segment, `/**` for any sub-path."""
    regex = re.escape(pattern).replace(r"/\*\*", "(/.*)?").replace(r"\*", "[^/]*")
    return re.fullmatch(regex, path) is not None


def _shiro() -> tuple[dict[str, str], list[tuple[str, str]]]:
    section, users, urls = "", {}, []
    for raw in SHIRO.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        if section == "users":
            users[key.strip()] = value.strip()
        elif section == "urls":
            urls.append((key.strip(), value.strip()))
    return users, urls


def _filter_for(path: str, urls: list[tuple[str, str]]) -> str:
    return next(chain for pattern, chain in urls if _ant_match(pattern, path))  # Shiro: first match wins


def test_shiro_protects_writes_and_admin_and_leaves_queries_open(endpoints: dict[str, set[str]]) -> None:
    users, urls = _shiro()
    assert users == {"admin": "${ADMIN_PASSWORD}"}, "the image's entrypoint fills in the password; none is stored"
    assert _ant_match("/cxgraph/update/**", "/cxgraph/update") and not _ant_match("/cxgraph/update/**", "/cxgraph")
    for path in ("/$/ping", "/$/status"):
        assert _filter_for(path, urls) == "anon", f"{path} is the health check"
    for path in ("/$/datasets", "/$/backup/cxgraph", "/$/compact/cxgraph"):
        assert _filter_for(path, urls).startswith("authcBasic"), f"{path} is the admin API"
    for name, operations in endpoints.items():
        path = "/cxgraph" + (f"/{name}" if name else "")
        chain = _filter_for(path, urls)
        if operations & WRITING_OPERATIONS:
            assert chain == "authcBasic,user[admin]", f"{path} ({operations}) must need the admin password"
        else:
            assert chain == "anon", f"{path} ({operations}) is for queries"


# ---- with Jena itself (Debian's libapache-jena-java)

JENA_JARS = ["jena-arq", "jena-base", "jena-core", "jena-dboe-base", "jena-dboe-index", "jena-dboe-storage",
             "jena-dboe-trans-data", "jena-dboe-transaction", "jena-iri", "jena-tdb2"]
JAVA_DIR = Path("/usr/share/java")

# Parses the configuration with Jena's Turtle parser, builds its dataset with Jena's assembler (the code
# Fuseki runs for fuseki:dataset) on a scratch directory, and reports what a query sees.
ASSEMBLER_CHECK = """
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.jena.assembler.Assembler;
import org.apache.jena.query.*;
import org.apache.jena.rdf.model.*;
import org.apache.jena.riot.Lang;
import org.apache.jena.riot.RDFParser;
import org.apache.jena.sparql.core.assembler.AssemblerUtils;
import org.apache.jena.sparql.engine.Timeouts;
import org.apache.jena.sys.JenaSystem;
import org.apache.jena.system.Txn;
import org.apache.jena.tdb2.TDB2;
import org.apache.jena.vocabulary.RDF;

public class AssemblerCheck {
    public static void main(String[] args) {
        JenaSystem.init();
        Model m = RDFParser.source(args[0]).lang(Lang.TTL).strict(true).toModel();
        AssemblerUtils.addRegistered(m);
        List<Resource> services = m.listResourcesWithProperty(RDF.type,
            m.createResource("http://jena.apache.org/fuseki#Service")).toList();
        System.out.println("services=" + services.size());
        Resource desc = services.get(0).getPropertyResourceValue(m.createProperty("http://jena.apache.org/fuseki#dataset"));
        Property location = m.createProperty("http://jena.apache.org/2016/tdb#location");
        desc.removeAll(location).addProperty(location, args[1]);
        Dataset ds = (Dataset) Assembler.general.open(desc);
        Object timeout = ds.getContext().get(ARQ.queryTimeout);
        System.out.println("unionDefaultGraph=" + ds.getContext().get(TDB2.symUnionDefaultGraph));
        System.out.println("queryTimeout=" + Timeouts.parseTimeoutStr(String.valueOf(timeout), TimeUnit.MILLISECONDS));
        Txn.executeWrite(ds, () -> ds.getNamedModel("https://example.org/graph/source/crm")
            .createResource("https://example.org/id/1").addProperty(RDF.type, m.createResource("https://example.org/T")));
        Txn.executeRead(ds, () -> {
            try (QueryExecution qe = QueryExecutionFactory.create("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", ds)) {
                System.out.println("defaultGraphTriples=" + qe.execSelect().next().getLiteral("n").getLong());
            }
        });
        ds.close();
    }
}
"""


def _jena_classpath(tmp_path: Path) -> str:
    if not (shutil.which("java") and shutil.which("javac")):
        pytest.skip(f"no Java development kit (java, javac): {JDK.install_hint}")
    jars = [JAVA_DIR / f"{name}.jar" for name in JENA_JARS + JENA_DEPENDENCIES]
    missing = [jar.name for jar in jars if not jar.is_file()]
    if missing:
        pytest.skip(f"Jena jars not installed ({', '.join(missing)}): {JENA.install_hint}")
    shim = jena_xerces_shim(tmp_path / "shim")
    return os.pathsep.join([*map(str, jars), str(shim)])


def test_jena_loads_the_assembler_with_union_default_graph_and_timeout(tmp_path: Path) -> None:
    classpath = _jena_classpath(tmp_path)
    source = tmp_path / "AssemblerCheck.java"
    source.write_text(ASSEMBLER_CHECK, encoding="utf-8")
    proc = subprocess.run(["java", "-cp", classpath, str(source), str(ASSEMBLER), str(tmp_path / "db")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
    assert report == {
        "services": "1",
        "unionDefaultGraph": "true",
        "queryTimeout": "(30000, 120000)",
        # The triple written into a named graph is in the default graph a query sees.
        "defaultGraphTriples": "1",
    }
