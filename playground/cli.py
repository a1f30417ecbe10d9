"""The ``playground`` command: thin typer wrappers over plain functions.

Heavy modules (torch, textual) are imported inside the commands that need them, so
``playground --help`` stays instant.
"""

from __future__ import annotations

import codecs
import contextlib
import contextvars
import functools
import json
import math
import os
import signal
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

import playground
from playground.console import ceiling_cell, cli_console, shown
from playground.errors import PlaygroundError
from playground.options import with_settings

app = typer.Typer(
    name="playground",
    help="Train character-level RNNs on real corpora and measure how valid their samples are.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
corpus_app = typer.Typer(help="Fetch corpora and inspect them.", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")

out = cli_console()
err = cli_console(stderr=True)

DomainArg = Annotated[str, typer.Argument(help="A domain name (see `playground domains`) or a path to a UTF-8 text file.",
                                          show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
StrictOpt = Annotated[bool, typer.Option("--strict", help="Use the domain's stricter, slower check (c: gcc -fsyntax-only).")]


def command(group: typer.Typer = app, **kwargs):
    """Register a command whose PlaygroundErrors become one line on stderr and an exit code."""

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kw):
            try:
                return func(*args, **kw)
            except PlaygroundError as exc:
                err.print(f"[bold red]error:[/] {escape(shown(str(exc)).replace(chr(10), chr(92) + 'n'))}", soft_wrap=True)
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


# this invocation's --plugins-dir and plugin host (set by main_callback, built by load_host)
SESSION: contextvars.ContextVar[dict] = contextvars.ContextVar("playground_session")


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
    PLAYGROUND_OFFLINE=1 (never download a missing corpus),
    PLAYGROUND_PLUGINS_DIR, PLAYGROUND_DISABLE_PLUGINS (plugin names, separated by ','),
    PLAYGROUND_PLUGIN_TIMEOUT (seconds a plugin's import or hook call may take; default 10).
    """
    SESSION.set({"plugins_dir": plugins_dir, "host": None})
    if plugins_dir is not None:  # child processes (torchrun's ranks) find it here
        os.environ["PLAYGROUND_PLUGINS_DIR"] = str(plugins_dir)


def load_host():
    """This command's plugin host, built once (its broken plugins reported once, on stderr)."""
    from playground.plugins import PluginHost

    session = SESSION.get()
    if session["host"] is None:
        session["host"] = host = PluginHost.from_env(os.environ, session["plugins_dir"])
        host.domains  # runs register_domains, which may break plugins
        for info in host.broken():
            err.print(f"[yellow]warning:[/] plugin {escape(repr(info.name))} is broken: {escape(info.error)} "
                      "(see `playground plugins`)", soft_wrap=True)
    return session["host"]


def resolve_domain(name_or_path: str):
    from playground.domains import get_domain

    return get_domain(name_or_path, load_host().domains)


# -- domains ---------------------------------------------------------------------------

@command()
def domains(as_json: JsonOpt = False, measure: Annotated[bool, typer.Option(
        "--ceilings", help="Measure the ceilings not measured yet (real held-out units scored; "
                           "once per corpus and checker; latex takes a few minutes).")] = False) -> None:
    """List the domains with their corpus status, scorer, required tools and ceiling."""
    from playground.ceiling import ceiling
    from playground.corpora import domain_status

    rows = []
    for domain in sorted(load_host().domains.values(), key=lambda d: d.name):
        found = ceiling(domain, measure=measure) if domain.score else None
        rows.append({**domain_status(domain), "ceiling": found.to_dict() if found else None})
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table("domain", "corpus", "scorer", "tools", "ceiling", "description", title="domains")
    for row in rows:
        corpus = row["corpus"]
        status = "[green]ready[/]" if corpus["status"] == "ready" else f"[red]{corpus['status']}[/]"
        extras = [flag for flag in ("strict", "repair") if row[flag]]
        scorer = ("[green]yes[/]" + (f" (--{', --'.join(extras)})" if extras else "")) if row["scorer"] else "[dim]none[/]"
        tools = ", ".join(f"{t} [green]✓[/]" if ok else f"{t} [red]missing[/]"
                          for t, ok in row["requires"].items()) or "-"
        table.add_row(row["name"], status, scorer, tools, ceiling_cell(row["ceiling"]), row["description"])
    out.print(table)
    if not measure and any(row["ceiling"] is None and row["scorer"] for row in rows):
        out.print("[dim]–: ceiling not measured yet; `playground domains --ceilings` measures it[/]")
    for row in rows:
        if row["corpus"]["status"] != "ready":
            out.print(f"{row['name']}: {row['corpus']['error']}", soft_wrap=True)


@command()
def plugins(as_json: JsonOpt = False) -> None:
    """List the plugins: name, version, source, hooks and status."""
    infos = list(load_host().plugins.values())
    if as_json:
        out.print_json(json.dumps([info.to_dict() for info in infos]))
        return
    table = Table("plugin", "version", "source", "hooks", "status", title="plugins")
    for info in infos:
        status = {"ok": "[green]ok[/]", "disabled": "[dim]disabled[/]"}.get(
            info.status, f"[red]broken[/]: {escape(info.error)}")
        table.add_row(*map(escape, (info.name, info.version, info.source, ", ".join(info.hooks) or "-")), status)
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
    """Download a domain's corpus (checksummed) into $PLAYGROUND_HOME/corpora/DOMAIN/input.txt.

    Downloads retry dropped connections and 429/5xx answers with backoff, resume where the
    server allows it, and stop at a stall timeout, a deadline and a size cap, keeping nothing partial.
    """
    fetched(resolve_domain(domain), out, source, force)


def fetched(target, said, source: str | None = None, force: bool = False) -> None:
    """Fetch ``target``'s corpus under a progress bar on stderr, then say where it went on ``said``."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    from playground import corpora

    progress = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                        console=err, transient=True, disable=not err.is_terminal)  # piped, it would leave a blank line
    tasks: dict[str, int] = {}

    def report(label: str, done: int, total: int | None) -> None:
        if not tasks:  # shown from the first byte on, so an error before it is its one line alone
            progress.start()
        if label not in tasks:
            tasks[label] = progress.add_task(label, total=total)
        progress.update(tasks[label], completed=done, total=total)

    try:
        meta = corpora.fetch(target, source, force=force, progress=report)
    finally:
        if tasks:  # stopping one never started would print a blank line
            progress.stop()
    check = "verified against the pinned sha256" if meta["pinned"] else "sha256 recorded for later checks"
    said.print(f"[green]✓[/] {target.name}: {meta['bytes']:,} bytes in "
              f"{corpora.store_dir(target.name) / 'input.txt'} ({check}: {meta['sha256'][:16]}…)")


OfflineOpt = Annotated[bool, typer.Option(
    "--offline", envvar="PLAYGROUND_OFFLINE",
    help="Never download a missing corpus (PLAYGROUND_OFFLINE=1 does the same): training stops with an error; "
         "scoring goes on without it, novelty unknown.")]


def corpus_ready(target, offline: bool, needed: bool = True) -> None:
    """Check ``target``'s corpus before the slow work, fetching it first if it is missing
    (one line says so) unless ``offline``. A corpus that is ``needed`` (to train) and cannot be
    had is one error line; scoring goes on without one (novelty is then unknown)."""
    from playground import corpora

    if corpora.find_corpus(target) is None and target.corpus.sources and not offline and not _torchrun_rank():
        files = len(target.corpus.sources)
        err.print(f"the {target.name} corpus is not here yet: fetching it from upstream "
                  f"({files} file{'s' if files > 1 else ''}; --offline stops this)", soft_wrap=True)
        fetched(target, err)
    if needed or corpora.find_corpus(target) is not None:
        corpora.corpus_path(target)  # missing or damaged: its one line, saying how to mend it


def _torchrun_rank() -> bool:
    """Under torchrun, where ranks would race each other to fetch (`--nproc` fetches first)."""
    return "TORCHELASTIC_RUN_ID" in os.environ or int(os.environ.get("WORLD_SIZE", 1)) > 1


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
        value = _urls(value) if isinstance(value, list) else value
        table.add_row(key, f"{value:,}" if isinstance(value, int) else str(value))
    out.print(table)


def _urls(urls: list[str]) -> str:
    """Several URLs in one folder as the folder and their names; others one per line."""
    folder = os.path.commonprefix(urls).rpartition("/")[0] + "/"
    if len(urls) < 3 or folder in ("/", "https://", "http://"):
        return "\n".join(urls)
    return f"{len(urls)} files in {folder}\n" + ", ".join(url[len(folder):] for url in urls)


def main() -> None:
    """The `playground` command. A usage error (an unknown option, a value that does not parse,
    an extra argument) is one line on stderr and exit 2, like every other error."""
    from typer._click.exceptions import ClickException, NoArgsIsHelpError  # typer's own click

    try:
        code = app(standalone_mode=False)
    except NoArgsIsHelpError as exc:  # `playground` or `playground corpus` alone: the help, as typer shows it
        exc.ctx.get_help()  # (it prints the help itself)
        raise SystemExit(exc.exit_code) from None
    except ClickException as exc:
        where = f" (see `{exc.ctx.command_path} --help`)" if getattr(exc, "ctx", None) else ""
        err.print(f"error: {exc.format_message()}{where}", markup=False, soft_wrap=True)
        raise SystemExit(exc.exit_code) from None
    except typer.Abort:  # end of input at a prompt
        err.print("aborted")
        raise SystemExit(1) from None
    raise SystemExit(code or 0)


# -- train and sample --------------------------------------------------------------------

def _opt(help_text: str, *names: str):
    """An option that is None unless given."""
    return typer.Option(*names, help=escape(help_text), show_default=False)  # [..] is not markup


def launch_torchrun(nproc: int) -> int:
    """Run this same `playground train` command under torchrun on ``nproc`` local processes."""
    import subprocess
    import sys

    if nproc < 1:
        raise PlaygroundError("--nproc must be at least 1")
    args, skip = [], False
    for arg in sys.argv[1:]:
        if skip or arg.startswith("--nproc="):
            skip = False
            continue
        if arg == "--nproc":
            skip = True
            continue
        args.append(arg)
    # "--": torchrun's own parser reads none of ours (it would take --log for an abbreviated --log-dir)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
           *_leave_ctrl_c_to_workers(), "-m", "--", "playground", *args]
    # torchrun puts its workers in sessions of their own and answers Ctrl-C by killing them. Here
    # it ignores Ctrl-C (SIG_IGN is inherited), and this process passes it on to the workers as
    # SIGTERM, which they answer by stopping together, with a checkpoint, once training runs.
    interrupted = []

    def forward(signum, frame) -> None:
        interrupted.append(signum)
        for worker in _children(proc.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker, signal.SIGTERM)

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        proc = subprocess.Popen(cmd)
        signal.signal(signal.SIGINT, forward)
        returncode = proc.wait()
    finally:
        signal.signal(signal.SIGINT, previous)
    return 130 if interrupted and returncode == 0 else returncode


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _leave_ctrl_c_to_workers() -> list[str]:
    """torchrun's flag to not handle SIGINT itself, where it has one (torch 2.9 and later; an
    older torchrun kills its workers with SIGTERM, which they also answer with a checkpoint)."""
    from torch.distributed.run import get_args_parser

    flag = "--signals-to-handle=SIGTERM,SIGHUP,SIGQUIT"
    _, unknown = get_args_parser().parse_known_args([flag, "playground"])
    return [] if unknown else [flag]


@command()
@with_settings("model", "train")
def train(
    domain: Annotated[Optional[str], typer.Argument(
        help="A domain name or a UTF-8 text file; optional with --resume.", show_default=False)] = None,
    out_dir: Annotated[Optional[Path], _opt("Run folder [default: $PLAYGROUND_HOME/runs/DOMAIN-TIMESTAMP].", "--out")] = None,
    config_file: Annotated[Optional[Path], _opt(
        "TOML file of settings; flags override it, it overrides the domain's defaults.", "--config")] = None,
    resume: Annotated[Optional[Path], _opt(
        "Continue a run exactly where it stopped (a run folder or a checkpoint); "
        "--max-steps/--max-time may extend it.", "--resume")] = None,
    allow_changed_corpus: Annotated[bool, typer.Option(
        "--allow-changed-corpus", help="Resume even though the corpus's sha256 differs from the run's.")] = False,
    nproc: Annotated[Optional[int], typer.Option(
        "--nproc", help="Train data-parallel on N processes: runs `torchrun --standalone --nproc_per_node N "
        "-m playground train ...` (several machines: run torchrun yourself, see the README).",
        show_default=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON event per line.")] = False,
    offline: OfflineOpt = False,
    log: Annotated[Optional[list[str]], typer.Option(
        "--log", metavar="TRACKER[:DIR]", show_default=False, help=escape(
            "Also log the run to a tracker: tensorboard[:DIR] writes TensorBoard event files into DIR "
            "[default: RUN_FOLDER/tensorboard] (needs the tensorboard package)."))] = None,
    *,
    settings: dict,
) -> None:
    """Train a character-level model on a domain's corpus, with progress, evals, samples and
    validity rates (scored in the background; the best is kept as checkpoints/best-valid.pt).

    Ctrl-C saves a checkpoint and stops; `--resume RUN_DIR` continues bit for bit.
    """
    from playground import trackers

    wanted = trackers.parse(log or [])  # before torch: a bad --log is one line
    if domain is None and resume is None:
        raise PlaygroundError("give a DOMAIN to train, or --resume RUN_DIR")
    target = resolve_domain(domain) if domain is not None else None  # before torch too: a typo is quick
    if target is not None:
        corpus_ready(target, offline)
    if nproc is not None:
        raise typer.Exit(launch_torchrun(nproc))
    from playground.console import render_training
    from playground.engine.distributed import launched
    from playground.run import run_domain, run_training

    host = load_host()
    if launched().main:  # only rank 0 is given events; only it makes the trackers
        trackers.attach(host, wanted)
    if target is None:
        target = run_domain(resume, host.domains)
        corpus_ready(target, offline)
    events = run_training(target, settings, out_dir, resume, config_file, allow_changed_corpus, tracker=host)
    world = launched()
    if not world.main:  # ranks > 0 train in step with rank 0, which alone reports and writes
        for _ in events:
            pass
        return
    reason = render_training(events, err if as_json else out, json_lines=as_json)
    if reason == "interrupted" and world.size == 1:  # under torchrun, a clean stop is a success (see --nproc)
        raise typer.Exit(130)


@command()
@with_settings("sample")
def sample(
    checkpoint: Annotated[Path, typer.Argument(
        help="A checkpoint file, or a run folder (its best checkpoint, or its last before any eval).", show_default=False)],
    score: Annotated[bool, typer.Option("--score", help="Score each sample with the domain's checker as well.")] = False,
    strict: StrictOpt = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per sample: text, seed and settings.")] = False,
    offline: OfflineOpt = False,
    *,
    settings: dict,
) -> None:
    """Generate text from a trained checkpoint; a single sample streams as it is produced."""
    from playground import scoring
    from playground.console import rates_line, render_samples
    from playground.run import run_domain
    from playground.sampling import load_sampler

    stop = settings["stop"]
    if stop is not None and "\\" in stop:  # let `--stop '\n'` mean a newline
        try:
            settings["stop"] = codecs.decode(stop, "unicode_escape")
        except UnicodeDecodeError:
            raise PlaygroundError(f"--stop {stop!r}: not a valid escape sequence (try '\\n' or '\\t')") from None
    host = load_host()
    sampler = load_sampler(checkpoint, settings, run_domain(checkpoint, host.domains, required=False), host.domains)
    domain = sampler.domain
    if score or strict:
        scoring.check_scorer(domain, strict)
        corpus_ready(domain, offline, needed=False)
        measured_first(domain, strict)
    judged = []

    def judge(texts: list[str]):
        judged.append(scoring.judge(domain, texts, strict))
        return judged[-1]

    render_samples(sampler, out, json_lines=as_json, judge=judge if score or strict else None)
    if judged:
        (err if as_json else out).print(rates_line(judged[0].rates.to_dict()), highlight=False)


def measured_first(domain, strict: bool = False) -> None:
    """The domain's ceiling and copy index, made under a status line the first time (a few
    minutes for latex); afterwards they come from the cache."""
    from playground.ceiling import ceiling
    from playground.memorisation import copy_lengths

    if domain.score is not None and ceiling(domain, strict, measure=False) is None:
        with err.status(f"measuring the {domain.name} ceiling once: real held-out units, scored…"):
            ceiling(domain, strict)
            copy_lengths(domain, [])


@command()
def score(
    domain: Annotated[str, typer.Argument(help="The domain whose checker to use (see `playground domains`).",
                                          show_default=False)],
    files: Annotated[Optional[list[str]], typer.Argument(
        help="Sample files, one sample each (a corpus of lines, like names: one per line); - reads stdin.",
        show_default=False)] = None,
    jsonl: Annotated[Optional[list[str]], typer.Option(
        "--jsonl", help="A file of `playground sample --json` output: one sample per row (repeatable).",
        show_default=False)] = None,
    strict: StrictOpt = False,
    repair: Annotated[bool, typer.Option(
        "--repair", help="Also score each sample after closing what it left open; reported apart.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document: summary and samples.")] = False,
    offline: OfflineOpt = False,
) -> None:
    """Check samples for validity: a row per sample (✓/✗, value, category, first error), then
    valid, unique and novel rates with 95% intervals.

    Exit status: 0 when every sample is valid, 1 when any is not, 2 on bad usage or input.
    """
    import sys

    from playground import scoring
    from playground.console import render_scores

    target = resolve_domain(domain)
    scoring.check_scorer(target, strict)
    if repair and target.repair is None:
        raise PlaygroundError(f"domain {target.name!r} has no repair step (--repair)")
    pairs = scoring.read_samples(target, files or [], jsonl or [], stdin=sys.stdin.buffer.read)
    if not pairs:
        raise PlaygroundError("no samples: give sample FILEs, - for stdin, or --jsonl FILE")
    for tool in target.missing_tools():
        err.print(f"[yellow]warning:[/] {tool} is not installed; the {target.name} scorer falls back to a "
                  "weaker check (see its detail column)", soft_wrap=True)
    sources, texts = [p[0] for p in pairs], [p[1] for p in pairs]
    corpus_ready(target, offline, needed=False)  # novelty and the ceiling read it
    measured_first(target, strict)
    judgement = scoring.judge(target, texts, strict)
    fixed = scoring.judge(target, [target.repair(t) for t in texts], strict) if repair else None
    if as_json:
        summary = judgement.rates.to_dict()
        rows = [{"source": src, **sc.to_dict(), "novel": nv, "longest_copy": cp}
                for src, sc, nv, cp in zip(sources, judgement.scores, judgement.novel, judgement.copies)]
        if fixed:
            summary["repaired"] = fixed.rates.to_dict()
            for row, sc in zip(rows, fixed.scores):
                row["repaired"] = sc.to_dict()
        print(json.dumps({"summary": summary, "samples": rows}, ensure_ascii=False, indent=2))
    else:
        render_scores(sources, judgement.scores, judgement.novel, judgement.rates.to_dict(), out,
                      fixed.scores if fixed else None, fixed.rates.to_dict() if fixed else None)
    if not all(sc.valid for sc in judgement.scores):
        raise typer.Exit(1)


@command()
def sweep(
    checkpoint: Annotated[Path, typer.Argument(help="A checkpoint file or a run folder.", show_default=False)],
    temperatures: Annotated[str, typer.Option(help="Comma-separated temperatures to try.")] = "0.2,0.5,0.8,1.0,1.2",
    n: Annotated[int, typer.Option("--n", help="Samples per temperature, drawn as one batch.")] = 32,
    length: Annotated[Optional[int], _opt("Max characters per sample [default: the run's].")] = None,
    seed: Annotated[int, typer.Option(help="Seed for every temperature, so that only the temperature changes.")] = 0,
    guided: Annotated[bool, typer.Option("--guided", help="Sample with the domain's guide (see `sample --guided`).")
                      ] = False,
    strict: StrictOpt = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON row per temperature.")] = False,
    offline: OfflineOpt = False,
) -> None:
    """The trade-off curve: valid, unique and novel rates of samples at each temperature, and
    their negative log-likelihood per character under the model (what a guide costs)."""
    from playground.console import best_temperature, render_sweep
    from playground.run import run_domain
    from playground.sampling import sweep as run_sweep

    try:
        values = [float(t) for t in temperatures.split(",") if t.strip()]
    except ValueError:
        raise PlaygroundError(f"--temperatures takes numbers separated by commas, not {temperatures!r}") from None
    if not values or not all(math.isfinite(t) and t > 0 for t in values):
        raise PlaygroundError("--temperatures must list finite numbers > 0")
    domains = load_host().domains
    domain = run_domain(checkpoint, domains, required=False)  # else the checkpoint's own
    if domain is not None:
        corpus_ready(domain, offline, needed=False)
    rows = []
    with err.status("sampling and scoring…") as status:
        for row in run_sweep(checkpoint, domain, values, n, length, seed, strict, domains, guided):
            rows.append(row)
            status.update(f"temperature {row['temperature']:g}: valid {row['valid_rate']:.0%}")
            if as_json:
                print(json.dumps(row), flush=True)
    if as_json:
        print(json.dumps({"best_temperature": best_temperature(rows)}), flush=True)
    else:
        render_sweep(rows, out, guided)



@command()
def race(
    domain: DomainArg,
    cells: Annotated[str, typer.Option(help="Cells to race, separated by commas.")] = "lstm,gru,rnn,lstm-peephole,lstm-coupled",
    params: Annotated[str, typer.Option(help="Parameters per model (1M, 250k): each cell's hidden size is chosen "
                                             "to come closest.")] = "1M",
    budget: Annotated[float, typer.Option(help="Seconds of training per cell.")] = 300,
    layers: Annotated[int, typer.Option(help="Stacked layers, for every cell.")] = 2,
    config_file: Annotated[Optional[Path], _opt("TOML file of other training settings, for every cell.", "--config")] = None,
    out_dir: Annotated[Optional[Path], _opt("The race's folder [default: $PLAYGROUND_HOME/runs/race-DOMAIN-TIMESTAMP].",
                                            "--out")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as one JSON document.")] = False,
    offline: OfflineOpt = False,
) -> None:
    """Race recurrent cells: each sized to the same parameter count and trained for the same
    budget, one after another; a table of steps, chars/s, full-validation loss and valid rate
    (with its interval and the ceiling), a chart (race.svg) and race.json in the race's folder,
    and each cell's run folder inside it (open them with `tui --checkpoint` or `report`)."""
    from playground import race as cell_race
    from playground.engine.config import CELLS, read_config_file

    target = resolve_domain(domain)
    chosen, count = cell_race.parse_cells(cells, CELLS), cell_race.parse_params(params)
    if not (math.isfinite(budget) and budget > 0) or not 1 <= layers <= 16:
        raise PlaygroundError("--budget must be a positive number of seconds and --layers in 1..16")
    settings = {**(read_config_file(config_file) if config_file else {}), "layers": layers}
    corpus_ready(target, offline)
    folder = out_dir or _race_folder(target.name)
    entries = []
    with err.status("racing…") as status:
        watch = functools.partial(_race_progress, status, budget)
        for entry in cell_race.race(target, chosen, count, budget, folder, settings, watch):
            entries.append(entry)
            err.print(f"{entry.cell}: {entry.steps} steps, val {entry.val_loss or math.nan:.4f} nats/char", highlight=False)
    _race_results(folder, target.name, count, budget, entries, as_json)


def _race_folder(name: str) -> Path:
    from playground.corpora import home
    from playground.run_folder import RunFolder

    return RunFolder.reserve(home() / "runs", f"race-{name}").path


def _race_progress(status, budget: float, cell: str, event) -> None:
    from playground.events import StepCompleted

    if isinstance(event, StepCompleted):
        status.update(f"{cell}: step {event.step:,}, loss {event.loss:.3f}, {event.chars_per_s:,.0f} chars/s, "
                      f"{event.elapsed_s:.0f}/{budget:g} s")


def _race_results(folder: Path, domain: str, params: int, budget: float, entries, as_json: bool) -> None:
    """race.json and race.svg in the race's folder, then the table (or the JSON)."""
    from playground.atomic import write_text_atomic
    from playground.console import percent
    from playground.report_charts import race_chart

    document = {"domain": domain, "params": params, "budget_s": budget, "folder": str(folder),
                "cells": [entry.to_dict() for entry in entries]}
    write_text_atomic(folder / "race.json", json.dumps(document, indent=2) + "\n")
    write_text_atomic(folder / "race.svg", race_chart([(e.cell, e.curve) for e in entries]))
    if as_json:
        print(json.dumps(document, indent=2))
        return
    table = Table("cell", "hidden", "params", "steps", "chars/s", "val nats/char", "bits/char", "valid (95% CI)",
                  "ceiling", title=f"{domain}: {params:,} parameters, {budget:g} s each")
    for e in entries:
        v = e.valid or {}
        ci = f" ({percent(v['valid_ci'][0])}–{percent(v['valid_ci'][1])})" if v.get("valid_ci") else ""
        table.add_row(e.cell, str(e.hidden), f"{e.params:,}", f"{e.steps:,}", f"{e.chars_per_s:,.0f}",
                      "–" if e.val_loss is None else f"{e.val_loss:.4f}", "–" if e.bits is None else f"{e.bits:.3f}",
                      percent(v.get("valid_rate")) + ci, percent(v.get("ceiling")))
    out.print(table)
    out.print(f"chart: {folder / 'race.svg'}; runs: {folder}/CELL (playground report {folder}/*/)", soft_wrap=True)


@command()
def report(
    runs: Annotated[list[Path], typer.Argument(help="One or more run folders (a run still training is read as it stands).",
                                               show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write.")] = Path("report.html"),
    neuron: Annotated[Optional[str], _opt(
        "The unit to colour the neuron view by, LAYER:UNIT (layers from 1) [default: the unit that "
        "follows a feature of the text most closely].", "--neuron")] = None,
    per_batch: Annotated[int, typer.Option("--samples", help="Samples shown from each validity batch.")] = 3,
) -> None:
    """One self-contained HTML file (opens offline): settings, loss and validity curves with the
    95% interval and the ceiling (runs overlaid), verdicts over training, samples oldest first
    with the first error marked, and a neuron view."""
    from playground import report as html_report
    from playground.atomic import write_text_atomic
    from playground.report_neurons import Unit
    from playground.run_history import read

    if per_batch < 0:
        raise PlaygroundError("--samples must be 0 or more")
    unit = Unit.parse(neuron) if neuron is not None else None
    histories = [read(run) for run in runs]
    with err.status("drawing the report…"):
        page = html_report.build(histories, load_host().domains, unit, per_batch)
    try:
        write_text_atomic(output, page)
    except OSError as exc:
        raise PlaygroundError(f"cannot write {output}: {exc.strerror or exc}") from None
    out.print(f"wrote {output} ({len(page) / 1024:.0f} KiB) for {', '.join(h.name for h in histories)}")


# -- tui ---------------------------------------------------------------------------------

@command()
@with_settings("model", "train")
def tui(domain: Annotated[Optional[str], typer.Argument(
            help="The domain to select at start (a name or a UTF-8 text file).", show_default=False)] = None,
        checkpoint: Annotated[Optional[Path], typer.Option(
            help="Open a run folder or checkpoint to sample from and explore, without training.",
            show_default=False)] = None,
        offline: OfflineOpt = False,
        *,
        settings: dict) -> None:
    """Open the terminal UI: pick a domain, train (s), watch the loss and each sample's verdict,
    sample now (n), steer the temperature (+/-), explore neurons (v). The training flags of
    `playground train` prefill its settings."""
    from playground.tui.app import PlaygroundApp

    target = resolve_domain(domain) if domain is not None else None  # a misspelt name fails here, in one line
    if target is not None and checkpoint is None:
        corpus_ready(target, offline)
    if checkpoint is not None and not checkpoint.exists():
        raise PlaygroundError(f"{checkpoint} not found: give a run folder or a checkpoint file")
    PlaygroundApp(target, settings, checkpoint, load_host()).run()


@command(name="new-plugin")
def new_plugin(
    name: Annotated[str, typer.Argument(help="The domain's name: lowercase letters, digits, '-' and '_'.",
                                        show_default=False)],
    folder: Annotated[Path, typer.Option("--dir", help="Where to write playground-NAME/.", file_okay=False)] = Path("."),
) -> None:
    """Write a domain-plugin package to start from: a pyproject with the entry point, the plugin
    module (domain, corpus spec, scorer) and a test; it installs with pip and its test passes."""
    from playground.scaffold import new_plugin as write
    from playground.scaffold import next_steps

    root = write(name, folder)
    where = root if root.is_absolute() else f"./{root}"  # a bare name would make pip look on PyPI
    steps = "".join(f"\n  {step}" for step in next_steps(str(where)))
    out.print(f"wrote {where}/ ; next:{steps}", soft_wrap=True, markup=False)  # [test] is not markup
