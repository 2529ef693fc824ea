"""What every group of `cxgraph` commands shares: the consoles, the common options, the remote-store settings
carried in Typer's context, opening the store, and the one way an error ends a command (one line, exit 2)."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from cxgraph.answer import payloads
from cxgraph.errors import CxGraphError
from cxgraph.project import Project, WorkFolder, load_project
from cxgraph.stores.embedded import EmbeddedStore, default_store_path
from cxgraph.stores.remote import Endpoint, RemoteStore

# Markup is off: data and parameters (a value such as "[/]" or "[red]") are always printed literally;
# styles are given as rich.text.Text objects.
out = Console(soft_wrap=False, markup=False)
err = Console(stderr=True, markup=False)

ProjectOpt = Annotated[Path | None, typer.Option("--project", help="Project folder (holds loaders/sources.yaml); "
                                                 "default: the nearest one above the working directory, "
                                                 "or $CXGRAPH_PROJECT.")]
StoreOpt = Annotated[Path | None, typer.Option("--store", help="Store folder; default $CXGRAPH_STORE or "
                                               ".cxgraph/store.")]
DataOpt = Annotated[Path | None, typer.Option("--data", help="Folder holding the source exports "
                                              "(default: data_root of sources.yaml).")]
AsOfOpt = Annotated[str | None, typer.Option(
    "--as-of", help="Answer from the graph as it was then: the build of the embedded store published last at or "
                    "before this moment (2026-11-18T15:35:00+01:00, or a day: its start, UTC); the store keeps its "
                    "last $CXGRAPH_KEEP_HISTORY builds (10).")]
EndpointOpt = Annotated[str | None, typer.Option(
    "--endpoint", envvar="CXGRAPH_ENDPOINT",
    help="SPARQL 1.1 query URL of a remote store (Fuseki, Oxigraph, GraphDB...) to use instead of the embedded "
         "one; update/GSP URLs, credentials and the union-default-graph setting come from the root options or "
         "CXGRAPH_* variables (see README).")]


@dataclass(frozen=True)
class Settings:
    """The root options every command may need (`ctx.obj`): how to reach a remote store besides its query URL."""

    update: str | None = None
    gsp: str | None = None
    user: str | None = None
    password: str | None = None
    union_default_graph: bool = False
    registry: Path | None = None  # --registry: another enterprise's sources.yaml


def settings(ctx: typer.Context) -> Settings:
    """The root command's settings (defaults when a command group runs on its own, as in tests)."""
    root = ctx.find_root()
    return root.obj if isinstance(root.obj, Settings) else Settings()


def as_of_moment(text: str | None, what: str = "--as-of") -> datetime | None:
    """An --as-of value as a moment: a date-time with its offset (RFC 3339), or a day (its start, UTC). `what`
    names the value in messages."""
    if text is None:
        return None
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), UTC)
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text)
    except ValueError:
        raise CxGraphError(f"{what} {text!r} is not a date-time (2026-11-18T15:35:00+01:00) or a day (2026-11-18)"
                           ) from None
    if moment.tzinfo is None:
        raise CxGraphError(f"{what} {text!r} has no offset (Z or +01:00), so the moment would be a guess")
    return moment


def open_store(ctx: typer.Context, store: Path | None, endpoint: str | None,
               as_of: datetime | None = None, project: Project | None = None) -> EmbeddedStore | RemoteStore:
    """The embedded store (as of a moment of its history, when given), or the remote endpoint when --endpoint
    (or CXGRAPH_ENDPOINT) is given. With `project` (and no moment), a warning on stderr for each project file
    the store's build did not apply as it is now: its answers follow the old file until the next build."""
    if endpoint and as_of is not None:
        raise CxGraphError("--as-of reads the builds the embedded store keeps; a remote store keeps no history here")
    if endpoint:
        given = settings(ctx)
        opened: EmbeddedStore | RemoteStore = RemoteStore(Endpoint.from_options(
            endpoint, update=given.update, gsp=given.gsp, user=given.user, password=given.password,
            union_default_graph=given.union_default_graph))
    else:
        opened = EmbeddedStore(store_path(store), as_of=as_of)
    if project is not None and as_of is None:
        warn_behind(opened, project)
    return opened


BEHIND_SHOWN = 5  # files named one by one; more are counted


def warn_behind(graph: EmbeddedStore | RemoteStore, project: Project) -> None:
    """Say on stderr which project files the store does not follow (nothing when it cannot be read: the
    command that opened it says why)."""
    from cxgraph.build.inputs import stale

    try:
        if isinstance(graph, EmbeddedStore) and not graph.exists():
            return
    except CxGraphError:
        return
    found = stale(graph, project)
    for item in found[:BEHIND_SHOWN]:
        warn(err, f"the store is behind the project: {item.text()}")
    if len(found) > BEHIND_SHOWN:
        warn(err, f"the store is behind the project in {len(found) - BEHIND_SHOWN} more file(s)")


def store_path(store: Path | None) -> Path:
    return store or default_store_path()


def work_folder(store: Path | None) -> WorkFolder:
    """Where builds beside this store keep their lock, staging copies and reports."""
    return WorkFolder.beside(store_path(store))


def project_at(ctx: typer.Context, project: Path | None, data: Path | None = None) -> Project:
    """The project (--project, else found from the working directory) with the root's --registry, if given."""
    return load_project(project, data, settings(ctx).registry)


prefixes = payloads.prefixes


short = payloads.short


fact_terms = payloads.fact_terms


def facts_text(project: Project, facts: Iterable[tuple[Any, Any, Any]]) -> str:
    """Statements a rule relied on, on one line: "s p o; s p o"."""
    return "; ".join(" ".join(terms) for terms in fact_terms(project, facts))


def query_timeout(given: float | None = None) -> float:
    """A query's time limit: --timeout, else $CXGRAPH_QUERY_TIMEOUT, else 60 s."""
    text = os.environ.get("CXGRAPH_QUERY_TIMEOUT", "60")
    try:
        value = given if given is not None else float(text)
    except ValueError:
        raise CxGraphError(f"CXGRAPH_QUERY_TIMEOUT must be a number of seconds, not {text!r}") from None
    if value <= 0:
        raise CxGraphError("the query time limit must be a positive number of seconds")
    return value


def fail(exc: CxGraphError) -> NoReturn:
    """One line on stderr and exit code 2 (pySHACL's usage/input error), never a traceback."""
    from cxgraph.answer.render import printable

    err.print(Text.assemble(("error: ", "bold red"), printable(str(exc))), highlight=False, soft_wrap=True)
    raise typer.Exit(2)


P = ParamSpec("P")
R = TypeVar("R")


def exits_on_error(command: Callable[P, R]) -> Callable[P, R]:
    """A command whose CxGraphError (bad input, a missing store, an unreachable endpoint) ends it with `fail`.

    Typer reads the options from the wrapped function's signature (functools.wraps keeps it).
    """
    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except CxGraphError as exc:
            fail(exc)

    return run


def warn(console: Console, *parts: str) -> None:
    from cxgraph.answer.render import printable

    console.print(Text.assemble(("warning: ", "yellow"), *(printable(p) for p in parts)), soft_wrap=True)


def echo(message: str) -> None:
    err.print(message, highlight=False, markup=False)


def notices(graph: EmbeddedStore | RemoteStore) -> None:
    """What opening the store cleared up (a killed build's left-overs), said once on stderr."""
    for notice in getattr(graph, "notices", []):
        err.print(Text.assemble(("note: ", "yellow"), notice), soft_wrap=True)
