"""Running the YARRRML mappings with morph-kgc, isolated in its own virtual environment.

morph-kgc 2.10 pins rdflib<7.3 and pyoxigraph<0.4, which would downgrade the store and conflict with
pySHACL; so it runs as a subprocess from a private venv (created on first use, or given by
CXGRAPH_MORPH_PYTHON) and hands back N-Quads. Before it runs, each mapping is checked against its
record contract so that a typo stops the run with the mapping file and line, not a pandas traceback.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import re
import signal
import subprocess
import sys
import threading
import time
import venv
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from cxgraph.build.contract import Contract, RecordSet
from cxgraph.build.iri import is_template
from cxgraph.build.mapping_names import raw_column
from cxgraph.errors import CxGraphError
from cxgraph.progress import Tick, silent
from cxgraph.project import Source
from cxgraph.xsd import FOR_CONTRACT_TYPE, XSD
from cxgraph.yamlio import LineList, line_of, load_yaml

if TYPE_CHECKING:
    from cxgraph.build.spark_mapping import SparkMappingRun

MORPH_REQUIREMENT = os.environ.get("CXGRAPH_MORPH_REQUIREMENT", "morph-kgc==2.10.0")
_REFERENCE = re.compile(r"\$\(([^)]*)\)")


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cxgraph"


def engine_python(install: bool = True, echo: Any = print) -> Path:
    """The Python interpreter that has morph-kgc, creating its private venv when missing."""
    configured = os.environ.get("CXGRAPH_MORPH_PYTHON")
    if configured:
        path = Path(configured)
        if not path.exists():
            raise CxGraphError(f"CXGRAPH_MORPH_PYTHON points at {path}, which does not exist")
        return path
    env_dir = cache_dir() / ("engine-" + re.sub(r"[^\w.]+", "-", MORPH_REQUIREMENT))
    python = env_dir / "bin" / "python"
    marker = env_dir / ".installed"
    if marker.exists() and python.exists():
        return python
    if not install:
        raise CxGraphError(f"the mapping engine is not installed; run `cxgraph setup` (it goes to {env_dir})")
    echo(f"Installing the mapping engine ({MORPH_REQUIREMENT}) into its own environment {env_dir} (once)...")
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    proc = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", MORPH_REQUIREMENT],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        raise CxGraphError(f"could not install {MORPH_REQUIREMENT} into {env_dir}:\n{tail}")
    marker.write_text(MORPH_REQUIREMENT + "\n", encoding="utf-8")
    return python


@dataclass(frozen=True)
class MappingRule:
    """One YARRRML mapping: which record set it iterates, its subject template and its raw IRI fields.

    `raw_iri` maps each field the mapping writes into an IRI without encoding it (a whole `$(x)~iri`
    reference: "whole"; a parameter of a function that builds an IRI: "fragment") to that kind.
    """

    name: str
    record_set: RecordSet
    line: int | None
    subject: str | None = None
    prefixes: dict[str, str] = field(default_factory=dict)
    raw_iri: dict[str, set[str]] = field(default_factory=dict)
    objects: int = 0  # its predicate-object entries: the triples it makes per record, besides its type


def _raw_iri_fields(body: dict[str, Any], rename: bool = False) -> dict[str, set[str]]:
    """Fields whose values the mapping engine writes into IRIs as they are (see iri.py).

    With `rename`, `body` is changed in place so that those positions read the field's IRI-safe
    staged copy (`raw_column`) instead of the field itself.
    """
    found: dict[str, set[str]] = {}

    def swap(text: str, kind: str) -> str:
        for ref in _REFERENCE.findall(text):
            found.setdefault(ref, set()).add(kind)
        if not rename:
            return text
        return _REFERENCE.sub(lambda m: f"$({raw_column(m.group(1), kind)})", text)

    def visit(term: Any, in_iri_function: bool = False) -> Any:
        if isinstance(term, str):
            if in_iri_function and _REFERENCE.search(term):
                return swap(term, "fragment")
            if term.endswith("~iri") and _REFERENCE.search(term) and not is_template(term):
                return swap(term, "whole")
            return term
        if isinstance(term, list):
            return [visit(item, in_iri_function) for item in term]
        if not isinstance(term, dict):
            return term
        if "function" in term or "fn" in term:
            iri = str(term.get("type", term.get("termType", ""))).lower() == "iri"
            key = "parameters" if "parameters" in term else "pms"
            if isinstance(term.get(key), list):
                params = [visit(param, iri or in_iri_function) for param in term[key]]
                if rename:
                    term[key] = params
            return term
        for key in ("value", "v", "o", "objects", "object"):
            if key in term:
                changed = visit(term[key], in_iri_function)
                if rename:
                    term[key] = changed
        value = term.get("value")
        if str(term.get("type", "")).lower() == "iri" and isinstance(value, str) and _REFERENCE.search(value) \
                and not is_template(value + "~iri"):
            changed = swap(value, "whole")
            if rename:
                term["value"] = changed
        return term

    for key in ("s", "subject", "subjects"):
        subject = body.get(key)
        if isinstance(subject, str) and _REFERENCE.search(subject) and not is_template(subject):
            changed = swap(subject, "whole")
        elif isinstance(subject, dict):
            changed = visit(subject)
        else:
            continue
        if rename:
            body[key] = changed
    for key in ("po", "predicateobjects"):
        entries = body.get(key)
        if not isinstance(entries, list):
            continue
        for index, entry in enumerate(entries):
            if isinstance(entry, list) and len(entry) >= 2:
                pair = [entry[0], visit(entry[1]), *entry[2:]]
                if rename:
                    entries[index] = pair
            elif isinstance(entry, dict):
                for okey in ("o", "objects", "object"):
                    if okey in entry:
                        changed = visit(entry[okey])
                        if rename:
                            entry[okey] = changed
    return found


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _source_spec(entry: Any, named: dict[str, Any], path: Path, line: int | None) -> tuple[str, str | None]:
    """(file, iterator) of one YARRRML source entry."""
    if isinstance(entry, str) and entry in named:
        entry = named[entry]
    if isinstance(entry, list) and entry and isinstance(entry[0], str):
        access, _, formulation = entry[0].partition("~")
        iterator = entry[1] if len(entry) > 1 else None
        return access, iterator if formulation.lower() in ("jsonpath", "json") else None
    if isinstance(entry, dict) and "access" in entry:
        return str(entry["access"]), entry.get("iterator")
    raise CxGraphError("cannot read this source; use ['file.csv~csv'] or ['file.json~jsonpath', '$.x[*]']",
                       path, line)


def check_mapping(source: Source, contract: Contract,
                  ranges: dict[str, str] | None = None) -> tuple[Any, list[MappingRule]]:
    """Parse one mapping file and check every source and $(reference) against the contract, and (with
    `ranges`, each data property's datatype from the ontology) every literal's datatype against its property."""
    path = source.mapping
    doc = load_yaml(path)
    if not isinstance(doc, dict):
        raise CxGraphError("a YARRRML document must be a mapping", path, 1)
    mappings = doc.get("mappings", doc.get("mapping", doc.get("m")))
    if not isinstance(mappings, dict) or not mappings:
        raise CxGraphError("no 'mappings' section", path, line_of(doc))
    named = doc.get("sources", {}) if isinstance(doc.get("sources"), dict) else {}
    by_file = {(rs.file, rs.iterator if rs.format == "json" else None): rs for rs in contract.record_sets.values()}
    rules = []
    for name, body in mappings.items():
        line = line_of(mappings, name)
        if not isinstance(body, dict):
            raise CxGraphError(f"mapping {name!r}: expected a mapping", path, line)
        for key in ("graphs", "graph", "g"):
            if key in body:
                raise CxGraphError(
                    f"mapping {name!r}: remove '{key}:' — the engine writes each source into its named graph",
                    path, line_of(body, key))
        entries = body.get("sources", body.get("source"))
        if entries is None:
            raise CxGraphError(f"mapping {name!r}: no 'sources'", path, line)
        if isinstance(entries, str) or (isinstance(entries, list) and entries and isinstance(entries[0], str)
                                        and "~" in entries[0]):
            entries = [entries]
        if not any(k in body for k in ("s", "subject", "subjects")):
            raise CxGraphError(f"mapping {name!r}: no subject ('s')", path, line)
        for index, entry in enumerate(entries):
            entry_line = entries.lines[index] if isinstance(entries, LineList) else line
            file, iterator = _source_spec(entry, named, path, entry_line)
            rs = by_file.get((file, iterator))
            if rs is None:
                known = ", ".join(f if not it else f"{f} {it}" for f, it in by_file)
                raise CxGraphError(
                    f"mapping {name!r} reads {file}" + (f" with iterator {iterator}" if iterator else "")
                    + f", which no record set of contract {contract.path.name} declares (declared: {known})",
                    path, entry_line)
            body_without_sources = {k: v for k, v in body.items() if k not in ("sources", "source")}
            for ref in _REFERENCE.findall(yaml.safe_dump(_plain(body_without_sources))):
                if ref not in rs.fields:
                    raise CxGraphError(
                        f"mapping {name!r} reads $({ref}), which record set {rs.name!r} of contract "
                        f"{contract.path.name} does not declare (declared: {', '.join(rs.fields)})",
                        path, _find_line(path, f"$({ref})", line))
            prefixes = {str(k): str(v) for k, v in (doc.get("prefixes") or {}).items()}
            for term in _strings(body_without_sources):
                _check_term(term, name, prefixes, path, line)
            _check_datatypes(body, rs, name, prefixes, path, line, contract)
            _check_ranges(body, name, prefixes, path, line, ranges or {})
            subject = body.get("s", body.get("subject"))
            rules.append(MappingRule(name=str(name), record_set=rs, line=line,
                                     subject=subject if isinstance(subject, str) and is_template(subject) else None,
                                     prefixes=prefixes, raw_iri=_raw_iri_fields(body),
                                     objects=len(body.get("po", body.get("predicateobjects", [])) or [])))
    return doc, rules


def _strings(node: Any) -> list[str]:
    """Every term of a mapping body the engine reads as a term (function parameters are values: skipped)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        if "function" in node or "fn" in node:
            return []
        return [t for value in node.values() for t in _strings(value)]
    if isinstance(node, list):
        return [t for value in node for t in _strings(value)]
    return []


def _check_term(term: str, name: object, prefixes: dict[str, str], path: Path, line: int | None) -> None:
    """Refuse terms morph-kgc 2.10 misreads, before it runs (it fails with a pandas error naming no file).

    A term that starts with its only reference and goes on (`"$(d)T00:00:00Z"`) is read as a column
    named `d)T00:00:00`; a template term that is neither a literal nor an absolute or prefixed IRI
    (`"x$(d)"`) becomes a relative IRI the store cannot hold.
    """
    core = re.sub(r"~(iri|literal|lang)$", "", term)
    refs = _REFERENCE.findall(core)
    if not refs:
        return
    where = _find_line(path, term, line)
    if core.startswith("$(") and len(refs) == 1 and not re.fullmatch(r"\$\([^)]*\)", core):
        raise CxGraphError(
            f"mapping {name!r}: the term {term!r} starts with its only reference and goes on, which morph-kgc "
            f"reads as a column named {core[2:-1]!r}; map the value alone (e.g. [p, $({refs[0]}), xsd:date]) or "
            "build it with a function such as morph-kgc:concat", path, where)
    if term.endswith("~literal") or not is_template(term) or term.endswith("~iri"):
        return
    head = core.split("$(", 1)[0]
    prefix, colon, _rest = head.partition(":")
    absolute = re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", head) or (colon and prefix in prefixes)
    if head and not absolute:
        raise CxGraphError(
            f"mapping {name!r}: the term {term!r} is a template, which morph-kgc writes as an IRI, but it starts "
            "neither with a declared prefix nor with an absolute IRI; add ~literal for text, or a prefix",
            path, where)


def _typed_objects(body: dict[str, Any]) -> list[tuple[str, str]]:
    """(object term, datatype) of every predicate-object entry that gives a datatype."""
    found = []
    for entry in body.get("po", body.get("predicateobjects", [])) or []:
        if isinstance(entry, list) and len(entry) >= 3 and isinstance(entry[1], str) and isinstance(entry[2], str):
            found.append((entry[1], entry[2]))
        elif isinstance(entry, dict):
            obj = entry.get("o", entry.get("objects"))
            for item in obj if isinstance(obj, list) else [obj]:
                if isinstance(item, dict) and isinstance(item.get("value"), str) and isinstance(
                        item.get("datatype"), str):
                    found.append((item["value"], item["datatype"]))
    return found


def _check_datatypes(body: dict[str, Any], rs: RecordSet, name: object, prefixes: dict[str, str], path: Path,
                     line: int | None, contract: Contract) -> None:
    """A field mapped with a datatype must have the contract type whose values are of that datatype.

    A contract `date` written as xsd:dateTime gives "1996-07-04"^^xsd:dateTime: ill-typed, silently
    dropped by every range filter.
    """
    for term, datatype in _typed_objects(body):
        refs = _REFERENCE.findall(term)
        if len(refs) != 1 or term != f"$({refs[0]})" or refs[0] not in rs.fields:
            continue
        head, colon, local = datatype.partition(":")
        full = prefixes[head] + local if colon and head in prefixes else datatype
        ftype = rs.fields[refs[0]].type
        allowed = FOR_CONTRACT_TYPE.get(ftype, {XSD + "string"})
        if full not in allowed:
            fits = ", ".join(sorted(t for t, datatypes in FOR_CONTRACT_TYPE.items() if full in datatypes)) or "none"
            raise CxGraphError(
                f"mapping {name!r} writes $({refs[0]}) as {datatype}, but contract {contract.path.name} types the "
                f"field {ftype!r} (whose values are {', '.join(sorted(a.replace(XSD, 'xsd:') for a in allowed))}); "
                f"give the field the type that fits {datatype} ({fits}) or map it with a matching datatype",
                path, _find_line(path, term, line))


def _check_ranges(body: dict[str, Any], name: object, prefixes: dict[str, str], path: Path, line: int | None,
                  ranges: dict[str, str]) -> None:
    """A literal must have its property's datatype: a promised date mapped as xsd:dateTime (or as plain text)
    is never compared with a day, so no delivery would ever be late."""
    def full(term: str) -> str:
        head, colon, local = term.partition(":")
        return prefixes[head] + local if colon and head in prefixes else term

    for entry in body.get("po", body.get("predicateobjects", [])) or []:
        if not (isinstance(entry, list) and len(entry) >= 2 and all(isinstance(t, str) for t in entry[:2])):
            continue
        predicate, obj = full(entry[0]), entry[1]
        expected = ranges.get(predicate)
        if expected is None or obj.endswith("~iri") or obj.endswith("~lang"):
            continue
        given = full(entry[2]) if len(entry) >= 3 and isinstance(entry[2], str) else XSD + "string"
        if given != expected and not (expected == XSD + "decimal" and given in (XSD + "integer",)):
            short = expected.replace(XSD, "xsd:")
            raise CxGraphError(
                f"mapping {name!r} writes {entry[0]} as {given.replace(XSD, 'xsd:')}, but the ontology's values of "
                f"{entry[0]} are {short}; map it as [{entry[0]}, {obj}, {short}] (and type the contract field to fit)",
                path, _find_line(path, entry[0], line))


def _find_line(path: Path, needle: str, default: int | None) -> int | None:
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in text:
            return number
    return default


def write_staged_mapping(doc: Any, graph: str, target: Path,
                         tables: Mapping[tuple[str, str | None], str] | None = None,
                         moved: Mapping[str, str] | None = None) -> None:
    """A copy of the mapping whose every triples map writes into `graph`, reading IRI-safe copies where raw,
    reading a JSON record set from its staged table where there is one (`tables`: (file, iterator) -> the
    table's path, staging.json_tables), and an export staged apart for this source from there (`moved`: file
    -> its copy, staging.Staged)."""
    plain = _plain(doc)
    key = "mappings" if "mappings" in plain else ("mapping" if "mapping" in plain else "m")
    named = plain.get("sources", {}) if isinstance(plain.get("sources"), dict) else {}
    for body in plain[key].values():
        body["graphs"] = graph
        _raw_iri_fields(body, rename=True)  # raw IRI positions read the staged IRI-safe copies
        if tables or moved:
            _read_tables(body, named, tables or {}, moved or {})
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(plain, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _read_tables(body: dict[str, Any], named: dict[str, Any], tables: Mapping[tuple[str, str | None], str],
                 moved: Mapping[str, str]) -> None:
    """Point each source entry of a triples map that reads a JSON record set with a staged table at the table,
    and each that reads an export staged apart for this source at that copy."""
    skey = "sources" if "sources" in body else "source"
    entries = body.get(skey)
    single = isinstance(entries, str) or (isinstance(entries, list) and bool(entries)
                                          and isinstance(entries[0], str) and "~" in entries[0])
    listed = [entries] if single else list(entries or [])
    changed: list[Any] = []
    for entry in listed:
        file, iterator = _source_spec(entry, named, Path(), None)  # check_mapping read it already
        table = tables.get((file, iterator))
        if table is not None:
            changed.append([f"{table}~csv"])
        elif file in moved:
            changed.append(_reading(named.get(entry, entry) if isinstance(entry, str) else entry, moved[file]))
        else:
            changed.append(entry)
    body[skey] = changed[0] if single else changed


def _reading(entry: Any, path: str) -> Any:
    """A YARRRML source entry reading `path` instead, with the same formulation and iterator."""
    if isinstance(entry, dict):
        return {**entry, "access": path}
    _access, tilde, formulation = entry[0].partition("~")
    return [f"{path}{tilde}{formulation}", *entry[1:]]


def die_with_parent() -> None:
    """In the child, before exec: be killed when the parent dies, so a killed build leaves no workers."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent died before prctl: do not outlive it
            os._exit(1)


STARTUP_COST = 150_000  # a morph-kgc process's start (about 3 s), in triples it would have written meanwhile
PARSE_COST = 3_000  # its parse of one predicate-object entry, likewise


def mapping_cost(rules: list[MappingRule], rows: Mapping[str, int]) -> int:
    """What mapping one source costs, in triples: those it writes (each record set's rows times its rules'
    entries) plus its rules' parse time in the same unit. Rule counts alone put 70% of the work in one of two
    processes at 10,000 customers (21 s and 51 s)."""
    return sum((rows.get(rule.record_set.name, 0) + PARSE_COST) * (rule.objects + 1) for rule in rules)


def plan_groups(jobs: list[tuple[Source, Path]], workers: int,
                costs: Mapping[str, int]) -> list[list[tuple[Source, Path]]]:
    """Groups of sources, one morph-kgc process each, in the order they start on `workers` processes.

    A small build makes one group per process (a start costs more than it saves). A large one gives each big
    source a group of its own and packs the rest into groups of about a third of a process's share, largest
    first: the groups that end early are loaded while the rest still map, and the last to end are small.
    """
    total = sum(costs.get(source.name, 0) for source, _ in jobs)
    share = total / max(1, workers)
    count = workers if share < 8 * STARTUP_COST else 3 * workers
    count = max(1, min(count, len(jobs)))
    groups: list[list[tuple[Source, Path]]] = [[] for _ in range(count)]
    loads = [0] * count
    for job in sorted(jobs, key=lambda j: (-costs.get(j[0].name, 0), j[0].name)):
        index = loads.index(min(loads))
        groups[index].append(job)
        loads[index] += costs.get(job[0].name, 0)
    order = sorted(range(count), key=lambda i: -loads[i])
    return [groups[i] for i in order if groups[i]]


def _kill(proc: subprocess.Popen[str]) -> None:
    """Stop an engine process and whatever it started (its own process group), so its pipes close."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)


class MappingRun:
    """morph-kgc processes started at once, their N-Quads files handed over as each ends (`outputs`), so the
    caller loads one while the others still map. Leaving the `with` block early stops those still running."""

    def __init__(self, python: Path, groups: list[list[tuple[Source, Path]]], staging_root: Path, workers: int,
                 tick: Tick = silent, nonce: str = "") -> None:
        self.groups, self.tick = groups, tick
        self.sources = sum(len(g) for g in groups)
        self.finished: float | None = None  # perf_counter when the last process to end so far ended
        self._procs: list[subprocess.Popen[str]] = []
        self._lock = threading.Lock()
        self._stopping = False
        self._pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(groups))))
        self._futures = {
            self._pool.submit(self._run, python, group, staging_root, staging_root / f"mapped-{i}.nq", nonce): i
            for i, group in enumerate(groups)}

    def _run(self, python: Path, group: list[tuple[Source, Path]], staging_root: Path, output: Path,
             nonce: str) -> Path:
        with self._lock:
            if self._stopping:
                raise CxGraphError("mapping stopped")
        _run_group(python, group, staging_root, output, self._started, nonce)
        with self._lock:
            self.finished = max(self.finished or 0.0, time.perf_counter())
        return output

    def _started(self, proc: subprocess.Popen[str]) -> None:
        with self._lock:
            self._procs.append(proc)
            if self._stopping:
                _kill(proc)

    def outputs(self) -> Iterator[Path]:
        """Each group's N-Quads file, in the order the processes end; a failed group raises here."""
        mapped = 0
        self.tick("map (morph-kgc)", mapped, self.sources, "sources")
        for future in as_completed(self._futures):
            output = future.result()
            mapped += len(self.groups[self._futures[future]])
            self.tick("map (morph-kgc)", mapped, self.sources, "sources")
            yield output

    def __enter__(self) -> MappingRun:
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._stopping = True
            for proc in self._procs:
                _kill(proc)
        self._pool.shutdown(wait=True, cancel_futures=True)


def parse_cache() -> str:
    """Where morph-kgc's parse of each staged mapping is kept between builds (morph_cached.py); empty: not
    kept. CXGRAPH_MAPPING_CACHE names another folder, or is empty to parse every time."""
    configured = os.environ.get("CXGRAPH_MAPPING_CACHE")
    if configured is None:
        return str(cache_dir() / "mapping-parses")
    return str(Path(configured).expanduser().resolve()) if configured else ""  # the engine runs in staging/


# Runs morph_cached.py by path on any Python morph-kgc supports (3.9 has no -P): `-c` puts the working folder,
# the staging folder, first on the module path, and a staged folder must not shadow a module the engine imports.
BOOTSTRAP = ("import sys; sys.path[:] = [p for p in sys.path if p not in ('', '.')]; import runpy; "
             "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')")


def engine_config(output: str, group: list[tuple[Source, Path]]) -> str:
    """morph-kgc's configuration for mapping `group` (source, staged mapping) into the N-Quads file `output`."""
    lines = [
        "[CONFIGURATION]",
        f"output_file={output}",
        "output_format=N-QUADS",
        "number_of_processes=1",
        "na_values=",
        "safe_percent_encoding=~",  # exactly urllib's quote(value, safe=""), which iri.template_value mirrors
        "logging_level=WARNING",
        "",
    ]
    for source, mapping in group:
        lines += [f"[{source.name}]", f"mappings={mapping}", ""]
    return "\n".join(lines)


def engine_env(nonce: str) -> dict[str, str]:
    """What the engine's process is given beside the caller's environment (morph_cached.py reads the last two)."""
    return {"PYTHONWARNINGS": "ignore", "CXGRAPH_MAPPING_CACHE": parse_cache(), "CXGRAPH_LOAD_NONCE": nonce}


def _run_group(python: Path, group: list[tuple[Source, Path]], staging_root: Path, output: Path,
               started: Any = None, nonce: str = "") -> None:
    config = output.with_suffix(".ini")
    config.write_text(engine_config(str(output), group), encoding="utf-8")
    if output.exists():
        output.unlink()
    proc = subprocess.Popen(
        [str(python), "-c", BOOTSTRAP, str(Path(__file__).with_name("morph_cached.py")), str(config)],
        cwd=staging_root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **engine_env(nonce)},
        preexec_fn=die_with_parent,
        start_new_session=True,  # a group of its own: stopping the run stops what the engine started too
    )
    if started is not None:
        started(proc)
    stdout, stderr = proc.communicate()
    if proc.returncode != 0 or not output.exists():
        names = ", ".join(str(source.mapping) for source, _ in group)
        tail = "\n".join((stderr or stdout).strip().splitlines()[-6:])
        raise CxGraphError(f"morph-kgc failed on the mappings {names}:\n{tail}")


def start_mapping(
    jobs: list[tuple[Source, Path]], staging_root: Path, workers: int | None = None, echo: Any = print,
    tick: Tick = silent, costs: Mapping[str, int] | None = None, nonce: str = "", spark: str | None = None,
) -> MappingRun | SparkMappingRun:
    """Start mapping the staged sources with morph-kgc, at most one process per CPU core at a time.

    morph-kgc spends most of a small run parsing mappings (about 20 s for this project's 13 sources on
    one core), so the sources run in balanced groups side by side (`plan_groups`, by `costs`:
    `mapping_cost` per source). `tick` hears the sources mapped as each group ends. `nonce`: the one in the
    staged mappings' graph IRIs, which the kept parse of a mapping leaves out (morph_cached.py). `spark`: a
    Spark master URL (`local[2]`, `spark://host:7077`): the sources run as Spark tasks instead (spark_mapping.py).
    """
    python = engine_python(echo=echo) if jobs else Path(sys.executable)  # nothing to map: nothing to install
    if spark and jobs:
        from cxgraph.build.spark_mapping import SparkMappingRun

        return SparkMappingRun(spark, python, jobs, staging_root, tick, nonce)
    workers = workers or os.cpu_count() or 1
    return MappingRun(python, plan_groups(jobs, workers, costs or {}), staging_root, workers, tick, nonce)


if __name__ == "__main__":  # pragma: no cover - `python -m cxgraph.build.mapping` installs the engine
    print(engine_python(), file=sys.stdout)
