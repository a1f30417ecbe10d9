"""Score C samples by parsing them with tree-sitter-c, which opens no file and runs nothing.

A sample is valid when its syntax tree has no ERROR and no MISSING node. Its value is the
fraction of its top-level definitions (see ``split_definitions``) that parse cleanly (below
1 for an invalid sample); the category and detail describe the first problem. tree-sitter
knows no typedefs, so ``foo_t x;`` with an unknown ``foo_t`` is fine, as a C grammar without
headers must allow.

``score_strict`` asks ``gcc -fsyntax-only`` instead, every directive blanked first. Besides
the syntax categories it says "checker-crashed" (gcc died, ran out of memory or wrote what
no diagnostic looks like), "timeout" (a runaway) and "undetermined" (stopped by the wall
clock before it used its CPU time: a busy machine; playground.scoring asks again).
"""

from __future__ import annotations

import os
import re
import signal
import tempfile
from functools import lru_cache
from pathlib import Path

from playground import Score, per_sample
from playground.sandbox import Limits, Outcome, jail_problem, run_limited

MISSING = {";": "missing-semicolon", "}": "missing-brace", ")": "missing-paren", "]": "missing-bracket"}
PAIRS = (("{", "}", "unbalanced-braces"), ("(", ")", "unbalanced-parens"))
DECLARATION = {
    "declaration", "field_declaration", "field_declaration_list", "parameter_list",
    "parameter_declaration", "init_declarator", "function_declarator", "type_definition",
    "struct_specifier", "union_specifier", "enum_specifier", "enumerator_list", "initializer_list",
}


# The kernel's attribute macros (``static int __init f(void)``), which expand to attributes
# or to nothing: they are blanked (same length, so columns stay) before parsing.
KERNEL_ANNOTATIONS = re.compile(
    r"\b(__init|__initdata|__exit|__exitdata|__cpuinit|__cpuinitdata|__devinit|__devinitdata"
    r"|__devexit|__meminit|__ipc_init|__user|__iomem|__kernel|__force|__kprobes|__sched"
    r"|fastcall|asmlinkage|noinline|__read_mostly|__always_inline|__must_check|__deprecated"
    r"|__nocast|__bitwise|__cold|__weak|__attribute_used__|__maybe_unused|__used)\b"
)


def blank_annotations(text: str) -> str:
    return KERNEL_ANNOTATIONS.sub(lambda m: " " * len(m.group(0)), text)


@lru_cache(maxsize=1)
def _parser():
    import tree_sitter_c
    from tree_sitter import Language, Parser

    return Parser(Language(tree_sitter_c.language()))


def parse(text: str):
    return _parser().parse(blank_annotations(text).encode("utf-8"))


def _nodes(node):
    """All nodes under ``node`` in document order (a tree cursor stays linear in deep trees)."""
    cursor = node.walk()
    while True:
        yield cursor.node
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return


def _first_problem(node):
    """The first ERROR or MISSING node in document order: down through the first child
    whose subtree holds one, so the clean rest of the tree is never visited."""
    while node is not None and not (node.is_error or node.is_missing):
        node = next((child for child in node.children if child.has_error or child.is_missing), None)
    return node


def _category(problem, root) -> str:
    if problem.is_missing:
        return MISSING.get(problem.type, "missing-token")
    leaves = [n.type for n in _nodes(root) if n.child_count == 0]
    for opening, closing, category in PAIRS:
        if leaves.count(opening) != leaves.count(closing):
            return category
    parent = problem.parent
    if parent is None or parent.type == "translation_unit":
        return "error-at-top-level"
    if problem.child_count <= 1 or problem.children[0].is_error:  # one token, or a bad character
        return "stray-token"
    while parent is not None:
        if parent.type in DECLARATION:
            return "error-in-declaration"
        if parent.type.endswith("expression") or parent.type == "argument_list":
            return "error-in-expression"
        if parent.type.endswith("statement"):
            return "error-in-statement"
        parent = parent.parent
    return "syntax-error"


def _detail(problem) -> str:
    row, col = problem.start_point
    if problem.is_missing:
        return f"line {row + 1} col {col + 1}: missing {problem.type!r}"
    snippet = problem.text.decode("utf-8", "replace").split("\n")[0][:40]
    return f"line {row + 1} col {col + 1}: unexpected {snippet!r}"


def top_level_units(root, within_error: bool = False) -> list[tuple[int, int, bool]]:
    """(start byte, end byte, parses cleanly) of each top-level unit; comments are skipped
    and the ``;`` after ``struct s {...}`` joins the unit before it. A root that is itself an
    ERROR (``((((``: no translation unit at all) is one broken unit, unless ``within_error``:
    then its children are the units (a whole corpus, which one bad spot makes an ERROR)."""
    if root.is_error and not within_error:
        return [(root.start_byte, root.end_byte, False)]
    units: list[tuple[int, int, bool]] = []
    for node in root.children:
        if node.type == "comment":
            continue
        clean = _first_problem(node) is None
        if node.type == ";" and units:
            start, _, was_clean = units.pop()
            units.append((start, node.end_byte, was_clean and clean))
        else:
            units.append((node.start_byte, node.end_byte, clean))
    return units


def split_definitions(text: str) -> list[str]:
    """The sample's top-level units: function definitions, declarations, struct and enum
    definitions, preprocessor lines (a ``#if`` block is one unit), as tree-sitter finds them."""
    data = text.encode("utf-8")
    return [data[start:end].decode("utf-8", "replace") for start, end, _ in top_level_units(parse(text).root_node)]


def score_one(sample: str) -> Score:
    root = parse(sample).root_node
    units = top_level_units(root)
    if not units:
        return Score(False, 0.0, "empty", "no C code")
    problem = _first_problem(root)
    if problem is None:
        return Score(True, 1.0)
    clean = min(sum(ok for _, _, ok in units), len(units) - 1)  # below 1.0: it is invalid
    return Score(False, clean / len(units), _category(problem, root), _detail(problem))


score = per_sample(score_one)  # tree-sitter-c: fast, no process, no file


# Strict mode: gcc -fsyntax-only, which is only safe once no directive is left (see below),
# and whose verdict is only trusted when its exit and all of its output are understood
# (see ``verdict``).

TRIGRAPHS = {"=": "#", "/": "\\", "'": "^", "(": "[", ")": "]", "!": "|", "<": "{", ">": "}", "-": "~"}
STRICT_CPU_S = 10  # a runaway gcc is killed by this CPU limit ("timeout")
STRICT_TIMEOUT_S = 60.0  # the wall clock: a gcc it stops first was starved ("undetermined")

# Common kernel types, so that casts and sizeof() on them parse; the sample's own
# #include lines are blanked, so these stand in for the headers.
PRELUDE = """\
typedef unsigned char u8, __u8; typedef unsigned short u16, __u16, __le16, __be16;
typedef unsigned int u32, __u32, __le32, __be32; typedef unsigned long long u64, __u64;
typedef signed char s8, __s8; typedef short s16, __s16; typedef int s32, __s32;
typedef long long s64, __s64; typedef unsigned long size_t, sector_t, dev_t, uintptr_t;
typedef long ssize_t, loff_t, off_t, ptrdiff_t, time_t, clock_t; typedef unsigned gfp_t;
typedef _Bool bool; typedef int pid_t, atomic_t; typedef unsigned int uid_t, gid_t, mode_t;
typedef unsigned short umode_t; typedef unsigned long pgoff_t, cputime_t;
typedef struct { volatile unsigned int lock; } spinlock_t, rwlock_t;
typedef struct { long counter; } atomic_long_t; typedef struct { unsigned long sig[2]; } sigset_t;
typedef __builtin_va_list va_list; typedef struct { long val[2]; } cpumask_t, nodemask_t;
struct list_head { struct list_head *next, *prev; };
struct hlist_head { struct hlist_node *first; };
struct hlist_node { struct hlist_node *next, **pprev; };
enum { false, true };
# 1 "sample.c"
"""

# Standard macros that take a type argument, spelt as the builtins they stand for.
BUILTINS = re.compile(r"\b(va_start|va_arg|va_end|va_copy|offsetof)\b")


def _builtins(text: str) -> str:
    return BUILTINS.sub(r"__builtin_\1", text)


# gcc's messages for errors of syntax and of spelling (a malformed number: headers define
# no numbers); other errors (undeclared names, unknown types, incomplete structs, and the
# type errors of a macro taken for an undeclared function) come from the missing headers
# and are not counted.
SYNTAX_ERRORS = (
    ("bad-number", r"invalid digit|exponent has no digits|too many decimal points|no digits in "
                   r"|hexadecimal floating constants require|invalid suffix|invalid prefix"),
    ("missing-semicolon", r"expected ';'"),
    ("missing-brace", r"expected declaration or statement at end of input|expected '\}'"),
    ("missing-paren", r"expected '\)'|expected '\('"),
    ("missing-bracket", r"expected '\]'"),
    ("stray-token", r"stray "),
    ("unterminated-literal", r"missing terminating|unterminated"),
    ("error-in-expression", r"expected expression"),
    ("error-in-declaration", r"expected identifier or|expected '=', ','|expected declaration specifiers"),
    ("syntax-error", r"expected |empty character constant"),
)


def _spliced(text: str) -> list[tuple[str, int]]:
    """(character, physical line) after trigraph replacement and backslash-newline splicing."""
    out: list[tuple[str, int]] = []
    i, line = 0, 0
    while i < len(text):
        c, step = text[i], 1
        if text.startswith("??", i) and text[i + 2 : i + 3] in TRIGRAPHS and i + 2 < len(text):
            c, step = TRIGRAPHS[text[i + 2]], 3
        if c == "\\":
            j = i + step
            while j < len(text) and text[j] in " \t\r":
                j += 1
            if j < len(text) and text[j] == "\n":
                i, line = j + 1, line + 1
                continue
        out.append((c, line))
        line += c == "\n"
        i += step
    return out


def _skip_literal(chars, k: int) -> int:
    """Index after the string or character literal at ``k`` (or at its line's end)."""
    quote, k = chars[k][0], k + 1
    while k < len(chars) and chars[k][0] not in (quote, "\n"):
        k += 2 if chars[k][0] == "\\" else 1
    return k + 1 if k < len(chars) and chars[k][0] == quote else k


def _skip_comment(chars, k: int) -> int:
    """Index after the comment at ``k`` (a // comment stops before its newline)."""
    if chars[k + 1][0] == "/":
        while k < len(chars) and chars[k][0] != "\n":
            k += 1
        return k
    k += 2
    while k < len(chars) and not (chars[k][0] == "*" and k + 1 < len(chars) and chars[k + 1][0] == "/"):
        k += 1
    return k + 2


def _is_comment(chars, k: int) -> bool:
    return chars[k][0] == "/" and k + 1 < len(chars) and chars[k + 1][0] in "/*"


def directive_lines(text: str) -> set[int]:
    """The physical lines (from 0) of every preprocessor directive, however it is spelt:
    ``#``, ``%:`` or ``??=``, after comments, and across backslash-newlines."""
    chars, lines, k, first = _spliced(text), set(), 0, 0
    while k < len(chars):  # one logical line, from physical line ``first``
        while k < len(chars) and (chars[k][0] in " \t\r\f\v" or (_is_comment(chars, k) and chars[k + 1][0] == "*")):
            k = _skip_comment(chars, k) if chars[k][0] == "/" else k + 1
        directive = k < len(chars) and (
            chars[k][0] == "#" or (chars[k][0] == "%" and k + 1 < len(chars) and chars[k + 1][0] == ":")
        )
        while k < len(chars) and chars[k][0] != "\n":  # to the end of the logical line
            if chars[k][0] in "\"'":
                k = _skip_literal(chars, k)
            elif _is_comment(chars, k):
                k = _skip_comment(chars, k)
            else:
                k += 1
        last = chars[min(k, len(chars) - 1)][1]
        if directive:
            lines.update(range(first, last + 1))
        first, k = last + 1, k + 1
    return lines


# gcc ends a line at "\n", "\r\n" or a lone "\r", and nowhere else (not at \f, \v, \x85 or
# U+2028, where str.splitlines() does): the sample's line ends become "\n" first, and then
# its lines are split at "\n" alone, by the finder and the blanker as by gcc.
LINE_END = re.compile(r"\r\n?")
# With -fpreprocessed gcc still obeys #pragma (``GCC dependency`` opens a file) and line
# markers (``# 1 "other.c"``), from a line's first column. So a line that starts, after any
# blanks, with a spelling of ``#`` is blanked too, whatever the finder made of its context.
HASH_FIRST = re.compile(r"[\s\0\ufeff]*(?:#|%:|\?\?=)")


def gcc_lines(text: str) -> list[str]:
    """``text``'s lines as gcc reads them."""
    return LINE_END.sub("\n", text).split("\n")


def blank_directives(text: str) -> str:
    """``text`` split by ``gcc_lines`` and joined with LF, every directive line emptied: those
    that ``directive_lines`` finds, and any that starts with a ``#``. Line numbers stay the same."""
    lines = gcc_lines(text)
    blank = directive_lines("\n".join(lines))
    return "\n".join("" if i in blank or HASH_FIRST.match(line) else line for i, line in enumerate(lines))


STRICT_LIMITS = Limits(timeout=STRICT_TIMEOUT_S, cpu=STRICT_CPU_S, file_size=2**20, memory=2**31)
STRICT_CMD = ("gcc", "-fsyntax-only", "-fpreprocessed", "-x", "c", "-std=gnu11", "-w",
              "-fdiagnostics-plain-output", "-")

# What gcc writes on stderr: diagnostics ("sample.c:3:5: error: ...", the column may be
# missing) and the lines that give their context; anything else means it did not finish.
DIAGNOSTIC = re.compile(r"(?P<file>[^:]+):(?P<row>\d+):(?:(?P<col>\d+):)? "
                        r"(?P<kind>fatal error|error|warning|note): (?P<message>.*)")
CONTEXT = re.compile(r"sample\.c: (?:In function '.*'|At top level):")


def strict_one(sample: str) -> Score:
    if not top_level_units(parse(sample).root_node):
        return Score(False, 0.0, "empty", "no C code")
    source = PRELUDE + _builtins(blank_annotations(blank_directives(sample)))
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"}
    with tempfile.TemporaryDirectory(prefix="playground-c-") as folder:
        # jailed too where bubblewrap works: the blanking is the first defence, the jail the second
        jail = () if jail_problem() is None else None
        outcome = run_limited(STRICT_CMD, STRICT_LIMITS, Path(folder), env, stdin=source.encode("utf-8"), read_only=jail)
    return verdict(outcome, len(gcc_lines(sample)))


def verdict(outcome: Outcome, n: int) -> Score:
    """gcc's outcome on a sample of ``n`` lines. Valid: a clean exit with nothing on stderr,
    or exit status 1 with errors that are all at sample.c and none of syntax (they come from
    the missing headers). A crash, a runaway, or output that is neither is never valid; a
    gcc stopped by the wall clock before it used its CPU time (a busy machine) is undetermined."""
    if outcome.starved:
        return Score(False, 0.0, "undetermined", f"gcc was stopped at {STRICT_TIMEOUT_S:g} s, short of its CPU time")
    if outcome.timed_out or outcome.returncode == -signal.SIGXCPU or "CPU time limit exceeded" in outcome.stderr:
        return Score(False, 0.0, "timeout", f"gcc ran past its {STRICT_CPU_S} s of CPU")
    if outcome.returncode == 0 and not outcome.stderr:
        return Score(True, 1.0)
    lines = [line for line in outcome.stderr.split("\n") if line]
    found = [DIAGNOSTIC.fullmatch(line) for line in lines]
    errors = [m for m in found if m and m["kind"] in ("error", "fatal error")]
    strange = next((line for line, m in zip(lines, found) if m is None and not CONTEXT.fullmatch(line)), None)
    if outcome.returncode != 1 or strange is not None or not errors:
        code = outcome.returncode
        status = f"gcc was killed by signal {-code}" if code < 0 else f"gcc exited with status {code}"
        return Score(False, 0.0, "checker-crashed", f"{status}: {strange or 'no error reported'}"[:200])
    for m in errors:
        category = next((c for c, p in SYNTAX_ERRORS if re.match(p, m["message"])), None)
        if category is None and (m["file"] != "sample.c" or m["kind"] == "fatal error"):
            category = "syntax-error"  # not what the missing headers cause
        if category:
            row = int(m["row"]) if m["file"] == "sample.c" else 1
            where = f"line {row} col {m['col']}" if m["col"] else f"line {row}"
            return Score(False, min(max(row - 1, 0), n) / (n + 1), category, f"{where}: {m['message']}")
    return Score(True, 1.0)


score_strict = per_sample(strict_one, parallel=True)  # gcc -fsyntax-only, directives blanked
