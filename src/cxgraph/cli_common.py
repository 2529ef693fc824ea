"""What every group of `cxgraph` commands shares: the consoles, the common options, the error exit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from .errors import CxGraphError

# Markup is off: data and parameters (a value such as "[/]" or "[red]") are always printed literally;
# styles are given as rich.text.Text objects.
out = Console(soft_wrap=False, markup=False)
err = Console(stderr=True, markup=False)

ProjectOpt = Annotated[Path | None, typer.Option("--project", help="Project folder (holds loaders/sources.yaml); "
                                                 "default: the nearest one above the working directory, "
                                                 "or $CXGRAPH_PROJECT.")]
StoreOpt = Annotated[Path | None, typer.Option("--store", help="Store folder; default $CXGRAPH_STORE or "
                                               ".cxgraph/store.")]


def fail(exc: CxGraphError) -> NoReturn:
    """One line on stderr and exit code 2 (pySHACL's usage/input error), never a traceback."""
    from .render import printable

    err.print(Text.assemble(("error: ", "bold red"), printable(str(exc))), highlight=False, soft_wrap=True)
    raise typer.Exit(2)
