"""The system packages cxgraph uses besides Python ones, found and installed by `cxgraph setup` (never by tests).

Build, validation and queries need none of them. HermiT (`check-ontology`) needs a Java runtime; the
Protégé parser check needs the OWL API and a JDK to compile it; the Jena comparison needs Jena's jars; the
browser view's test needs Chromium.
They come from Debian packages, which `cxgraph setup` installs with apt-get when it runs as root (or with
password-less sudo), and otherwise names the command to run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

JARS = Path("/usr/share/java")


@dataclass(frozen=True)
class SystemPackage:
    """A Debian package: what it is for, and how to tell it is there (a command on PATH or a file)."""

    name: str
    purpose: str
    command: str | None = None
    file: Path | None = None

    def present(self) -> bool:
        if self.command is not None and shutil.which(self.command) is None:
            return False
        return self.file is None or self.file.exists()

    @property
    def install_hint(self) -> str:
        """What a skipped test or a failed command tells the user to run."""
        return f"`cxgraph setup` installs it (apt-get install {self.name})"


JDK = SystemPackage("default-jdk-headless", "Java for HermiT in check-ontology, and javac for the OWL API check",
                    command="javac")
OWLAPI = SystemPackage("libowlapi-java", "the OWL API, the parser Protégé opens the ontology with",
                       file=JARS / "owlapi-distribution.jar")
JENA = SystemPackage("libapache-jena-java", "Apache Jena (the Fuseki configuration check, SHACL comparison)",
                     file=JARS / "jena-core.jar")
CHROMIUM = SystemPackage("chromium", "a headless browser for the browser view's end-to-end test",
                         command="chromium")
PACKAGES = (JDK, OWLAPI, JENA, CHROMIUM)

# The jars Debian's Jena needs beside its own on the classpath (the Fuseki configuration check, the scale
# harness's SHACL comparison).
JENA_DEPENDENCIES = ["commons-lang3", "commons-io", "commons-codec", "commons-compress", "commons-csv",
                     "commons-cli", "dexx.collection", "gson", "guava", "httpclient", "httpcore", "jackson-core",
                     "jackson-databind", "jackson-annotations", "jsonld-java", "protobuf", "slf4j-api", "thrift",
                     "titanium-json-ld", "jakarta.json-api", "caffeine"]


def jena_xerces_shim(folder: Path) -> Path:
    """A classpath folder Debian's Jena needs to start: its jena-core moved Jena's shaded Xerces classes to the
    package `xerces` but left their message bundles under org/apache/jena/ext/xerces; copies go where the
    classes look for them."""
    with zipfile.ZipFile(JARS / "jena-core.jar") as jar:
        for name in jar.namelist():
            if name.startswith("org/apache/jena/ext/xerces/") and name.endswith(".properties"):
                target = folder / name.removeprefix("org/apache/jena/ext/")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(jar.read(name))
    return folder


def jena_classpath(shim_folder: Path) -> str | None:
    """Every Jena jar Debian installs (by its unversioned name) and what they need, for `java -cp` running
    Jena's own commands (tdb2.tdbloader, shacl); None without Java or Jena."""
    if not shutil.which("java") or not (JARS / "jena-core.jar").is_file():
        return None
    jars = [j for j in sorted(JARS.glob("jena-*.jar")) if not j.stem.rsplit("-", 1)[-1][:1].isdigit()]
    deps = [JARS / f"{name}.jar" for name in JENA_DEPENDENCIES]
    shim = jena_xerces_shim(shim_folder)
    return os.pathsep.join([str(shim), *map(str, jars), *(str(d) for d in deps if d.is_file())])


def missing_system_packages(all_packages: bool = False) -> list[SystemPackage]:
    """The packages not installed here (every package with `all_packages`)."""
    return list(PACKAGES) if all_packages else [p for p in PACKAGES if not p.present()]


def _apt_prefix() -> list[str] | None:
    """How to run apt-get here: directly as root, through password-less sudo, or not at all."""
    if shutil.which("apt-get") is None:
        return None
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0:
        return ["sudo", "-n"]
    return None


def install_system_packages(packages: list[SystemPackage], echo: Callable[[str], None] = print) -> bool | None:
    """Install `packages` with apt-get (then `apt-get update` and once more if that fails): whether it worked,
    or None when this machine cannot run apt-get (not root, no password-less sudo, not Debian)."""
    prefix = _apt_prefix()
    if prefix is None:
        return None
    if not packages:
        return True
    names = [p.name for p in packages]
    echo(f"Installing {', '.join(names)} with apt-get...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [*prefix, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *names]
    if subprocess.run(install, capture_output=True, env=env).returncode == 0:
        return True
    subprocess.run([*prefix, "apt-get", "update", "-qq"], capture_output=True, env=env)
    return subprocess.run(install, capture_output=True, env=env).returncode == 0
