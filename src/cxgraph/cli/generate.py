"""`cxgraph generate`: a synthetic enterprise in the sample's formats, of any size, with its truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cxgraph.cli.common import ProjectOpt, exits_on_error, out, project_at
from cxgraph.cli.progress import progress
from cxgraph.generate.enterprise import generate as generate_enterprise


@exits_on_error
def generate(
    ctx: typer.Context,
    out_dir: Annotated[Path, typer.Argument(metavar="OUT_DIR", help="A new (or empty) folder for the exports.")],
    customers: Annotated[int, typer.Option("--customers", min=1, help="How many people the enterprise serves.")]
    = 1000,
    seed: Annotated[int, typer.Option("--seed", help="The same seed gives the same files.")] = 1,
    project: ProjectOpt = None,
) -> None:
    """Generate the sample enterprise's exports for N customers (streamed), and truth/ to score answers against.

    Build it with `cxgraph build --data OUT_DIR --store STORE`.
    """
    proj = project_at(ctx, project)
    with progress("generate", "customers") as advance:
        report = generate_enterprise(out_dir, customers, seed, proj.root / "data" / "sample", advance)
    table = Table(title=f"{customers:,} customers, seed {seed}: {out_dir}", title_justify="left")
    table.add_column("export")
    table.add_column("rows", justify="right")
    for rel, rows in report.rows.items():
        table.add_row(rel, f"{rows:,}")
    out.print(table)
    hard = ", ".join(f"{kind} {n:,}" for kind, n in report.hard_cases.items()) or "none"
    out.print(f"{report.source_rows:,} rows in {report.seconds:.1f} s "
              f"({report.source_rows / max(report.seconds, 1e-9):,.0f} rows/s); identity's hard cases: {hard}; "
              f"truth in {out_dir / 'truth'}", soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add `generate` to the cxgraph command."""
    app.command("generate")(generate)
