"""Score LaTeX samples by compiling them with the real pdflatex, sandboxed.

A sample without ``\\documentclass`` is wrapped in PREAMBLE (enough of the Stacks project's
preamble for chapter bodies to compile). Each sample compiles in a fresh temporary folder,
with file access limited to that folder (``openin_any=p``, ``openout_any=p``), no shell
escape, a wall-clock timeout, rlimits and its own process group, killed on timeout.

Partial credit: an invalid sample scores k / (n + 1), where n is its number of lines and
k the number of them before the line pdflatex stopped at, so it is always below 1.
Without pdflatex on PATH a structural check runs instead (see ``structural_score``).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from playground import Score
from playground.sandbox import Limits, run_limited

TIMEOUT_S = 5.0
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
    if r"\documentclass" in sample:
        return sample, 0
    head = preamble() + ("" if r"\begin{document}" in sample else "\\begin{document}\n")
    tail = "" if r"\end{document}" in sample else "\n\\end{document}\n"
    return head + sample + tail, head.count("\n")


LIMITS = Limits(timeout=TIMEOUT_S, cpu=int(TIMEOUT_S) + 2, file_size=FILE_SIZE_LIMIT, memory=MEMORY_LIMIT)


def compile_latex(document: str, folder: Path) -> tuple[str, str]:
    """Run pdflatex on ``document`` inside ``folder``: ("ok" | "error" | "timeout" | "killed", log)."""
    (folder / "sample.tex").write_text(document, encoding="utf-8")
    for name in STUB_FILES:
        (folder / name).write_text("", encoding="utf-8")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(folder),
        "TEXMFOUTPUT": str(folder),
        "TEXMFVAR": str(folder / "texmf-var"),  # where mktexpk puts the bitmap fonts it makes
        "openin_any": "p",
        "openout_any": "p",
        "LC_ALL": "C",
    }
    cmd = ["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "-no-mktex=tfm", "sample.tex"]
    outcome = run_limited(cmd, LIMITS, folder, env)
    if outcome.timed_out:
        return "timeout", ""
    log_path = folder / "sample.log"
    log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
    if outcome.returncode < 0:
        return "killed", log
    return ("ok" if outcome.returncode == 0 else "error"), log


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


def _partial(sample: str, offset: int, line: int | None) -> float:
    n = sample.count("\n") + 1
    if line is None:
        return 0.0
    return min(max(line - 1 - offset, 0), n) / (n + 1)


def score_one(sample: str) -> Score:
    document, offset = wrap(sample)
    with tempfile.TemporaryDirectory(prefix="playground-latex-") as folder:
        outcome, log = compile_latex(document, Path(folder))
    unclosed = re.search(r"^\(\\end occurred (inside a group|when .* incomplete)", log, re.M)
    if outcome == "ok" and unclosed:  # pdflatex only warns about an unclosed group or \if
        n = sample.count("\n") + 1  # every line was read
        category = "unbalanced-braces" if unclosed.group(1) == "inside a group" else "unbalanced-conditional"
        return Score(False, n / (n + 1), category, unclosed.group(0))
    if outcome == "ok":
        return Score(True, 1.0)
    if outcome == "timeout":
        return Score(False, 0.0, "timeout", f"pdflatex ran past {TIMEOUT_S:g} s")
    category, detail, line = classify(log)
    if line is not None:  # number lines as in the sample, not the wrapped document
        detail = detail.replace(f" l.{line} ", f" l.{line - offset} ", 1)
    if outcome == "killed":
        category = "resource-limit"
    return Score(False, _partial(sample, offset, line), category, detail)


def score(samples: list[str]) -> list[Score]:
    """Compile each sample with pdflatex (several at once), or check structure without it."""
    if shutil.which("pdflatex") is None:
        return [structural_score(s) for s in samples]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return list(pool.map(score_one, samples))


STRUCTURAL = "structural check (pdflatex not found; install TeX Live)"
STRUCTURAL_CATEGORIES = (
    ("unbalanced-braces", r"brace|expecting '\}'"),
    ("environment-mismatch", r"environment|expecting \\end"),
    ("missing-dollar", r"expecting '\$"),
)


def structural_score(sample: str) -> Score:
    """Without pdflatex: braces, environments and math delimiters must balance (pylatexenc)."""
    from pylatexenc.latexwalker import LatexWalker, LatexWalkerError

    try:
        LatexWalker(sample, tolerant_parsing=False).get_latex_nodes()
    except LatexWalkerError as error:
        message = str(error).splitlines()[0]
        kind = next((c for c, p in STRUCTURAL_CATEGORIES if re.search(p, message)), "syntax-error")
        line = getattr(error, "lineno", None)
        return Score(False, _partial(sample, 0, line), f"structural:{kind}", f"{STRUCTURAL}: {message}")
    return Score(True, 1.0, "ok", STRUCTURAL)
