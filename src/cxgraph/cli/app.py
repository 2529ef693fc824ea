"""The `cxgraph` command: build the context graph, inspect it, ask it questions.

Exit codes follow pySHACL: 0 success, 1 does not conform (validation, quarantine over its limit), 2 usage or
input error. Each command group is its own module; this one holds the root options and the entry point.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from cxgraph import __version__
from cxgraph.cli import api, build, explain, generate, ontology, query, reason, sparql, store, validate
from cxgraph.cli.act import act
from cxgraph.cli.common import Settings, err, out
from cxgraph.cli.context import context
from cxgraph.cli.recommend import recommend

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None, pretty_exceptions_enable=False,
                  help="cxgraph: an enterprise context graph for customer experience.")


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
    update_endpoint: Annotated[str | None, typer.Option(
        "--update-endpoint", envvar="CXGRAPH_UPDATE_ENDPOINT", help="SPARQL Update URL of the remote store.")] = None,
    gsp_endpoint: Annotated[str | None, typer.Option(
        "--gsp-endpoint", envvar="CXGRAPH_GSP_ENDPOINT", help="Graph Store Protocol URL of the remote store.")]
    = None,
    user: Annotated[str | None, typer.Option("--user", envvar="CXGRAPH_ENDPOINT_USER",
                                             help="User for HTTP basic authentication.")] = None,
    password: Annotated[str | None, typer.Option("--password", envvar="CXGRAPH_ENDPOINT_PASSWORD",
                                                 help="Password for HTTP basic authentication.")] = None,
    registry: Annotated[Path | None, typer.Option(
        "--registry", envvar="CXGRAPH_REGISTRY",
        help="The source registry to use instead of the project's loaders/sources.yaml (an enterprise kept beside "
             "the sample); its paths are relative to its own folder.")] = None,
    union_default_graph: Annotated[bool, typer.Option(
        "--union-default-graph", envvar="CXGRAPH_UNION_DEFAULT_GRAPH",
        help="The remote store already uses the union of its named graphs as default graph; otherwise every "
             "query names all graphs explicitly.")] = False,
) -> None:
    ctx.obj = Settings(update=update_endpoint, gsp=gsp_endpoint, user=user, password=password,
                       union_default_graph=union_default_graph,
                       registry=registry.resolve() if registry is not None else None)
    if version:
        out.print(f"cxgraph {__version__}")
        raise typer.Exit(0)


for group in (build, store, query, validate, ontology, reason, sparql, explain, api, generate):
    group.register(app)
app.add_typer(recommend, name="recommend")
app.add_typer(context, name="context")
app.add_typer(act, name="act")


def main() -> None:
    """Console-script entry point: an unexpected error is one line and exit 2 (CXGRAPH_DEBUG=1: traceback)."""
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    if os.environ.get("CXGRAPH_DEBUG"):
        app()
        return
    try:
        app(standalone_mode=True)
    except KeyboardInterrupt:
        err.print("interrupted", style="bold red")
        sys.exit(130)
    except Exception as exc:  # a bug or an environment failure: say what, not a wall of traceback
        from cxgraph.stores.embedded import damage

        damaged = damage(exc)
        if damaged is not None:  # met while results were read, after the store's own checks
            err.print(Text.assemble(("error: ", "bold red"), str(damaged)), soft_wrap=True)
            sys.exit(2)
        err.print(Text.assemble(("error: ", "bold red"), f"{type(exc).__name__}: {exc} (internal error; run with "
                                "CXGRAPH_DEBUG=1 to see where)"), soft_wrap=True)
        sys.exit(2)
