"""The mapping stage on Apache Spark in local mode (`cxgraph build --spark local[2]`): real Spark, real
morph-kgc on its executors, the same graphs as a local build; a failing engine fails the build and says why."""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import socket
import subprocess
import threading
from pathlib import Path

import pytest

from conftest import CXGRAPH, ROOT, Built, cx, graph_triples
from cxgraph.build.spark_mapping import MASTER_FORMS, spark_reads, spark_ready
from cxgraph.errors import CxGraphError
from cxgraph.stores.embedded import EmbeddedStore

FAILING_ENGINE = """#!/bin/sh
# stands in for morph-kgc on the executor: fails, as an engine does on a mapping it cannot run
echo "morph-kgc: the mapping of $(sed -n 's/^\\[\\(.*\\)\\]$/\\1/p' "$4" | tail -1) has no subject map" >&2
exit 3
"""


def _memory_triples(built: Built) -> dict[str, set[str]]:
    raw = built.store.raw
    graphs: dict[str, set[str]] = {}
    for quad in raw.quads_for_pattern(None, None, None, None):
        graphs.setdefault(str(quad.graph_name), set()).add(str(quad.triple))
    return graphs


def test_the_sample_mapped_on_spark_holds_what_a_local_build_holds(sample: Built, tmp_path: Path) -> None:
    store = tmp_path / "store"
    proc = cx("build", "--spark", "local[2]", cwd=tmp_path, store=store)
    assert proc.returncode == 0, proc.stderr
    assert "map (morph-kgc on Spark): 13/13 sources" in proc.stderr  # each task handed over as it ended
    on_spark, local = graph_triples(store), _memory_triples(sample)
    compared = [g for g in local if "/source/" in g or g.endswith(("/graph/identity>", "/graph/derived>"))]
    assert len([g for g in compared if "/source/" in g]) == len(sample.project.sources) == 13
    for graph in compared:
        assert on_spark[graph] == local[graph], graph
    assert sum(len(on_spark[g]) for g in compared if "/source/" in g) > 40_000


def test_an_engine_failing_on_an_executor_fails_the_build_and_says_why(tmp_path: Path) -> None:
    engine = tmp_path / "engine"
    engine.write_text(FAILING_ENGINE)
    engine.chmod(0o755)
    store = tmp_path / "store"
    proc = cx("build", "--only", "crm", "--spark", "local[1]", cwd=tmp_path, store=store,
              env={"CXGRAPH_MORPH_PYTHON": str(engine)})
    assert proc.returncode != 0
    assert "morph-kgc failed on Spark" in proc.stderr
    assert "the mappings of crm: morph-kgc: the mapping of crm has no subject map" in proc.stderr
    assert not EmbeddedStore(store).exists()  # nothing was published


SLOW_AND_FAILING_ENGINE = """#!/bin/sh
# crm fails at once; any other source maps slowly and leaves a mark if it is allowed to finish
section=$(sed -n 's/^\\[\\(.*\\)\\]$/\\1/p' "$4" | tail -1)
if [ "$section" = crm ]; then sleep 2; echo "crm cannot be mapped" >&2; exit 3; fi
sleep 25
touch "$CXGRAPH_TEST_MARKS/$section-finished"
"""


def test_one_source_failing_on_spark_cancels_the_others(tmp_path: Path) -> None:
    engine = tmp_path / "engine"
    engine.write_text(SLOW_AND_FAILING_ENGINE)
    engine.chmod(0o755)
    marks = tmp_path / "marks"
    marks.mkdir()
    proc = cx("build", "--only", "crm", "--only", "catalog", "--spark", "local[2]", cwd=tmp_path,
              store=tmp_path / "store", env={"CXGRAPH_MORPH_PYTHON": str(engine), "CXGRAPH_TEST_MARKS": str(marks)})
    assert proc.returncode != 0
    assert "the mappings of crm: crm cannot be mapped" in proc.stderr
    assert "SQLSTATE" not in proc.stderr.split("crm cannot be mapped")[1].splitlines()[0]
    assert list(marks.iterdir()) == []  # catalog's engine was stopped, not waited for


def test_a_master_spark_cannot_read_stops_before_the_contract_check(tmp_path: Path) -> None:
    proc = cx("build", "--only", "crm", "--spark", "nowhere[2]", cwd=tmp_path, store=tmp_path / "store")
    assert proc.returncode != 0
    assert "Spark cannot read the master 'nowhere[2]'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "reports").exists()  # found before minutes of checking and staging


@pytest.mark.parametrize(("master", "read"), [
    ("local", True), ("local[2]", True), ("local[*]", True), ("local[2, 3]", True), ("local[*,3]", True),
    ("local-cluster[2, 1, 1024]", True), ("spark://h:7077", True), ("spark://h1:7077,h2:7077", True),
    ("spark://[::1]:7077", True), ("yarn", True), ("k8s://https://h:6443", True),
    ("local[ 2 ]", False), ("local[2,]", False), ("local[two]", False), ("spark://h", False),
    ("spark://::1:7077", False), ("spark://h:7077,", False), ("nowhere[2]", False), ("Local", False),
    # java.net.URI reads no host here, or a user; Spark asks for a thread at least; Java's [0-9] and \s are ASCII
    ("spark://spark_master:7077", False), ("spark://user@h:7077", False), ("spark://h#x:7077", False),
    ("local[0]", False), ("local[\u0662]", False), ("spark://h:\uff17\uff10\uff17\uff17", False),
    ("local[2,\xa03]", False), ("local[10]", True), ("spark://spark-master.local:7077", True)])
def test_the_master_forms_are_the_ones_spark_reads(master: str, read: bool) -> None:
    """SparkContext's own regexes (`local[ 2 ]` is not one of them: it failed later, as "cannot start Spark")."""
    assert bool(MASTER_FORMS.fullmatch(master)) is read


def test_mesos_is_a_master_only_before_spark_4() -> None:
    assert spark_reads("mesos://h:5050", "3.5.1") and not spark_reads("mesos://h:5050", "4.0.0")
    major = int(importlib.metadata.version("pyspark").split(".")[0])
    if major >= 4:
        with pytest.raises(CxGraphError, match="Spark cannot read the master 'mesos://h:5050'"):
            spark_ready("mesos://h:5050")
    else:
        spark_ready("mesos://h:5050")  # Spark 3 reads it


def test_a_standalone_master_that_does_not_answer_stops_before_the_contract_check(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = cx("build", "--only", "crm", "--spark", f"spark://127.0.0.1:{port}", cwd=tmp_path,
              store=tmp_path / "store")
    assert proc.returncode != 0
    assert f"no Spark master answers at 'spark://127.0.0.1:{port}' (127.0.0.1:{port}: Connection refused)" \
        in proc.stderr
    assert not (tmp_path / "reports").exists()


def test_a_standalone_master_without_workers_says_so_rather_than_wait_mute(tmp_path: Path) -> None:
    """A real standalone master with no worker: the build waits for one (as Spark does), and says why."""
    import pyspark

    home = Path(pyspark.__file__).parent
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_LOCAL_IP": "127.0.0.1"}
    master = subprocess.Popen([str(home / "bin" / "spark-class"), "org.apache.spark.deploy.master.Master",
                               "--host", "127.0.0.1", "--port", str(port), "--webui-port", "0"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    build: subprocess.Popen[str] | None = None
    watchdog = threading.Timer(180, lambda: [p.kill() for p in (master, build) if p is not None])
    watchdog.start()  # neither loop below may wait forever if Spark never says what it is expected to
    try:
        for line in master.stderr or []:  # the master logs when it listens
            if "I have been elected leader" in line:
                break
        threading.Thread(target=(master.stderr or []).read, daemon=True).start()  # keep its pipe drained
        build = subprocess.Popen(
            [*CXGRAPH, "build", "--only", "crm", "--spark", f"spark://127.0.0.1:{port}"], cwd=tmp_path,
            env={**env, "CXGRAPH_PROJECT": str(ROOT), "CXGRAPH_STORE": str(tmp_path / "store")},
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        said = ""
        for line in build.stderr or []:
            said += line
            if "Initial job has not accepted any resources" in line:
                break
        assert "spark: WARN TaskSchedulerImpl: Initial job has not accepted any resources" in said, said[-3000:]
        assert build.poll() is None  # still waiting for a worker, as Spark does
    finally:
        watchdog.cancel()
        for proc in (build, master):
            if proc is not None:
                proc.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=30)
                if proc.poll() is None:
                    proc.kill()


def test_spark_without_java_stops_before_the_contract_check(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    proc = cx("build", "--spark", "local[1]", cwd=tmp_path, store=tmp_path / "store",
              env={"PATH": str(empty), "JAVA_HOME": ""})
    assert proc.returncode != 0
    assert "--spark needs a Java runtime, 17 or later (no `java` on PATH)" in proc.stderr
    assert not (tmp_path / "reports").exists()  # nothing was checked or staged first
