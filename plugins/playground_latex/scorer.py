"""Score LaTeX samples by compiling them with the real pdflatex, jailed.

A sample without ``\\documentclass`` is wrapped in PREAMBLE (enough of the Stacks project's
preamble for chapter bodies to compile); one with it compiles as it is, under the same guard.
Each sample compiles in a fresh temporary folder, in a bubblewrap jail (``playground.sandbox``)
that holds only TeX's trees, the system's programs and libraries, read-only, and that folder:
pdfTeX's file primitives that ignore ``openin_any`` (``\\pdfobj file``, ``\\pdfximage``,
``\\pdfmapfile``, ...) find nothing else to read. Redefining those primitives would not do:
LaTeX keeps copies (``\\tex_pdfobj:D``) and ``\\pdfprimitive`` brings them back. Inside, TeX's
own guards stay on (``openin_any=p``, ``openout_any=p``, no shell escape), with CPU, file-size
and memory limits. Where bubblewrap is missing or cannot start, pdflatex is not run at all:
the structural check below stands in (as it does without pdflatex), and each verdict's detail
says why.

Verdicts: only whitespace and comments is "empty"; more than MAX_SAMPLE_CHARS characters is
"too-large" (neither is compiled); a sample that uses its CPU_LIMIT_S seconds of CPU is
"timeout"; one the wall clock (TIMEOUT_S) stops first was starved of CPU by a busy machine and
is "undetermined", neither valid nor invalid. Anything but whitespace after
``\\end{document}`` is "text-after-end": pdflatex stops there, so it was never checked. Where
TeX really ended is asked of TeX, not guessed from the source (see ``ENDMARK``); a sample that
stops TeX other than by LaTeX's ``\\end{document}`` in its own text (``\\@@end``, ``\\stop``,
an input file's ``\\end{document}``) is "ended-early".

Partial credit: an invalid sample scores k / (n + 1), where n is its number of lines and
k the number of them before the line pdflatex stopped at, so it is always below 1.
"""

from __future__ import annotations

import functools
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from playground import Score, per_sample
from playground.sandbox import Limits, Outcome, jail_problem, run_limited
from playground_latex.postprocess import environments, uncommented

CPU_LIMIT_S = 5
TIMEOUT_S = 12.0 * CPU_LIMIT_S
MAX_SAMPLE_CHARS = 2**18
FILE_SIZE_LIMIT = 20 * 2**20
MEMORY_LIMIT = 2**30

# xy-pic is not in every TeX Live install; without it, \xymatrix becomes a plain matrix,
# \ar (with its @-modifiers and [direction]) keeps only its ^ and _ labels and the 2-cells
# vanish, so the Stacks project's diagrams still compile.
XY_FALLBACK = r"""
\makeatletter\let\PGifnext\@ifnextchar\makeatother
\newdimen\PGdim
\setcounter{MaxMatrixCols}{30}
\def\xymatrix{\PGifnext @{\PGxyopt}{\PGxymat}}
\def\PGxyopt@#1={\afterassignment\xymatrix\PGdim=}
\def\PGxymat#1{\ensuremath{\begin{matrix}#1\end{matrix}}}
\def\ar{{}\PGarnext}
\def\PGarnext{\PGifnext @{\PGarmod}{\PGifnext [{\PGardir}{}}}
\def\PGarmod@{\PGifnext <{\PGarshift}{\PGifnext /{\PGarcurve}{\PGargroup}}}
\def\PGarshift<#1>{\PGarnext}
\def\PGarcurve/#1/{\PGarnext}
\def\PGargroup#1{\PGarnext}
\def\PGardir[#1]{\PGarlabel}
\def\PGarlabel{\PGifnext ^{\PGarup}{\PGifnext _{\PGardown}{}}}
\def\PGarup^#1{{}^{#1}\PGarlabel}
\def\PGardown_#1{{}_{#1}\PGarlabel}
\def\PGcell{\PGifnext ^{\PGcellup}{\PGifnext _{\PGcelldown}{\PGcelllabel}}}
\def\PGcellup^#1{\PGcell}
\def\PGcelldown_#1{\PGcell}
\def\PGcelllabel#1{}
\def\rtwocell{{}\PGcell}\let\rrtwocell\rtwocell\let\ruppertwocell\rtwocell
\let\rruppertwocell\rtwocell\let\rlowertwocell\rtwocell\let\rrlowertwocell\rtwocell
"""

XY = r"""
\usepackage[all]{xy}
\xyoption{2cell}
\UseAllTwocells
"""

# The Stacks project's own preamble, cut down to what chapter bodies use.
PREAMBLE = r"""\documentclass{article}
\usepackage{amsmath}
\usepackage{amssymb}
\usepackage{amsthm}
\usepackage{enumerate}
%(xy)s
\theoremstyle{plain}
\newtheorem{theorem}[subsection]{Theorem}
\newtheorem{proposition}[subsection]{Proposition}
\newtheorem{lemma}[subsection]{Lemma}
\theoremstyle{definition}
\newtheorem{definition}[subsection]{Definition}
\newtheorem{example}[subsection]{Example}
\newtheorem{exercise}[subsection]{Exercise}
\newtheorem{situation}[subsection]{Situation}
\theoremstyle{remark}
\newtheorem{remark}[subsection]{Remark}
\newtheorem{remarks}[subsection]{Remarks}
\numberwithin{equation}{subsection}
\title{}
\newenvironment{slogan}{\par\noindent\textit{Slogan.} }{\par}
\newenvironment{reference}{\par\noindent\textit{Reference.} }{\par}
\newenvironment{history}{\par\noindent\textit{History.} }{\par}
\providecommand{\href}[2]{#2}
\providecommand{\url}[1]{\texttt{#1}}
\providecommand{\phantomsection}{}
\def\lim{\mathop{\rm lim}\nolimits}
\def\colim{\mathop{\rm colim}\nolimits}
\def\Spec{\mathop{\rm Spec}}
\def\Hom{\mathop{\rm Hom}\nolimits}
\def\Ext{\mathop{\rm Ext}\nolimits}
\def\SheafHom{\mathop{\mathcal{H}\!{\it om}}\nolimits}
\def\SheafExt{\mathop{\mathcal{E}\!{\it xt}}\nolimits}
\def\Sch{\textit{Sch}}
\def\Mor{\mathop{\rm Mor}\nolimits}
\def\Ob{\mathop{\rm Ob}\nolimits}
\def\Sh{\mathop{\textit{Sh}}\nolimits}
\def\NL{\mathop{N\!L}\nolimits}
\def\CH{\mathop{\rm CH}\nolimits}
\def\proetale{{pro\text{-}\acute{e}tale}}
\def\etale{{\acute{e}tale}}
\def\QCoh{\textit{QCoh}}
\def\Pic{\mathop{\rm Pic}\nolimits}
\def\Ker{\text{Ker}}
\def\Im{\text{Im}}
\def\Coker{\text{Coker}}
\def\Coim{\text{Coim}}
"""

# Put before every document (LaTeX defines \AtEndDocument before \documentclass): LaTeX's
# \end{document}, however the sample spells it, logs the marker, the file and the line it ran
# on. The marker is random per compile so that a stray \typeout cannot match by accident; a
# sample written to forge it (reading its own source for the marker) could, as TeX has no
# privilege separation. \CurrentFile is empty on kernels older than 2021.
ENDMARK = "\\AtEndDocument{\\typeout{%s \\csname CurrentFile\\endcsname\\space\\the\\inputlineno}}\n"

# Files the corpus inputs around each chapter: empty, since the preamble is already loaded.
STUB_FILES = ("preamble.tex", "chapters.tex")

# (category, pattern on the first "! ..." error line and the two after it), first match wins.
CATEGORIES = (
    ("undefined-control-sequence", r"Undefined control sequence"),
    ("missing-dollar", r"Missing \$ inserted|Display math should end with \$\$|Bad math environment delimiter"),
    ("environment-mismatch", r"\\begin\{[^}]*\} on input line \d+ ended by|\\begin\{[^}]*\} ended by"),
    ("undefined-environment", r"Environment .* undefined"),
    ("missing-file", r"File `.*' not found|cannot be found|I can't find file"),
    ("runaway-argument", r"Paragraph ended before .* was complete|Runaway argument"),
    ("unbalanced-braces", r"Extra \}, or forgotten|Missing [{}] inserted|Too many \}'s|File ended while scanning"),
    ("unbalanced-delimiters", r"Extra \\right|Missing \\right"),
    ("unbalanced-conditional", r"Extra \\else|Extra \\fi|Extra \\or|Incomplete \\if"),
    ("missing-item", r"Something's wrong--perhaps a missing \\item"),
    ("alignment", r"Misplaced alignment tab|Extra alignment tab|Misplaced \\(cr|noalign)"),
    ("double-script", r"Double (sub|super)script"),
    ("missing-number", r"Missing number|Illegal unit"),
    ("resource-limit", r"TeX capacity exceeded"),
    ("emergency-stop", r"Emergency stop|\*\*\* \(job aborted"),
)


def _xy_available() -> bool:
    kpsewhich = shutil.which("kpsewhich")
    if kpsewhich is None:
        return False
    found = subprocess.run([kpsewhich, "xy.sty"], capture_output=True, text=True, timeout=10)
    return bool(found.stdout.strip())


@functools.cache
def preamble() -> str:
    """The wrapper's preamble, with real xy-pic where TeX Live has it."""
    return PREAMBLE.replace("%(xy)s", XY if _xy_available() else XY_FALLBACK)


def wrap(sample: str) -> tuple[str, int]:
    """The document to compile and how many lines precede the sample in it."""
    if r"\documentclass" in uncommented(sample):
        return sample, 0
    document = {kind for _, kind, name in environments(sample) if name == "document"}  # outside comments
    head = preamble() + ("" if "begin" in document else "\\begin{document}\n")
    tail = "" if "end" in document else "\n\\end{document}\n"
    return head + sample + tail, head.count("\n")


# The CPU limit judges runaways; the wall clock, 12 times as long, only stops a checker that
# a busy machine starves (pdflatex runs at nice 10), which is then "undetermined", not invalid.
LIMITS = Limits(timeout=TIMEOUT_S, cpu=CPU_LIMIT_S, file_size=FILE_SIZE_LIMIT, memory=MEMORY_LIMIT)


@functools.cache
def tex_trees() -> tuple[str, ...]:
    """The folders pdflatex reads (TeX's trees and configuration, its own programs), per kpsewhich."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/nonexistent"}  # no per-user trees
    found = subprocess.run(["kpsewhich", "-expand-path=$TEXMF:$TEXMFCNF:$TEXMFROOT"], env=env,
                           capture_output=True, text=True, timeout=10)
    binaries = os.path.dirname(os.path.realpath(shutil.which("pdflatex") or "/usr/bin/pdflatex"))
    return tuple(dict.fromkeys([*filter(None, found.stdout.strip().split(":")), binaries]))


def compile_latex(document: str, folder: Path) -> tuple[Outcome, str]:
    """Run pdflatex on ``document``, jailed in ``folder``: how it ended, and its log."""
    (folder / "sample.tex").write_text(document, encoding="utf-8")
    for name in STUB_FILES:
        (folder / name).write_text("", encoding="utf-8")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(folder),
        "TEXMFOUTPUT": str(folder),
        "TEXMFVAR": str(folder / "texmf-var"),  # where mktexpk puts the bitmap fonts it makes
        "TMPDIR": str(folder),  # and where it makes them
        "openin_any": "p",
        "openout_any": "p",
        "LC_ALL": "C",
    }
    cmd = ["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "-no-mktex=tfm", "sample.tex"]
    outcome = run_limited(cmd, LIMITS, folder, env, read_only=tex_trees())
    log_path = folder / "sample.log"
    log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
    return outcome, log


def classify(log: str) -> tuple[str, str, int | None]:
    """(category, detail, line in the document) from a pdflatex log."""
    lines = log.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("! "):
            context = next((l for l in lines[i + 1 : i + 12] if re.match(r"l\.\d+", l)), "")
            number = int(re.match(r"l\.(\d+)", context).group(1)) if context else None
            detail = line if not context or len(context) > 80 else f"{line} {context}"
            message = " ".join(lines[i : i + 3])
            category = next((c for c, p in CATEGORIES if re.search(p, message)), "latex-error")
            return category, detail, number
    return "latex-error", next((l for l in lines if l.startswith("!")), "pdflatex failed"), None


def renumbered(detail: str, offset: int, lines: int) -> str:
    """pdflatex's line numbers (``on input line N``, ``l.N``) as in the sample, not the wrapped
    document: one in the wrapper's preamble, or past the sample (the ``\\end{document}`` the
    wrapper adds), is named so rather than numbered."""
    def line(found: re.Match) -> str:
        n = int(found.group(2)) - offset
        if 1 <= n <= lines:
            return found.group(1) + str(n)
        return "in the wrapper's preamble" if n < 1 else "after your text"

    return re.sub(r"(on input line |(?:^|(?<= ))l\.)(\d+)", line, detail)


def _partial(sample: str, offset: int, line: int | None) -> float:
    n = sample.count("\n") + 1
    if line is None:
        return 0.0
    return min(max(line - 1 - offset, 0), n) / (n + 1)


def refuse(sample: str) -> Score | None:
    """The verdict on a sample not worth compiling: empty, or past the size bound."""
    if not uncommented(sample).strip():
        return Score(False, 0.0, "empty", "empty sample: nothing to compile but whitespace and comments")
    if len(sample) > MAX_SAMPLE_CHARS:
        return Score(False, 0.0, "too-large", f"{len(sample):,} characters; the limit is {MAX_SAMPLE_CHARS:,}")
    return None


def text_after_end(sample: str) -> int | None:
    """The line of the first \\end{document} outside a comment, when text follows it."""
    for start, kind, name in environments(sample):
        if kind == "end" and name == "document":
            end = sample.index("}", start) + 1
            return sample.count("\n", 0, end) + 1 if sample[end:].strip() else None
    return None


def score_one(sample: str) -> Score:
    refused = refuse(sample)
    if refused:
        return refused
    document, offset = wrap(sample)
    marker = f"PGEND-{secrets.token_hex(8)}"
    document, offset = ENDMARK % marker + document, offset + 1
    with tempfile.TemporaryDirectory(prefix="playground-latex-") as folder:
        outcome, log = compile_latex(document, Path(folder))
    if outcome.starved:
        return Score(False, 0.0, "undetermined",
                     f"checker starved of CPU: under {CPU_LIMIT_S} CPU s in {TIMEOUT_S:g} s")
    if outcome.timed_out or outcome.returncode in (-signal.SIGKILL, -signal.SIGXCPU):
        return Score(False, 0.0, "timeout", f"pdflatex ran past its {CPU_LIMIT_S} s of CPU")
    if outcome.returncode and outcome.stderr.startswith("bwrap:"):
        return Score(False, 0.0, "undetermined", f"sandbox failed: {outcome.stderr.splitlines()[0]}")
    if outcome.returncode == 0:
        return _compiled(sample, log, ended_at(log, marker, offset))
    category, detail, line = classify(log)
    detail = renumbered(detail, offset, sample.count("\n") + 1)
    if outcome.returncode < 0:
        category = "resource-limit"
    return Score(False, _partial(sample, offset, line), category, detail)


def ended_at(log: str, marker: str, offset: int) -> int | None:
    """The sample's line LaTeX's \\end{document} ran on, per ENDMARK's line in the log; None if
    it never ran, or ran in another file (one the sample wrote and input)."""
    found = re.search(rf"^{marker} (\S*) (\d+)$", log, re.M)
    if found is None or found.group(1) not in ("sample.tex", ""):
        return None
    return int(found.group(2)) - offset


def unread_after(sample: str, end: int) -> int | None:
    """``end``, the line LaTeX's \\end{document} ran on, if text TeX never read follows it."""
    lines = sample.splitlines()
    last = max((i + 1 for i, line in enumerate(lines) if line.strip()), default=0)
    if end < last:
        return end
    if end == last and not re.search(r"\\end\s*\{document\}\s*$", lines[end - 1]):
        return end  # the end is spelt otherwise (\end\x): what follows it on its line is unread
    return None


def _compiled(sample: str, log: str, end: int | None) -> Score:
    """The verdict on a sample pdflatex compiled: valid, unless it only warned or stopped early."""
    n = sample.count("\n") + 1
    unclosed = re.search(r"^\(\\end occurred (inside a group|when .* incomplete)", log, re.M)
    if unclosed:  # every line was read
        category = "unbalanced-braces" if unclosed.group(1) == "inside a group" else "unbalanced-conditional"
        return Score(False, n / (n + 1), category, unclosed.group(0))
    if end is None:
        return Score(False, 0.0, "ended-early",
                     "TeX stopped other than by LaTeX's \\end{document} in the sample (\\@@end, \\stop, ...)")
    line = text_after_end(sample) or unread_after(sample, end)
    if line is not None:  # pdflatex stops at \end{document}: what follows was never checked
        return Score(False, line / (n + 1), "text-after-end", f"text after \\end{{document}} on line {line}")
    return Score(True, 1.0)


def score(samples: list[str]) -> list[Score]:
    """Compile each sample with pdflatex, jailed (several at once), or check structure without it."""
    problem = "pdflatex not found; install TeX Live" if shutil.which("pdflatex") is None else jail_problem()
    if problem:
        return [refuse(s) or structural_score(s, problem) for s in samples]
    return per_sample(score_one, parallel=True)(samples)


STRUCTURAL_CATEGORIES = (
    ("unbalanced-braces", r"brace|expecting '\}'"),
    ("environment-mismatch", r"environment|expecting \\end"),
    ("missing-dollar", r"expecting '\$"),
)


def structural_score(sample: str, why: str) -> Score:
    """Without (jailed) pdflatex: braces, environments and math delimiters must balance (pylatexenc)."""
    label = f"structural check ({why})"
    from pylatexenc.latexwalker import LatexWalker, LatexWalkerError

    try:
        LatexWalker(sample, tolerant_parsing=False).get_latex_nodes()
    except LatexWalkerError as error:
        message = str(error).splitlines()[0]
        kind = next((c for c, p in STRUCTURAL_CATEGORIES if re.search(p, message)), "syntax-error")
        line = getattr(error, "lineno", None)
        return Score(False, _partial(sample, 0, line), f"structural:{kind}", f"{label}: {message}")
    return Score(True, 1.0, "ok", label)
