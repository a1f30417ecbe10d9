"""Score Wikipedia samples by checking that their wikitext markup opens and closes.

Extraction. A sample that holds MediaWiki dump elements (``<page>``, ``<title>``,
``<text ...>``, ``</text>``, ...) is in XML mode: only the contents of ``<text>`` elements
are checked, including a leading fragment that ends at ``</text>`` and a trailing
``<text ...>`` left open; the XML around them is ignored. A sample with no dump element is
one piece of wikitext. Each piece is XML-unescaped once (``&lt;`` ``&gt;`` ``&amp;``
``&quot;`` ``&apos;``), except bare wikitext that holds a raw ``<`` (escaped text never
does), which is checked as it is. A sample with no wikitext content (blank, only XML
metadata, an empty ``<text>``, only comments) is invalid ("empty").

Checks. Comments and ``<nowiki>``, ``<math>``, ``<pre>`` (and ``<source>``,
``<syntaxhighlight>``, ``<timeline>``) must close and their content is opaque. ``[[ ]]``,
``{{ }}`` (``{{{ }}}`` parameters by MediaWiki's brace-run rule), tables ``{| |}`` (at a
line's start) and ``<ref> </ref>`` nest like a stack; a ref inside a ref is an error. A closer
whose opener is deeper in the stack leaves what was opened after it unclosed: that is crossed
nesting if a closer for it comes later (``[[a {{b]] }}``), else it is just left open.
``''`` and ``'''`` follow MediaWiki's rules per line and must both be closed at its end.
The HTML tags in PAIRED must close (leniently: a closing tag closes the last open tag of its
name); void tags, tags whose end is optional (li, p, td, tr, th, dt, dd, ...) and unknown
names (MediaWiki shows those as text) are not counted.

Value: matched / (matched + unmatched) constructs. Category and detail: an unclosed comment
or opaque tag (it swallows the rest, so it is the likely cause of what else is open), else
the first problem in document order; lines are counted in the sample itself.
"""

from __future__ import annotations

import re

from playground import Score, per_sample

DUMP_TAG = re.compile(
    r"<(/?)(mediawiki|siteinfo|sitename|base|generator|case|namespaces?|page|title|id|revision"
    r"|timestamp|contributor|username|ip|minor|comment|text|restrictions|redirect)\b[^<>]*?(/?)>"
)
ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
ENTITY = re.compile(r"&(lt|gt|amp|quot|apos);")

OPAQUE = ("nowiki", "math", "pre", "source", "syntaxhighlight", "timeline")
PAIRED = frozenset(
    "abbr b bdi bdo big blockquote center cite code del dfn div dl em font gallery h1 h2 h3 h4"
    " h5 h6 i includeonly ins kbd mark noinclude ol onlyinclude poem q references ruby s samp"
    " small span strike strong sub sup table tt u ul var".split()
)

# Each alternative is one named group, so ``lastgroup`` names the token's kind.
TOKEN = re.compile(
    r"""
      (?P<comment> <!-- [\s\S]*? (?: (?P<comment_end>-->) | \Z ) )
    | (?P<opaque> <(?P<opaque_name>""" + "|".join(OPAQUE) + r""")\b[^<>]*(?<!/)>
                  [\s\S]*? (?: (?P<opaque_end></(?P=opaque_name)\s*>) | \Z ) )
    | (?P<tag> <(?P<slash>/?)(?P<name>[a-z][a-z0-9]*)\b[^<>]*?(?P<self_closing>/?)> )
    | (?P<table_open> ^[ \t:]*\{\| )
    | (?P<table_close> ^[ \t:]*\|\}(?!\}) )
    | (?P<braces_open> \{\{+ )
    | (?P<braces_close> \}\}+ )
    | (?P<link_open> \[\[ )
    | (?P<link_close> \]\] )
    | (?P<quotes> ''+ )
    """,
    re.I | re.M | re.X,
)

UNBALANCED = {"[[": "unbalanced-link", "{{": "unbalanced-template", "{|": "unbalanced-table", "ref": "unbalanced-ref"}
CLOSER = {"[[": "]]", "{{": "}}", "{|": "|}", "ref": "</ref>"}
OPENER = {"[[": "[[", "{{": "{{", "{|": "{|", "ref": "<ref>"}


def unescape(text: str) -> str:
    return ENTITY.sub(lambda m: ENTITIES[m.group(1)], text)


def wikitext_pieces(sample: str) -> tuple[bool, list[tuple[int, str]]]:
    """(XML mode, [(offset in the sample, wikitext)]) for the wikitext a sample holds."""
    pieces: list[tuple[int, str]] = []
    start, inside, first = 0, False, True
    for m in DUMP_TAG.finditer(sample):
        closing, is_text = m.group(1) == "/", m.group(2) == "text"
        if is_text and closing:
            if inside or first:
                pieces.append((start, unescape(sample[start : m.start()])))
            inside = False
        elif is_text and not inside and not m.group(3):
            start, inside = m.end(), True
        first = False
    if first:  # bare wikitext
        return False, [(0, sample if "<" in sample else unescape(sample))]
    if inside:
        pieces.append((start, unescape(sample[start:])))
    return True, pieces


def constructs(frame: list) -> int:
    """How many constructs an open stack frame stands for: a run of n braces is n // 2."""
    return frame[3] // 2 if frame[0] == "{{" else 1


def apostrophes(runs: list[int]) -> tuple[int, int]:
    """(italic toggles, bold toggles) on one line, by MediaWiki's doQuotes: 4 is ' + bold,
    5 or more is extra apostrophes + both; when both counts are odd, one bold is read as
    ' + italic."""
    italic = sum(n == 2 or n >= 5 for n in runs)
    bold3 = sum(n in (3, 4) for n in runs)
    bold = bold3 + sum(n >= 5 for n in runs)
    if italic % 2 and bold % 2 and bold3:
        italic, bold = italic + 1, bold - 1
    return italic, bold


class Check:
    """One pass over a piece of wikitext: counts matched and unmatched constructs and
    collects problems as (position, line, category, message)."""

    def __init__(self, text: str):
        self.matched = self.unmatched = 0
        self.problems: list[tuple[int, int, str, str]] = []
        self.swallowed: tuple[int, int, str, str] | None = None
        self.stack: list[list] = []  # [kind, position, line, braces left | nested refs]
        self.open: dict[str, list[int]] = {}  # kind -> where in the stack its open frames are
        self.crossed: dict[str, list[tuple[list, tuple[int, int, str]]]] = {}  # kind -> (frame, where crossed)
        self.tags: dict[str, list[tuple[int, int]]] = {}
        self.runs: list[int] = []  # apostrophe runs on the current logical line
        self.quote_line, self.quote_at = 0, (0, 0)
        self.run(text)

    def problem(self, pos: int, line: int, category: str, message: str) -> None:
        self.problems.append((pos, line, category, message))

    def run(self, text: str) -> None:
        line, last, hidden = 1, 0, 0  # hidden: newlines inside comments and opaque tags
        for m in TOKEN.finditer(text):
            pos = m.start()
            line += text.count("\n", last, pos)
            last = pos
            kind = m.lastgroup
            if kind == "quotes":
                if line - hidden != self.quote_line:
                    self.flush_quotes()
                    self.quote_line, self.quote_at = line - hidden, (pos, line)
                self.runs.append(len(m.group()))
            elif kind == "comment" or kind == "opaque":
                hidden += m.group().count("\n")
                if m.group("comment_end") or m.group("opaque_end"):
                    self.matched += 1
                else:
                    name = "comment" if kind == "comment" else m.group("opaque_name").lower()
                    category = f"unclosed-{name}" if name in ("comment", "nowiki", "math", "pre") else "unclosed-tag"
                    opener = "<!--" if kind == "comment" else f"<{name}>"
                    self.unmatched += 1
                    self.swallowed = (pos, line, category, f"{opener} opened here is never closed")
            elif kind == "tag":
                self.tag(m.group("name").lower(), bool(m.group("slash")), bool(m.group("self_closing")), pos, line)
            elif kind == "braces_close":
                self.close_braces(len(m.group()), pos, line)
            elif kind == "link_close":
                self.close("[[", pos, line)
            elif kind == "table_close":
                self.close("{|", pos, line)
            else:
                opener = {"braces_open": "{{", "link_open": "[[", "table_open": "{|"}[kind]
                self.push([opener, pos, line, len(m.group()) if opener == "{{" else 0])
        self.flush_quotes()
        for frame in self.stack:
            self.unmatched += constructs(frame)
        crossed = [frame for frames in self.crossed.values() for frame, _ in frames]
        for kind, pos, line, braces in self.stack + crossed:
            opener = "{{{" if kind == "{{" and braces >= 3 else OPENER[kind]
            self.problem(pos, line, UNBALANCED[kind], f"{opener} opened here is never closed")
        for name, opened in self.tags.items():
            for pos, line in opened:
                self.unmatched += 1
                self.problem(pos, line, "unclosed-tag", f"<{name}> opened here is never closed")

    def tag(self, name: str, closing: bool, self_closing: bool, pos: int, line: int) -> None:
        if self_closing:
            return
        if name == "ref":
            if closing:
                self.close("ref", pos, line)
            else:
                self.push(["ref", pos, line, []])
        elif name in PAIRED and not closing:
            self.tags.setdefault(name, []).append((pos, line))
        elif (name in PAIRED or name in OPAQUE) and closing:
            if self.tags.get(name):
                self.tags[name].pop()
                self.matched += 1
            else:
                self.unmatched += 1
                self.problem(pos, line, "unmatched-closing-tag", f"</{name}> closes no <{name}>")

    def push(self, frame: list) -> None:
        self.open.setdefault(frame[0], []).append(len(self.stack))
        self.stack.append(frame)

    def pop(self) -> list:
        frame = self.stack.pop()
        self.open[frame[0]].pop()
        return frame

    def reach(self, kind: str, pos: int, line: int, closer: str) -> bool:
        """Bring the last open ``kind`` to the top of the stack; what was opened after it is
        left unclosed, and crossed if its closer comes later. False when no ``kind`` is open.
        (``open`` finds it at once: a scan down the stack made many closers quadratic.)"""
        if not self.open.get(kind):
            return False
        depth = self.open[kind][-1]
        for frame in self.stack[depth + 1 :]:
            self.unmatched += constructs(frame)
            message = (f"{closer} closes the {OPENER[kind]} of line {self.stack[depth][2]}"
                       f" across the {OPENER[frame[0]]} of line {frame[2]}")
            self.crossed.setdefault(frame[0], []).append((frame, (pos, line, message)))
        while len(self.stack) > depth + 1:
            self.pop()
        return True

    def closes_nothing(self, kind: str, pos: int, line: int, closer: str) -> None:
        """A closer with no opener: crossed nesting if its opener was closed over before."""
        self.unmatched += 1
        if not self.crossed.get(kind):
            self.problem(pos, line, UNBALANCED[kind], f"{closer} closes nothing")
        else:
            _, (where_pos, where_line, message) = self.crossed[kind].pop()
            self.problem(where_pos, where_line, "crossed-nesting", message)

    def close(self, kind: str, pos: int, line: int) -> None:
        if not self.reach(kind, pos, line, CLOSER[kind]):
            self.closes_nothing(kind, pos, line, CLOSER[kind])
            return
        _, _, _, nested = self.pop()
        self.matched += 1
        if kind != "ref":
            return
        if nested:  # the refs closed inside this one do not count as matched
            self.matched -= len(nested)
            self.unmatched += len(nested)
            self.problem(*nested[0], "nested-ref", "<ref> inside another <ref>")
        if self.open.get("ref"):
            self.stack[self.open["ref"][-1]][3].append((pos, line))

    def close_braces(self, count: int, pos: int, line: int) -> None:
        """A run of ``}``: it closes ``{{{`` parameters and ``{{`` templates three or two
        braces at a time, as MediaWiki's preprocessor does; a single brace left is text."""
        while count >= 2:
            if not self.reach("{{", pos, line, "}" * count):
                self.closes_nothing("{{", pos, line, "}" * count)
                return
            frame = self.stack[-1]
            taken = min(frame[3], count, 3)
            frame[3] -= taken
            count -= taken
            self.matched += 1
            if frame[3] < 2:
                self.pop()

    def flush_quotes(self) -> None:
        italic, bold = apostrophes(self.runs)
        self.runs = []
        self.matched += italic // 2 + bold // 2
        self.unmatched += italic % 2 + bold % 2
        pos, line = self.quote_at
        if italic % 2:
            self.problem(pos, line, "unbalanced-italic", "'' (italic) is still open at the end of the line")
        if bold % 2:
            self.problem(pos, line, "unbalanced-bold", "''' (bold) is still open at the end of the line")

    def first_problem(self) -> tuple[int, int, str, str] | None:
        return self.swallowed or min(self.problems, default=None)


CLOSED_COMMENT = re.compile(r"<!--[\s\S]*?-->")  # an unclosed one is checked ("unclosed-comment")


def score_one(sample: str) -> Score:
    if not sample.strip():
        return Score(False, 0.0, "empty", "no wikitext")
    _, pieces = wikitext_pieces(sample)
    if not any(CLOSED_COMMENT.sub("", text).strip() for _, text in pieces):
        return Score(False, 0.0, "empty", "no wikitext in this sample (only XML metadata, comments or blanks)")
    matched = unmatched = 0
    first = None
    for offset, text in pieces:
        check = Check(text)
        matched += check.matched
        unmatched += check.unmatched
        problem = check.first_problem()
        if first is None and problem is not None:
            _, line, category, message = problem
            line += sample.count("\n", 0, offset)  # a line of the sample, not of the piece
            first = category, f"line {line}: {message}"
    if first is None:
        return Score(True, 1.0)
    return Score(False, matched / (matched + unmatched), *first)


score = per_sample(score_one)  # pure Python: no process, no file
