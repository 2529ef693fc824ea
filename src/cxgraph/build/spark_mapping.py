"""The mapping stage on Apache Spark (`cxgraph build --spark MASTER`): one Spark task per source.

Each task runs morph-kgc on an executor (the same `morph_cached.py` a local build runs, copied into the work
folder) over its source's staged mapping and exports, and writes the source's N-Quads beside them; the driver
loads each file as its task ends, exactly as it loads a local group's. Only paths travel through Spark:
handing the N-Quads back through the driver ran its JVM out of heap on one source of 10,000 customers
(174 MB), so the work folder must be one the executors share (it is, in `local[N]`; on a cluster, put the
store's folder on shared storage). Each attempt of a task writes its own file and renames it into place only
when the engine ended well, so a retried or speculative attempt never hands over half a file. The executor
needs no cxgraph (this module's task function is sent by value and uses only the standard library), only a
Python with morph-kgc: its `CXGRAPH_MORPH_PYTHON`, else the driver's engine where that path exists, else
its own Python.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import os
import re
import shutil
import socket
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxgraph.build.mapping import BOOTSTRAP, engine_config, engine_env
from cxgraph.errors import CxGraphError
from cxgraph.progress import Tick, silent
from cxgraph.project import Source

NO_PYSPARK = "--spark needs PySpark: pip install -e '.[spark]' (and Java 17 or later)"
FAILED = "CXGRAPH-ENGINE-FAILED"  # marks the engine's own failure inside Spark's error text


@dataclass
class SourceTask:
    """One source's mapping, for an executor: paths in the shared work folder, and how to run the engine."""

    source: str
    staging: str  # the staging folder: the engine's working folder, where the staged mapping's paths start
    config: str  # morph-kgc's configuration, OUTPUT standing for the file each attempt writes
    output: str  # where a successful attempt's N-Quads are renamed to
    script: str  # morph_cached.py, copied into the staging folder: the executor needs no cxgraph
    engine: str  # the driver's engine Python: used where it exists and the executor names none
    bootstrap: str  # mapping.BOOTSTRAP: runs the script without the staging folder on the module path
    env: dict[str, str]


def _task(source: Source, mapping: Path, staging_root: Path, engine: Path, nonce: str, script: Path) -> SourceTask:
    return SourceTask(source.name, str(staging_root), engine_config("OUTPUT", [(source, mapping)]),
                      str(staging_root / f"mapped-{source.name}.nq"), str(script), str(engine), BOOTSTRAP,
                      engine_env(nonce))


def map_on_executor(tasks: Iterable[Any]) -> Iterator[str]:
    """Runs on a Spark executor: morph-kgc over each task's source, yielding the N-Quads file it wrote.
    Standard library only (this function is sent by value); a failure raises with the engine's last lines."""
    import contextlib as _contextlib
    import ctypes as _ctypes
    import ctypes.util as _ctypes_util
    import os as _os
    import subprocess as _subprocess
    import sys as _sys
    import uuid as _uuid
    from pathlib import Path as _Path

    def die_with_worker() -> None:  # the engine ends with the Spark worker (a killed build's JVM takes both)
        with _contextlib.suppress(OSError, AttributeError):
            libc = _ctypes.CDLL(_ctypes_util.find_library("c") or "libc.so.6", use_errno=True)
            libc.prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL

    for task in tasks:
        # each attempt (a retry, a speculative copy) writes its own file, renamed into place only when whole
        attempt = f"{task.output}.{_uuid.uuid4().hex}"
        output = _Path(attempt + ".nq")  # morph-kgc names its output by the format: keep the extension
        config = _Path(attempt + ".ini")
        config.write_text(task.config.replace("output_file=OUTPUT", f"output_file={output}"), encoding="utf-8")
        python = (_os.environ.get("CXGRAPH_MORPH_PYTHON")
                  or (task.engine if _Path(task.engine).exists() else _sys.executable))
        try:
            done = _subprocess.run([python, "-c", task.bootstrap, task.script, str(config)], cwd=task.staging,
                                   env={**_os.environ, **task.env}, capture_output=True, text=True,
                                   preexec_fn=die_with_worker if _sys.platform == "linux" else None)
            if done.returncode != 0 or not output.exists():
                tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-6:])
                raise RuntimeError(f"{FAILED} {task.source}: {tail}\n{FAILED}")
            _os.replace(output, task.output)
        finally:
            output.unlink(missing_ok=True)
            config.unlink(missing_ok=True)
        yield task.output


# the master URLs SparkContext reads (its LOCAL_N, LOCAL_N_FAILURES and LOCAL_CLUSTER regexes, at least one
# thread; a standalone master's every HOST:PORT as java.net.URI reads it: a host name or an IPv6 host in
# brackets, no user, no underscore); ASCII digits and spaces only, as Java's regexes have them
_HOST_PORT = r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[0-9]+"
MASTER_FORMS = re.compile(r"local|local\[([0-9]*[1-9][0-9]*|\*)\]|local\[([0-9]*[1-9][0-9]*|\*)\s*,\s*[0-9]+\]"
                          r"|local-cluster\[\s*[0-9]+\s*,\s*[0-9]+\s*,\s*[0-9]+\s*\]"
                          rf"|spark://{_HOST_PORT}(,{_HOST_PORT})*|yarn|k8s://\S+", re.ASCII)


def spark_reads(master: str, spark_version: str) -> bool:
    """Whether SparkContext of that version reads the master URL: mesos:// only before Spark 4, which removed it."""
    if master.startswith("mesos://"):
        return int(spark_version.split(".")[0]) < 4
    return bool(MASTER_FORMS.fullmatch(master))


def _pyspark_version() -> str:
    """PySpark's version, also where it has no package metadata ($SPARK_HOME/python on PYTHONPATH, findspark)."""
    try:
        return importlib.metadata.version("pyspark")
    except importlib.metadata.PackageNotFoundError:
        from pyspark.version import __version__
        return str(__version__)


def spark_ready(master: str) -> None:
    """Before the contract check and staging, which take minutes at scale: PySpark and a Java runtime are here,
    Spark can read the master URL, and a standalone master (`spark://`) answers on its port."""
    if importlib.util.find_spec("pyspark") is None:
        raise CxGraphError(NO_PYSPARK)
    version = _pyspark_version() if master.startswith("mesos://") else ""
    if not spark_reads(master, version):  # build() strips it once
        raise CxGraphError(f"Spark cannot read the master {master!r}: give local, local[N], local[*], "
                           "spark://HOST:PORT (an IPv6 host in brackets), yarn or k8s://HOST:PORT")
    if master.startswith("spark://"):
        _standalone_answers(master)
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java or not Path(java).is_file():
        where = f"JAVA_HOME={home} has no bin/java" if home else "no `java` on PATH"
        raise CxGraphError(f"--spark needs a Java runtime, 17 or later ({where}): install one, or set JAVA_HOME")


def _standalone_answers(master: str, timeout: float = 5.0) -> None:
    """One of a standalone master's hosts (`spark://h1:7077,h2:7077`) accepts a connection: Spark itself would
    retry an absent one for about a minute, after the check and staging."""
    failures = []
    for address in master.removeprefix("spark://").split(","):
        host, _, port = address.strip().rpartition(":")
        if not host or not port.isdigit():
            raise CxGraphError(f"Spark cannot read the master {master!r}: {address!r} is not HOST:PORT")
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
                return
        except OSError as exc:
            failures.append(f"{address}: {exc.strerror or exc}")
    raise CxGraphError(f"no Spark master answers at {master!r} ({'; '.join(failures)})")


class SparkMappingRun:
    """The MappingRun of a Spark master: the sources' tasks are submitted at once (Spark runs as many as it has
    cores), and each source's N-Quads file is handed over as its task ends (`outputs`). Leaving the `with`
    block cancels the Spark jobs and stops the context."""

    def __init__(self, master: str, engine: Path, jobs: list[tuple[Source, Path]], staging_root: Path,
                 tick: Tick = silent, nonce: str = "") -> None:
        try:
            from pyspark import SparkConf, SparkContext, cloudpickle
        except ImportError:
            raise CxGraphError(NO_PYSPARK) from None
        self.tick, self.sources = tick, len(jobs)
        self.finished: float | None = None
        self._lock = threading.Lock()
        script = staging_root / "morph_cached.py"  # the executors read it from the shared work folder
        shutil.copyfile(Path(__file__).with_name("morph_cached.py"), script)
        tasks = [_task(source, mapping, staging_root, engine, nonce, script) for source, mapping in jobs]
        conf = (SparkConf().setMaster(master).setAppName("cxgraph mapping")
                .set("spark.ui.enabled", "false").set("spark.ui.showConsoleProgress", "false"))
        quiet = staging_root / "spark-log4j2.properties"  # warnings and errors only, not Spark's INFO chatter
        quiet.write_text("rootLogger.level = error\nrootLogger.appenderRef.stderr.ref = console\n"
                         "appender.console.type = Console\nappender.console.name = console\n"
                         "appender.console.target = SYSTEM_ERR\nappender.console.layout.type = PatternLayout\n"
                         "appender.console.layout.pattern = spark: %p %c{1}: %m%n\n"
                         # but a master with no worker for the tasks says so (every 15 s) rather than wait mute
                         "logger.starving.name = org.apache.spark.scheduler.TaskSchedulerImpl\n"
                         "logger.starving.level = warn\n", encoding="utf-8")
        conf.set("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={quiet.as_uri()}")
        if master.startswith("local"):  # workers run this Python, not whatever `python3` the PATH has
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # this machine only: no interface to choose
        cloudpickle.register_pickle_by_value(sys.modules[__name__])  # executors need no cxgraph
        try:
            self.sc = SparkContext(conf=conf)
        except Exception as exc:  # Py4J and the JVM raise many kinds: all mean no Spark
            raise CxGraphError(f"cannot start Spark at {master!r}: {_cause(str(exc), exc)}") from None
        try:
            self.sc.setLogLevel("ERROR")
            rdd = self.sc.parallelize(tasks, max(1, len(tasks)))
        except Exception as exc:  # a master that never answered stops the context: parallelize fails
            with contextlib.suppress(Exception):
                self.sc.stop()
            raise CxGraphError(f"Spark at {master!r} did not start the mapping: {_cause(str(exc), exc)}") from None
        self._pool = ThreadPoolExecutor(max_workers=max(1, len(tasks)))
        self._futures: dict[Future[Path], str] = {
            self._pool.submit(self._run, rdd, index, task.source): task.source for index, task in enumerate(tasks)}

    def _run(self, rdd: Any, index: int, source: str) -> Path:
        try:
            [written] = self.sc.runJob(rdd, map_on_executor, partitions=[index])
        except Exception as exc:  # a failed task arrives as a Py4J error holding its message
            text = str(exc)
            mark = text.find(FAILED)
            if mark >= 0:
                detail = text[mark + len(FAILED) + 1:].split(f"\n{FAILED}")[0].strip()
                raise CxGraphError(f"morph-kgc failed on Spark on the mappings of {detail[:1500]}") from None
            raise CxGraphError(f"the Spark task mapping {source!r} failed: {_cause(text, exc)}") from None
        with self._lock:
            self.finished = max(self.finished or 0.0, time.perf_counter())
        return Path(written)

    def outputs(self) -> Iterator[Path]:
        """Each source's N-Quads file, in the order the tasks end; a failed task raises here."""
        mapped = 0
        self.tick("map (morph-kgc on Spark)", mapped, self.sources, "sources")
        for future in as_completed(self._futures):
            output = future.result()
            mapped += 1
            self.tick("map (morph-kgc on Spark)", mapped, self.sources, "sources")
            yield output

    def __enter__(self) -> SparkMappingRun:
        return self

    def __exit__(self, *exc: object) -> None:
        # a JVM that died (out of memory, killed) must not hide the error that brought us here
        with contextlib.suppress(Exception):
            self.sc.cancelAllJobs()
        self._pool.shutdown(wait=True, cancel_futures=True)
        with contextlib.suppress(Exception):
            self.sc.stop()


def _cause(text: str, exc: BaseException) -> str:
    """The line of a Py4J/Spark error that says what went wrong, not where."""
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("at ")]
    telling = [line for line in lines if ("Exception:" in line or "Error:" in line) and "Traceback" not in line
               and "An error occurred while calling" not in line]
    return (telling[-1] if telling else lines[0] if lines else type(exc).__name__)[:500]
