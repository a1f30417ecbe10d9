"""The ``playground`` command: thin typer wrappers over plain functions.

Heavy modules (torch, textual) are imported inside the commands that need them, so
``playground --help`` stays instant.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

import playground
from playground.errors import PlaygroundError

app = typer.Typer(
    name="playground",
    help="Train character-level RNNs on real corpora and measure how valid their samples are.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
corpus_app = typer.Typer(help="Fetch corpora and inspect them.", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

DomainArg = Annotated[str, typer.Argument(help="A domain name (see `playground domains`) or a path to a UTF-8 text file.",
                                          show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def command(group: typer.Typer = app, **kwargs):
    """Register a command whose PlaygroundErrors become one line on stderr and an exit code."""

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kw):
            try:
                return func(*args, **kw)
            except PlaygroundError as exc:
                err.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
                raise typer.Exit(exc.exit_code) from None
            except KeyboardInterrupt:
                err.print("interrupted")
                raise typer.Exit(130) from None

        return group.command(**kwargs)(wrapper)

    return decorate


def _version(value: bool) -> None:
    if value:
        out.print(f"playground {playground.__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    plugins_dir: Annotated[Optional[Path], typer.Option(
        "--plugins-dir", envvar="PLAYGROUND_PLUGINS_DIR", exists=True, file_okay=False,
        help="Load every *.py in this folder as a plugin.")] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Train character-level RNNs on real corpora and measure how valid their samples are.

    Environment: PLAYGROUND_HOME (where corpora/ and runs/ live; default: the current folder),
    PLAYGROUND_CORPORA (extra read-only corpus roots, separated by ':'),
    PLAYGROUND_PLUGINS_DIR, PLAYGROUND_DISABLE_PLUGINS (plugin names, separated by ',').
    """
    if plugins_dir is not None:  # children (torchrun, the TUI's workers) inherit it
        os.environ["PLAYGROUND_PLUGINS_DIR"] = str(plugins_dir)


def load_host(warn: bool = True):
    from playground.plugins import host

    plugin_host = host()
    plugin_host.domains  # runs register_domains, which may break plugins
    if warn:
        for info in plugin_host.broken():
            err.print(f"[yellow]warning:[/] plugin {info.name!r} is broken: {info.error} "
                      "(see `playground plugins`)", soft_wrap=True)
    return plugin_host


def resolve_domain(name_or_path: str):
    from playground.domains import get_domain

    return get_domain(name_or_path, load_host().domains)


# -- domains ---------------------------------------------------------------------------

def domain_status(domain) -> dict:
    from playground import corpora

    try:
        path = corpora.corpus_path(domain)
        corpus = {"status": "ready", "path": str(path)}
    except PlaygroundError as exc:
        missing = corpora.find_corpus(domain) is None
        corpus = {"status": "missing" if missing else "invalid", "error": str(exc),
                  "fetch": corpora.fetch_hint(domain)}
    return {
        "name": domain.name,
        "description": domain.description,
        "plugin": domain.plugin,
        "kind": domain.corpus.kind,
        "license": domain.corpus.license,
        "corpus": corpus,
        "scorer": domain.score is not None,
        "requires": {tool: tool not in domain.missing_tools() for tool in domain.requires},
    }


@command()
def domains(as_json: JsonOpt = False) -> None:
    """List the domains with their corpus status, scorer and required tools."""
    rows = [domain_status(d) for d in sorted(load_host().domains.values(), key=lambda d: d.name)]
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table("domain", "corpus", "scorer", "tools", "description", title="domains")
    for row in rows:
        corpus = row["corpus"]
        status = "[green]ready[/]" if corpus["status"] == "ready" else f"[red]{corpus['status']}[/]"
        scorer = "[green]yes[/]" if row["scorer"] else "[dim]none yet[/]"
        tools = ", ".join(f"{t} [green]✓[/]" if ok else f"{t} [red]missing[/]"
                          for t, ok in row["requires"].items()) or "-"
        table.add_row(row["name"], status, scorer, tools, row["description"])
    out.print(table)
    for row in rows:
        if row["corpus"]["status"] != "ready":
            out.print(f"{row['name']}: {row['corpus']['error']}", soft_wrap=True)


@command()
def plugins(as_json: JsonOpt = False) -> None:
    """List the plugins: name, version, source, hooks and status."""
    infos = list(load_host(warn=False).plugins.values())
    if as_json:
        out.print_json(json.dumps([info.to_dict() for info in infos]))
        return
    table = Table("plugin", "version", "source", "hooks", "status", title="plugins")
    for info in infos:
        status = {"ok": "[green]ok[/]", "disabled": "[dim]disabled[/]"}.get(
            info.status, f"[red]broken[/]: {info.error}")
        table.add_row(info.name, info.version, info.source, ", ".join(info.hooks) or "-", status)
    out.print(table)


# -- corpus ----------------------------------------------------------------------------

@command(corpus_app, name="fetch")
def corpus_fetch(
    domain: DomainArg,
    source: Annotated[Optional[str], typer.Option(
        "--from", help="Import from a local file, a folder (with input.txt, or a source checkout) or a URL "
                       "instead of the upstream sources.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Fetch again even if the corpus is already there.")] = False,
) -> None:
    """Download a domain's corpus (checksummed) into $PLAYGROUND_HOME/corpora/DOMAIN/input.txt."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    from playground import corpora

    target = resolve_domain(domain)
    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                  console=err, transient=True) as progress:
        tasks: dict[str, int] = {}

        def report(label: str, done: int, total: int | None) -> None:
            if label not in tasks:
                tasks[label] = progress.add_task(label, total=total)
            progress.update(tasks[label], completed=done, total=total)

        meta = corpora.fetch(target, source, force=force, progress=report)
    check = "verified against the pinned sha256" if meta["pinned"] else "sha256 recorded for later checks"
    out.print(f"[green]✓[/] {target.name}: {meta['bytes']:,} bytes in "
              f"{corpora.store_dir(target.name) / 'input.txt'} ({check}: {meta['sha256'][:16]}…)")


@command(corpus_app, name="info")
def corpus_info(domain: DomainArg, as_json: JsonOpt = False) -> None:
    """Show a corpus's path, size, sha256, characters, lines, license and source."""
    from playground import corpora

    facts = corpora.info(resolve_domain(domain))
    if as_json:
        out.print_json(json.dumps(facts))
        return
    table = Table(show_header=False, box=None)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for key, value in facts.items():
        value = "\n".join(value) if isinstance(value, list) else value
        table.add_row(key, f"{value:,}" if isinstance(value, int) else str(value))
    out.print(table)


def main() -> None:
    app()
