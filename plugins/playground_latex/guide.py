"""The LaTeX guide: what may come next in a chapter-body fragment so that pdflatex, wrapped in
the scorer's PREAMBLE, can still compile it once the unit ends.

A state is ``(stack, lex)``. The stack holds what is open: brace groups (some of a kind: the
argument of ``\\text``, ``\\footnote``, ``\\xymatrix``, ``\\ref``, a script, ...), inline and
display math, ``\\left``, environments, and the marks of a unit's start and of
``\\end{document}``. ``lex`` is where the lexer stands: at a line's start (a newline there makes
a blank line, which only a paragraph's end may have), mid-line, after an atom with a script, in
a comment, reading a control word or an environment's name, just after ``$``, ``_`` or ``^``,
or after a command whose argument opens a group of its kind.

What is known comes from the corpus (``Facts``): the control words it uses in text and in math,
those it always follows with ``{`` and those it only writes at a line's start, its control
symbols, which environment it opens inside which, and in which it leaves a blank line. What
LaTeX makes of names is written here: which environments are math or alignments, which
commands take an argument of a kind.

At depth 0 a unit may also end with ``\\end{document}`` (then only blanks and comments): the
scorer's wrapper compiles that as the document's end, and it is the way out for a model that
believes an environment is still open where none is.
"""

from __future__ import annotations

import functools
import re
import string
from dataclasses import dataclass
from typing import NamedTuple

from playground import ANYTHING, CharSet, anything_but, only
from playground_latex.postprocess import uncommented

MAX_DEPTH = 16  # open frames; at the cap nothing more opens

LETTERS = frozenset(string.ascii_letters)

# Frames that are not environments. Groups end at "}".
BRACE, TEXT, FOOTNOTE, DIAGRAM, URL, KEY = "{", "text{", "footnote{", "xymatrix{", "href{", "ref{"
OPTION, DELIMITER, INLINE, DISPLAY = "cite[", "\\left", "$", "$$"
FRESH = "unit start"  # alone on the stack while the unit holds only blanks and comments
# After \end{document}, what follows is never read: only blanks and comments may come until the
# unit ends (and \input, where the unit began with it: the corpus's seams between chapters).
ENDED, SEAM = "\\end{document}", "\\end{document} \\input"
# A script's brace group, named by the scripts its atom has once it closes ("_", "^" or both).
SCRIPT_GROUPS = frozenset({"_{", "^{", "_^{"})
GROUPS = frozenset({BRACE, TEXT, FOOTNOTE, DIAGRAM, URL, KEY}) | SCRIPT_GROUPS
MATH_FRAMES = frozenset({DIAGRAM, DELIMITER, INLINE, DISPLAY})
NOT_ENVS = GROUPS | MATH_FRAMES | {OPTION, FRESH, ENDED, SEAM}
START = (FRESH,), "line"
# Lexer states outside names: at a line's start, mid-line, or just after an atom with a
# subscript, a superscript or both (which it may not get again).
SCRIPTED = ("_", "^", "_^")
PLAIN = ("line", "mid", *SCRIPTED)
# Reading a control sequence's name: mid-line, at a line's start, or as a script's argument.
MID_NAMING, LINE_NAMING = "\\", "\n\\"
SCRIPT_NAMING = {"\\" + scripts: scripts for scripts in SCRIPTED}
NAMING = (MID_NAMING, LINE_NAMING, *SCRIPT_NAMING)
UNIT_ENDS = frozenset({(), (FRESH,), (ENDED,), (SEAM,)})  # stacks where a blank line ends the unit

# What LaTeX makes of names.
DISPLAY_ENVS = frozenset({"equation", "equation*", "align", "align*", "eqnarray", "eqnarray*", "gather", "gather*"})
INNER_ENVS = frozenset({"matrix", "pmatrix", "bmatrix", "array", "cases"})  # opened inside math
MATH_ENVS = DISPLAY_ENVS | INNER_ENVS
ALIGNED = (MATH_ENVS - {"equation", "equation*", "gather", "gather*"}) | {DIAGRAM}  # "&" separates cells
LISTS = frozenset({"enumerate", "itemize", "description"})
ARGUMENTS = {  # commands whose "{" opens a group of a kind (TEXT only matters in math)
    **dict.fromkeys(("text", "textit", "textbf", "textrm", "mbox", "hbox", "fbox", "emph", "url"), TEXT),
    **dict.fromkeys(("ref", "eqref", "label", "cite", "input"), KEY),
    "footnote": FOOTNOTE, "xymatrix": DIAGRAM, "href": URL,
}
ONE_ARGUMENT = frozenset({"mathcal", "mathfrak", "mathbf", "mathit", "mathrm", "mathbb", "mathsf", "overline",
                          "underline", "widetilde", "widehat", "tilde", "hat", "bar", "check", "vec", "dot", "sqrt",
                          "operatorname", "boxed", "phantom"})  # in a script, their argument ends the atom
DIAGRAM_ONLY = frozenset({"ar", "rtwocell", "rrtwocell", "ruppertwocell", "rruppertwocell", "rlowertwocell",
                          "rrlowertwocell"})
TEXT_SYMBOLS = frozenset("'\"`")  # accents
MATH_SYMBOLS = frozenset("!")
DIAGRAM_MODIFIERS = frozenset("@=RC0123456789.ptcemx ")  # may stand between \xymatrix and its "{"


@dataclass(frozen=True)
class Facts:
    text_names: frozenset[str]  # control words the corpus uses in text
    math_names: frozenset[str]  # and in math
    symbols: frozenset[str]  # control symbols: the character after the backslash
    braced: frozenset[str]  # control words always followed by "{"
    line_start: frozenset[str]  # control words only ever at a line's start (after blanks)
    children: frozenset[tuple[str | None, str]]  # (innermost environment or None, environment opened in it)
    paragraph_envs: frozenset[str]  # innermost environments at a blank line


NAME = re.compile(r"\\([A-Za-z]+)")
LINE_START_NAME = re.compile(r"^[ \t]*\\([A-Za-z]+)", re.M)
# Math as the corpus writes it, near enough to tell which names it uses in which mode, once the
# arguments of text commands (with one level of braces inside) are set apart as text.
MATH = re.compile(r"(\$\$.*?\$\$|\$.*?\$|\\begin\{((?:equation|align|eqnarray|gather)\*?)\}.*?\\end\{\2\})", re.S)
TEXT_ARG = re.compile(r"(\\(?:text|textit|textbf|textrm|mbox|hbox|fbox|emph))\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}")
SCAN = re.compile(r"%[^\n]*|\\[\\{}%]|\\(begin|end)\{([^{}\n]*)\}|\n[ \t]*\n")


@functools.lru_cache(maxsize=2)
def facts(corpus: str) -> Facts:
    """What the corpus uses, read once per corpus text."""
    body = uncommented(corpus)
    return Facts(*names_by_mode(body), frozenset(re.findall(r"\\([^A-Za-z\n])", body)), *placed_names(body),
                 *nesting(corpus))


def names_by_mode(body: str) -> tuple[frozenset[str], frozenset[str]]:
    """The control words used in text, and those used in math."""
    texts, maths = [], []
    for text in [TEXT_ARG.sub(r"\1{}", body)] + [arg for _, arg in TEXT_ARG.findall(body)]:
        parts = MATH.split(text)  # text, math, its environment (or None), text, ...
        texts += parts[::3]
        maths += parts[1::3]
    return frozenset(NAME.findall(" ".join(texts))), frozenset(NAME.findall(" ".join(maths)))


def placed_names(body: str) -> tuple[frozenset[str], frozenset[str]]:
    """The control words always followed by "{", and those only at a line's start."""
    uses = [(m.group(1), body[m.end():m.end() + 1], m.start()) for m in NAME.finditer(body)]
    firsts = {m.start(1) - 1 for m in LINE_START_NAME.finditer(body)}
    names = {name for name, _, _ in uses}
    return (frozenset(names - {name for name, after, _ in uses if after != "{"}),
            frozenset(names - {name for name, _, at in uses if at not in firsts}))


def nesting(corpus: str) -> tuple[frozenset, frozenset[str]]:
    """(parent, environment) pairs, and the environments innermost at a blank line."""
    children, paragraph_envs, stack = set(), set(), []
    for m in SCAN.finditer(corpus):
        kind, name = m.group(1), m.group(2)
        if kind == "begin":
            children.add((stack[-1] if stack else None, name))
            stack += [] if name == "document" else [name]
        elif kind == "end" and name != "document" and stack:
            stack.pop()
        elif m.group(0).startswith("\n") and stack:
            paragraph_envs.add(stack[-1])
    return frozenset(children), frozenset(paragraph_envs)


class Context(NamedTuple):
    """What the meaning of the next character depends on, from the stack."""

    math: bool
    top: str | None  # the innermost frame (None at a unit's start too)
    env: str | None  # the innermost environment
    fresh: bool  # nothing but blanks and comments yet: \begin{document} may come
    room: bool  # another frame may open


@functools.lru_cache(maxsize=4096)
def context(stack: tuple[str, ...]) -> Context:
    fresh = stack == (FRESH,)
    stack = () if fresh else stack
    mode = next((f for f in reversed(stack) if f not in SCRIPT_GROUPS | {BRACE, OPTION}), None)
    env = next((f for f in reversed(stack) if f not in NOT_ENVS), None)
    return Context(mode in MATH_FRAMES or mode in MATH_ENVS, stack[-1] if stack else None, env, fresh,
                   len(stack) < MAX_DEPTH)


def unfresh(stack: tuple[str, ...]) -> tuple[str, ...]:
    """The stack once the unit holds more than blanks and comments."""
    return () if stack == (FRESH,) else stack


def is_env(frame: str | None) -> bool:
    return frame is not None and frame not in NOT_ENVS


def in_paragraph(ctx: Context) -> bool:
    """In text, outside groups but a footnote's: where environments and display math may open."""
    return ctx.top in (None, FOOTNOTE) or is_env(ctx.top)


_interned: dict[CharSet, CharSet] = {}


def interned(chars: CharSet) -> CharSet:
    """One object per distinct set, so that sampling builds one mask for it."""
    return _interned.setdefault(chars, chars)


BRACE_ONLY, CLOSE_BRACE, DOLLAR = only("{"), only("}"), only("$")
DIAGRAM_START = only(DIAGRAM_MODIFIERS | {"{"})
URL_CHARS = anything_but("\\{%\n")
SCRIPT_ARGUMENT = anything_but("}$&^_'#%\n")
KEY_CHARS = anything_but("\\{$%&#^~")  # a label's characters ("_" too), and the closing "}"
AFTER_END, AFTER_SEAM = only(" \t\n%"), only(" \t\n%\\")
SPECIALS = frozenset("\\{}$&^_#%\n")


class LatexGuide:
    """The latex domain's guide (see the module's docstring). Built from the corpus's text
    (the domain's verified corpus when not given)."""

    def __init__(self, corpus: str | None = None):
        if corpus is None:
            from playground import plugins
            from playground.corpora import corpus_text

            corpus = corpus_text(plugins.host().domains["latex"])
        self.facts = facts(corpus)
        self.allowed = functools.lru_cache(maxsize=2**16)(self._allowed)

    def start(self):
        return START

    # -- what may come next ------------------------------------------------------------------

    def _allowed(self, state) -> CharSet:
        stack, lex = state
        ctx = context(stack)
        if lex in PLAIN:
            return _plain(ctx, lex, lex == "line" and not self._paragraph_may_end(stack))
        if lex == "comment":
            return ANYTHING
        if lex == "$":  # a "$" in text mode: "$$" opens display math, anything else is inline math
            inline = _normal(context((*stack, INLINE)), False) - DOLLAR
            return interned(inline | DOLLAR if in_paragraph(ctx) else inline)
        if lex == "$$":  # the first "$" closing display math
            return DOLLAR
        what, text = lex
        if what == "script":  # after "_" or "^": the script's argument
            return SCRIPT_ARGUMENT if ctx.room else interned(SCRIPT_ARGUMENT - BRACE_ONLY)
        if what in NAMING:
            return self._control(ctx, stack, what, text)
        if what == "arg":  # after a command whose "{" may open a group of a kind (there is room: see _names)
            return interned(self.allowed((stack, "mid")) | BRACE_ONLY if text != DIAGRAM else DIAGRAM_START)
        if what == "{" or text is None:  # a command whose "{" must come next
            return BRACE_ONLY
        names = _env_names(self.facts, ctx) if what == "begin" else frozenset({ctx.env or "document"})
        return interned(_letters(names, text) | CLOSE_BRACE) if text in names else _letters(names, text)

    def _paragraph_may_end(self, stack) -> bool:
        return stack in UNIT_ENDS or stack[-1] in self.facts.paragraph_envs

    def _control(self, ctx: Context, stack, what: str, prefix: str) -> CharSet:
        """After a backslash and ``prefix``: a letter towards a name that may come here, or, once
        it is one, what may follow it; right after the backslash, a control symbol too."""
        names = _names(self.facts, ctx, what == LINE_NAMING)
        letters = _letters(names, prefix)
        if prefix == "":
            return interned(letters | only(_symbols(self.facts, ctx)))
        if prefix not in names:
            return letters
        after = self._after_name(stack, prefix, SCRIPT_NAMING.get(what, ""))
        return interned(letters | (self.allowed(after) - only(LETTERS)))

    # -- how the state moves -------------------------------------------------------------------

    def advance(self, state, char: str):
        stack, lex = state
        if lex in PLAIN:
            if char == "\n" and lex == "line" and stack in UNIT_ENDS:
                return START
            return _step(stack if char in " \t\n%\\" else unfresh(stack), lex, char)
        if lex == "comment":
            return (stack, "line") if char == "\n" else state
        if lex == "$":
            return ((*stack, DISPLAY), "mid") if char == "$" else _step((*stack, INLINE), "mid", char)
        if lex == "$$":
            return stack[:-1], "mid"
        what, text = lex
        if what == "script":
            if char == "{":
                return (*stack, text + "{"), "mid"
            if char == "\\":
                return stack, ("\\" + text, "")
            return stack, (state[1] if char in " \t" else text)
        if what in NAMING:
            if char in LETTERS:
                return stack, (what, text + char)
            if text == "":
                return unfresh(stack), SCRIPT_NAMING.get(what, "mid")  # a control symbol
            return self.advance(self._after_name(stack, text, SCRIPT_NAMING.get(what, "")), char)
        if what in ("arg", "{") and char == "{":
            return (*stack, text), "mid"
        if what == "arg":
            if text == DIAGRAM:
                return state
            if text == KEY and char == "[":
                return (*stack, OPTION), "mid"
            return _step(stack, "mid", char)
        if text is None:
            return stack, (what, "")
        if char != "}":
            return stack, (what, text + char)
        if what == "end":
            return (((SEAM if stack == (FRESH,) else ENDED),) if text == "document" else stack[:-1]), "mid"
        return (unfresh(stack) + (() if text == "document" else (text,))), "mid"

    def _after_name(self, stack, name: str, scripts: str = ""):
        """The state once the control word ``name`` has ended (a script's argument when
        ``scripts`` says which scripts its atom then has)."""
        if name in ("begin", "end"):
            return stack, (name, None)
        stack = unfresh(stack)
        if scripts and name in ONE_ARGUMENT:
            return stack, ("script", scripts)
        if scripts and not (name in ("left", "right") or name in ARGUMENTS or name in self.facts.braced):
            return stack, scripts
        if name == "left":
            return (*stack, DELIMITER), "mid"
        if name == "right":
            return stack[:-1], "mid"
        kind = ARGUMENTS.get(name)
        if kind == TEXT and not context(stack).math:
            kind = None
        if name in self.facts.braced:
            return stack, ("{", kind or BRACE)
        return (stack, "mid") if kind is None else (stack, ("arg", kind))


@functools.lru_cache(maxsize=None)
def _plain(ctx: Context, lex: str, no_newline: bool) -> CharSet:
    """``_normal``, less what would give a scripted atom a second script of a kind."""
    again = ("_" if "_" in lex else "") + ("^'" if "^" in lex else "")
    return interned(_normal(ctx, no_newline) - only(again)) if lex in SCRIPTED else _normal(ctx, no_newline)


@functools.lru_cache(maxsize=None)
def _normal(ctx: Context, no_newline: bool) -> CharSet:
    """Outside names and comments: which special characters may come."""
    if ctx.top == URL:
        return URL_CHARS
    if ctx.top == KEY:
        return KEY_CHARS
    if ctx.top in (ENDED, SEAM):
        return AFTER_END if ctx.top == ENDED else AFTER_SEAM
    ok = {"\\", "%"}
    ok |= {"{"} if ctx.room else set()
    ok |= {"}"} if ctx.top in GROUPS else set()
    ok |= {"$"} if ctx.top in (INLINE, DISPLAY) or (not ctx.math and ctx.room) else set()
    ok |= {"&"} if ctx.top in ALIGNED else set()
    ok |= {"^", "_"} if ctx.math else set()
    ok |= set() if no_newline else {"\n"}
    return interned(anything_but(SPECIALS - ok))


def _step(stack, lex: str, char: str):
    """The state after ``char`` outside names and comments."""
    top = stack[-1] if stack else None
    if char == "\\":
        return stack, (LINE_NAMING if lex == "line" else MID_NAMING, "")
    if char == "%":
        return stack, "comment"
    if char == "{":
        return (*stack, BRACE), "mid"
    if char == "}":
        return stack[:-1], (top[:-1] if top in SCRIPT_GROUPS else "mid")
    if char in "_^" and top not in (KEY, URL):  # elsewhere they come in math only
        scripts = (lex if lex in SCRIPTED else "") + char
        return stack, ("script", "_^" if len(scripts) == 2 else scripts)
    if char == "]" and top == OPTION:
        return stack[:-1], ("arg", KEY)
    if char == "$":
        if top == INLINE:
            return stack[:-1], "mid"
        return stack, ("$$" if top == DISPLAY else "$")
    if char == "\n":
        return stack, "line"
    return stack, (lex if char in " \t" else "mid")


@functools.lru_cache(maxsize=4096)
def _letters(names: frozenset[str], prefix: str) -> CharSet:
    """The characters that extend ``prefix`` towards one of ``names``."""
    n = len(prefix)
    return interned(only({name[n] for name in names if len(name) > n and name.startswith(prefix)}))


@functools.lru_cache(maxsize=None)
def _env_names(facts: Facts, ctx: Context) -> frozenset[str]:
    """The environments that may open here: in math, the inner ones; in a paragraph, those the
    corpus opens in the innermost environment."""
    if not ctx.room:
        return frozenset()
    if ctx.math:
        return frozenset(name for _, name in facts.children if name in INNER_ENVS)
    if not in_paragraph(ctx):
        return frozenset()
    return frozenset(name for parent, name in facts.children if parent == ctx.env and name not in INNER_ENVS
                     and (ctx.fresh or name != "document"))


@functools.lru_cache(maxsize=None)
def _names(facts: Facts, ctx: Context, line_start: bool) -> frozenset[str]:
    """The control words that may come here: those the corpus uses in this mode, less those
    whose place this is not."""
    if ctx.top == SEAM:
        return frozenset({"input"})
    ruled_out = dict.fromkeys(() if ctx.room else facts.braced | ARGUMENTS.keys(), True) | {
        "begin": not _env_names(facts, ctx),
        "end": not (ctx.top is None or is_env(ctx.top)),
        "item": ctx.top not in LISTS,
        "left": not ctx.room,
        "right": ctx.top != DELIMITER,
    }
    names = facts.math_names if ctx.math else facts.text_names
    return frozenset(name for name in names
                     if not ruled_out.get(name, False) and not (name in DIAGRAM_ONLY and ctx.top != DIAGRAM)
                     and (line_start or name not in facts.line_start))


@functools.lru_cache(maxsize=None)
def _symbols(facts: Facts, ctx: Context) -> frozenset[str]:
    """The control symbols that may come here (``\\\\`` in math only between cells)."""
    if ctx.math:
        return facts.symbols - TEXT_SYMBOLS - (set() if ctx.top in ALIGNED else {"\\"})
    return facts.symbols - MATH_SYMBOLS
