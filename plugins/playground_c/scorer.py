"""Score C samples by parsing them with tree-sitter-c, which opens no file and runs nothing.

A sample is valid when its syntax tree has no ERROR and no MISSING node. Its value is the
fraction of its top-level definitions (see ``split_definitions``) that parse cleanly; the
category and detail describe the first problem. tree-sitter knows no typedefs, so
``foo_t x;`` with an unknown ``foo_t`` is fine, as a C grammar without headers must allow.
"""

from __future__ import annotations

import os
import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

from playground import Score
from playground.sandbox import Limits, run_limited

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
    """All nodes under ``node`` in document order."""
    stack = [node]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


def _first_problem(node):
    if not node.has_error and not node.is_missing:
        return None
    return next((n for n in _nodes(node) if n.is_error or n.is_missing), None)


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


def top_level_units(root) -> list[tuple[int, int, bool]]:
    """(start byte, end byte, parses cleanly) of each top-level unit; comments are skipped
    and the ``;`` after ``struct s {...}`` joins the unit before it."""
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
    clean = sum(ok for _, _, ok in units)
    return Score(False, clean / len(units), _category(problem, root), _detail(problem))


def score(samples: list[str]) -> list[Score]:
    """Parse each sample with tree-sitter-c (fast: no process, no file)."""
    return [score_one(sample) for sample in samples]


# Strict mode: gcc -fsyntax-only, which is only safe once no directive is left (see below).

TRIGRAPHS = {"=": "#", "/": "\\", "'": "^", "(": "[", ")": "]", "!": "|", "<": "{", ">": "}", "-": "~"}
STRICT_TIMEOUT_S = 10.0

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


# gcc's messages for errors of syntax; other errors (undeclared names, unknown types,
# incomplete structs) come from the missing headers and are not counted.
SYNTAX_ERRORS = (
    ("missing-semicolon", r"expected ';'"),
    ("missing-brace", r"expected declaration or statement at end of input|expected '\}'"),
    ("missing-paren", r"expected '\)'|expected '\('"),
    ("missing-bracket", r"expected '\]'"),
    ("stray-token", r"stray "),
    ("unterminated-literal", r"missing terminating|unterminated"),
    ("error-in-expression", r"expected expression"),
    ("error-in-declaration", r"expected identifier or|expected '=', ','|expected declaration specifiers"),
    ("syntax-error", r"expected |invalid suffix|empty character constant"),
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


def blank_directives(text: str) -> str:
    """``text`` with every directive line emptied; line numbers stay the same."""
    blank = directive_lines(text)
    return "".join("\n" if i in blank else line for i, line in enumerate(text.splitlines(keepends=True)))


STRICT_LIMITS = Limits(timeout=STRICT_TIMEOUT_S, cpu=int(STRICT_TIMEOUT_S) + 2, file_size=2**20, memory=2**31)


def strict_one(sample: str) -> Score:
    source = PRELUDE + _builtins(blank_annotations(blank_directives(sample)))
    cmd = ["gcc", "-fsyntax-only", "-fpreprocessed", "-x", "c", "-std=gnu11", "-w", "-"]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"}
    with tempfile.TemporaryDirectory(prefix="playground-c-") as folder:
        outcome = run_limited(cmd, STRICT_LIMITS, Path(folder), env,
                              stdin=source.encode("utf-8"))
    if outcome.timed_out:
        return Score(False, 0.0, "timeout", f"gcc ran past {STRICT_TIMEOUT_S:g} s")
    n = sample.count("\n") + 1
    for line in outcome.stderr.splitlines():
        m = re.match(r"sample\.c:(\d+):(\d+): error: (.*)", line)
        category = m and next((c for c, p in SYNTAX_ERRORS if re.match(p, m.group(3))), None)
        if category:
            row = int(m.group(1))
            value = min(max(row - 1, 0), n) / (n + 1)
            return Score(False, value, category, f"line {row} col {m.group(2)}: {m.group(3)}")
    if outcome.returncode < 0:
        return Score(False, 0.0, "resource-limit", f"gcc killed by signal {-outcome.returncode}")
    return Score(True, 1.0)


def score_strict(samples: list[str]) -> list[Score]:
    """Check each sample with ``gcc -fsyntax-only``, its directives blanked (several at once)."""
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return list(pool.map(strict_one, samples))
