"""The C guide: a lexer, a bracket stack and the class of the last token, which keep a sample
completable as C that tree-sitter-c parses, one top-level unit at a time.

- Lexer: comments, strings and character literals closed (no raw newline in a literal, escapes
  and backslash-newlines followed); preprocessor lines opaque to their end (``\\`` continues
  them), except that `#define`'s parameters are names, and `#if` saves the syntax state so
  that `#else` and `#elif` start their branch from it.
- Brackets: ``()[]{}`` balanced, each `{` taken for a block, a function body, an initializer, a
  struct's or an enum's body, each `(` for an if's, a for's, a cast's or another.
- Tokens: no `)`, `]`, `;`, `,` or `}` after an operator; a block's `}` only after a complete
  statement (``x = 1 }`` is refused); a statement starts with no binary operator; `goto` takes
  a label, `break` a `;`, `if` a `(`; no type word as an operand; no operator in a struct's fields.
- Unit end: a top-level `;` or a function body's `}` ends the unit; then only blanks and comments
  closed on the same line may come before the newline, where sampling stops.

Not a parser: what it cannot see (a missing `;` before a newline, a misspelt word, a declaration
out of place) it allows. A state is (lexer-and-stack state, whitespace run), the first a tuple:
(mode, return mode, stack, previous token, keyword, word, at a line's start, unit done, #if
snapshots, directive name).
"""

from __future__ import annotations

import string
from functools import lru_cache

from playground.guide import ANYTHING, CharSet, anything_but, only

MAX_DEPTH = 32  # open brackets; beyond, no more opens
MAX_IFS = 8  # nested #if; beyond, no more #if
MAX_BLANKS = 80  # whitespace in a row (the corpus has at most 69): a model's loop of blanks ends
WORD_CAP = 10  # letters kept of a word: one more than the longest it looks for (`!continue`)

# modes
(CODE, SLASH, SPLICE, LINE, BLOCK, BLOCK_STAR, STR, STR_ESC, CHR, CHR_ESC, CHR_HEX, CHR_END,
 PP, PP_ESC, PP_SLASH) = range(15)
STATE, RET, STACK, PREV, KW, WORD, BOL, DONE, IFS, NAME = range(10)

IDENT = frozenset(string.ascii_letters + string.digits + "_")
BLANKS = frozenset(" \t\r\f\v")
WHITESPACE = BLANKS | {"\n"}
CODE_CHARS = frozenset(string.printable) - frozenset("`@$#")  # string.printable: ASCII and \t\n\r\f\v
# frames: "(", "k" (an `if`'s, `while`'s or `switch`'s), "F" (a `for`'s: `;` inside), "c" (after
# an operator, `(` or `return`: a cast's, so a `{` after it opens a compound literal), "[", and what a
# `{` opens: a block ("b"), a function body ("f", a block at depth 0), an initializer ("i"), a
# struct or union body ("s"), an enum body ("e")
PARENS = ("(", "k", "F", "c")
BLOCKS = ("b", "f")
# previous-token classes: "start" (a unit's start), "open", "val" (an operand's end), "rparen",
# "cast" (a cast's `)`),
# "op", "eq" (`=`), "plus" and "minus" (one may double), "star" (in `(char *)` too), "comma",
# "dot" and "dot2" (of `...`), "quest", "colon", "semi", "end" (a block's `}`), "ret" (`return`),
# "ctl" (`if`, `while`, `switch`) and "for" (a `(` next), "stmt" (a statement next: after `else`,
# `do`, an `if (...)`), "goto" (and its label's letters), "jump" (`break`, `continue`, a goto's
# label: a `;` next)
KEYWORDS = {"return": "ret", "for": "for", "goto": "goto", "break": "jump", "continue": "jump",
            "if": "ctl", "while": "ctl", "switch": "ctl", "else": "stmt", "do": "stmt"}
OPS = {"op", "eq", "plus", "minus", "quest", "star", "comma", "dot", "dot2"}
# no statement's keyword in an expression (marked "?": a word begun in parentheses, brackets or
# an initializer), nor a type's either as an operand, an if's condition or a returned value
# (marked "!"): a marked keyword must go on (`= structure` is fine, `= struct` is not)
NO_TYPE = OPS - {"star", "comma"} | {"ret"}
EXPRESSIONS = PARENS + ("[", "i", "e")
TYPE_WORDS = ("struct", "union", "enum", "int", "char", "short", "long", "signed", "unsigned", "void",
              "static", "extern", "const", "volatile", "register", "typedef", "inline")
STATEMENT_WORDS = ("if", "else", "while", "do", "for", "switch", "case", "default", "return", "goto",
                   "break", "continue")
MISPLACED = frozenset(["!" + word for word in TYPE_WORDS + STATEMENT_WORDS]
                      + ["?" + word for word in STATEMENT_WORDS])
# a struct's fields: declarations, no operator but `*` (and a bit field's `:`); tree-sitter
# takes statements at top level (`return -1;`), so declarations there are not enforced
FIELDS = IDENT | BLANKS | set("\n\\#/*([,;{}:")
START = (CODE, CODE, (), "start", "", "", True, False, (), "")

# a statement's start: no binary operator, no closer but a block's `}`
STATEMENT = IDENT | BLANKS | set("\n\\#/({};*+-!~")
CTL = only(BLANKS | set("\n/("))
JUMP = only(BLANKS | set("\n/;"))
GOTO = only(IDENT | JUMP.chars)
WORD_GOES_ON = only(IDENT)
LINE_END = only("\n")
DONE_CODE = only(" \t\r\f\v\n/;")  # after a unit: blanks, a comment, the newline (or a `;`)
COMMENT_START = only("*/")
NO_NEWLINE = anything_but("\n")
CHR_FIRST = anything_but("\n'")
CHR_HEX_DIGITS = only("'" + string.hexdigits)  # after `\x1` or `\01`
QUOTE = only("'")
DONE_BLOCK = anything_but("\n")
NO_IF = anything_but("i")  # a directive's first letter when MAX_IFS are open
MACRO_NAME = only(IDENT - set(string.digits) | BLANKS)
# a macro's parameters: names (or `...`, GNU's `args...`) and commas
MACRO_PARAMS = {
    "(": only(IDENT - set(string.digits) | BLANKS | set(".)\\/")),
    "(a": only(IDENT | BLANKS | set(".,)\\/")),
    "(_": only(BLANKS | set(",)\\/")),
}


@lru_cache(maxsize=None)
def _code(prev: str, top: str, bol: bool, full: bool) -> CharSet:
    """What may come in code after a token of class ``prev``, inside ``top`` ("" at top level)."""
    chars = set(CODE_CHARS)
    if bol:
        chars.add("#")
    if full:
        chars -= set("([{")
    if prev in ("goto", "jump", "ctl", "for"):
        return GOTO if prev == "goto" else JUMP if prev == "jump" else CTL
    if top == "s":
        chars &= FIELDS
    if prev in ("start", "stmt") or top in BLOCKS and prev in ("semi", "end", "open"):
        chars &= STATEMENT  # tree-sitter takes a statement for a top-level unit too
    after_op = prev in OPS or prev == "colon"
    if not (top in PARENS and prev in ("val", "rparen", "cast", "open", "star", "semi", "end")):
        chars.discard(")")
    if not (top == "[" and prev in ("val", "rparen", "cast", "open")):
        chars.discard("]")
    if not _closes_brace(top, prev):
        chars.discard("}")
    if after_op and prev != "colon" or top in ("(", "k", "c", "[", "i", "e"):
        chars.discard(";")
    if after_op and prev != "star" or prev in ("open", "semi", "ret"):
        chars.discard(",")
    if after_op and prev not in ("eq", "comma", "colon") or top == "[":
        chars.discard("{")
    if top in PARENS and prev not in ("open", "cast", "comma"):  # `({ })`, `(struct s){ }`, `F(a, {})`
        chars.discard("{")
    if prev in OPS and prev != "quest":
        chars.discard(":")
    return only(chars)


def _closes_brace(top: str, prev: str) -> bool:
    """Whether a `}` may close ``top`` after ``prev``: a block after a whole statement."""
    if top in BLOCKS:
        return prev in ("semi", "end", "open")
    if top == "s":
        return prev in ("semi", "open")
    return top in ("i", "e") and prev in ("val", "rparen", "cast", "open", "comma")


@lru_cache(maxsize=None)
def _slash(prev: str, top: str, full: bool, done: bool) -> CharSet:
    """After a `/`: a comment's second character, or (after an operand) what follows a division."""
    if done or prev not in ("val", "rparen", "cast"):
        return COMMENT_START
    return COMMENT_START | _code("op", top, False, full)


@lru_cache(maxsize=None)
def _directive(name: str, full: bool) -> CharSet:
    """In a directive named ``name`` so far: `#define` takes a name, then maybe parameters."""
    if name == "define ":
        return MACRO_NAME
    if name[7:] in MACRO_PARAMS:
        return MACRO_PARAMS[name[7:]]
    return NO_IF if full and name == "" else ANYTHING


class CGuide:
    """A state: the lexer's and the stack's (see above), and the run of whitespace before it."""

    def start(self):
        return START, 0

    def allowed(self, state) -> CharSet:
        s, run = state
        return _allowed(s) if run < MAX_BLANKS else _no_whitespace(_allowed(s))

    def advance(self, state, ch: str):
        s, run = state
        return _advance(s, ch), min(run + 1, MAX_BLANKS) if ch in WHITESPACE else 0


@lru_cache(maxsize=None)
def _no_whitespace(allowed: CharSet) -> CharSet:
    return allowed - only(WHITESPACE)


def _allowed(s) -> CharSet:
    """What may follow the lexer-and-stack state ``s``."""
    mode = s[STATE]
    if mode == CODE:
        if s[DONE] or s[WORD] in MISPLACED:
            return DONE_CODE if s[DONE] else WORD_GOES_ON
        stack = s[STACK]
        return _code(s[PREV], stack[-1] if stack else "", s[BOL], len(stack) >= MAX_DEPTH)
    if mode == SLASH:
        stack = s[STACK]
        return _slash(s[PREV], stack[-1] if stack else "", len(stack) >= MAX_DEPTH, s[DONE])
    if mode == SPLICE:
        return LINE_END
    if mode == BLOCK or mode == BLOCK_STAR:
        return DONE_BLOCK if s[DONE] else ANYTHING
    if mode == STR or mode == CHR_ESC:
        return NO_NEWLINE
    if mode == CHR:
        return CHR_FIRST
    if mode == CHR_HEX or mode == CHR_END:
        return CHR_HEX_DIGITS if mode == CHR_HEX else QUOTE
    if mode == PP:
        return _directive(s[NAME], len(s[IFS]) >= MAX_IFS)
    return ANYTHING  # comments, escapes


def _advance(s, ch: str):
    """The lexer-and-stack state after ``ch``."""
    mode = s[STATE]
    if mode == CODE:
        return _code_char(s, ch)
    if mode == SLASH:
        if ch == "*":
            return (BLOCK, CODE) + s[2:]
        if ch == "/":
            return (LINE, CODE) + s[2:]
        return _code_char(_token(s, "op"), ch)
    if mode == SPLICE:  # a backslash and a newline join two lines
        return (CODE,) + s[1:]
    if mode == LINE:
        return _newline(s, s[RET]) if ch == "\n" else s
    if mode == BLOCK:
        return (BLOCK_STAR,) + s[1:] if ch == "*" else s
    if mode == BLOCK_STAR:
        if ch == "/":
            return (s[RET], s[RET]) + s[2:]
        return s if ch == "*" else (BLOCK,) + s[1:]
    if mode == STR:
        return (STR_ESC,) + s[1:] if ch == "\\" else _token(s, "val") if ch == '"' else s
    if mode == STR_ESC:
        return (STR,) + s[1:]
    if mode == CHR:
        return (CHR_ESC,) + s[1:] if ch == "\\" else (CHR_END,) + s[1:]
    if mode == CHR_ESC:
        return (CHR_HEX,) + s[1:]
    if mode == CHR_HEX or mode == CHR_END:
        return _token(s, "val") if ch == "'" else s
    return _directive_char(s, ch)


def _token(s, prev: str, stack=None, kw=None, done=False):
    """Back in code after a token of class ``prev``."""
    return (CODE, CODE, s[STACK] if stack is None else stack, prev, s[KW] if kw is None else kw, "",
            False, done, s[IFS], "")


def _code_char(s, ch: str):
    if ch in IDENT:
        word = s[WORD]
        if not word:
            word = _mark(s[PREV], s[STACK][-1] if s[STACK] else "")
        if len(word) < WORD_CAP:
            word += ch
        prev = "goto" if s[PREV] == "goto" else "val"
        return (CODE, CODE, s[STACK], prev, s[KW], word, False, s[DONE], s[IFS], "")
    if s[WORD]:
        s = _word_end(s)
    if ch in BLANKS or ch == "\n":
        if ch == "\n":
            return _newline(s, CODE)
        if s[PREV] in ("plus", "minus"):
            return s[:PREV] + ("op",) + s[KW:]
        return s
    if ch == "/":
        return (SLASH,) + s[1:6] + (False,) + s[7:]
    if ch == '"':
        return (STR, CODE) + s[2:6] + (False,) + s[7:]
    if ch == "'":
        return (CHR, CODE) + s[2:6] + (False,) + s[7:]
    if ch == "#":
        return (PP, CODE) + s[2:6] + (False,) + s[7:]
    if ch == "\\":
        return (SPLICE,) + s[1:]
    return _punct(s, ch)


def _mark(prev: str, top: str) -> str:
    """How a word begun after ``prev`` inside ``top`` is marked: "!" (no keyword), "?" (no
    statement's keyword) or ""."""
    if prev in NO_TYPE or prev == "open" and top == "k":
        return "!"
    return "?" if top in EXPRESSIONS else ""


def _word_end(s):
    """A word ends: `struct`, `union` and `enum` say what a `{` opens; some keywords say what
    comes next."""
    word = s[WORD].lstrip("!?")
    kw = "s" if word in ("struct", "union") else "e" if word == "enum" else s[KW]
    prev = "jump" if s[PREV] == "goto" else KEYWORDS.get(word, s[PREV])
    return s[:PREV] + (prev, kw, "") + s[BOL:]


def _newline(s, mode: int):
    """A line ends: a directive takes effect, and after a unit's end the next unit starts."""
    if mode == PP:
        s = _directive_end(s)
    if s[DONE]:
        return START[:IFS] + (s[IFS], "")
    return (CODE, CODE, s[STACK], s[PREV], s[KW], "", True, False, s[IFS], "")


def _punct(s, ch: str):
    stack, prev = s[STACK], s[PREV]
    top = stack[-1] if stack else ""
    if ch == "(":
        kind = "c" if prev in OPS or prev in ("ret", "open") else {"for": "F", "ctl": "k"}.get(prev, "(")
        return _token(s, "open", stack + (kind,), "")
    if ch == "[":
        return _token(s, "open", stack + ("[",), "")
    if ch == ")":
        return _token(s, {"c": "cast", "k": "stmt", "F": "stmt"}.get(top, "rparen"), stack[:-1], "")
    if ch == "]":
        return _token(s, "val", stack[:-1], "")
    if ch == "{":
        return _token(s, "open", stack + (_brace(top, prev, s[KW], not stack),), "")
    if ch == "}":
        closes = {"b": "end", "f": "end"}.get(top, "val")
        return _token(s, closes, stack[:-1], "", done=top == "f")
    if ch == ";":
        return _token(s, "semi", kw="", done=not stack)
    if ch == "=":  # `==`, `+=`: one operator
        return _token(s, "op" if prev in OPS else "eq")
    if ch == "+" or ch == "-":
        doubled = prev == ("plus" if ch == "+" else "minus")
        return _token(s, "val" if doubled else "plus" if ch == "+" else "minus")
    if ch == ">" and prev == "minus":  # ->
        return _token(s, "op")
    if ch == "*":
        return _token(s, "star")
    if ch == ",":
        return _token(s, "comma")
    if ch == "?":
        return _token(s, "quest")
    if ch == ":":
        return _token(s, "colon")
    if ch == ".":  # a member's `.`, or `...` (a value: `(fmt, ...)`, `case 1 ... 3:`)
        return _token(s, "dot2" if prev == "dot" else "val" if prev == "dot2" else "dot")
    return _token(s, "op")  # ! ~ % ^ & | < >


def _brace(top: str, prev: str, kw: str, outside: bool) -> str:
    """What a `{` opens, from where it stands: in parentheses, a statement expression `({`
    or a compound literal `(struct s){`."""
    if top in PARENS:
        return "b" if prev == "open" else "i"
    if top == "i" or prev in ("eq", "comma", "cast"):
        return "i"
    if prev == "rparen" or prev == "open":
        return "f" if outside else "b"
    if kw:
        return kw
    return "f" if outside else "b"


def _directive_char(s, ch: str):
    mode = s[STATE]
    if mode == PP_ESC:
        return (PP,) + s[1:]
    if mode == PP_SLASH:
        if ch == "*":
            return (BLOCK, PP) + s[2:]
        if ch == "/":
            return (LINE, PP) + s[2:]
        s = (PP,) + s[1:]
    if ch == "\n":
        return _newline(s, PP)
    if ch == "\\":
        return (PP_ESC,) + s[1:]
    if ch == "/":
        return (PP_SLASH,) + s[1:]
    name = s[NAME]
    if name.startswith("define "):
        return s[:NAME] + (_macro(name, ch),)
    if ch.isalpha() and name[-1:] != " " and len(name) < WORD_CAP:
        return s[:NAME] + (name + ch,)
    if name and name[-1] != " ":
        return s[:NAME] + (name + " ",)  # the name is complete
    return s


def _macro(name: str, ch: str) -> str:
    """A `#define`'s stages: "define " before its name, "define N" in it, in its parameters
    "define (" before one, "define (a" in one, "define (_" after one, and "define ." in its
    body (opaque)."""
    stage = name[7:]
    if stage == "":
        return name + "N" if ch in IDENT else name
    if stage == "N" and ch not in IDENT:
        return "define (" if ch == "(" else "define ."
    if stage in MACRO_PARAMS:
        if ch in ",)":
            return "define (" if ch == "," else "define ."
        if ch in BLANKS:
            return "define (_" if stage == "(a" else name
        return "define (a" if stage == "(" else name
    return name


def _directive_end(s):
    """``#if`` saves the syntax state, ``#else`` and ``#elif`` restore it, ``#endif`` drops it."""
    name, ifs = s[NAME].strip(), s[IFS]
    if name in ("if", "ifdef", "ifndef"):
        ifs = ifs + ((s[STACK], s[PREV], s[KW]),)
    elif name in ("else", "elif") and ifs:
        return (CODE, CODE) + ifs[-1] + ("", True, False, ifs, "")
    elif name == "endif" and ifs:
        ifs = ifs[:-1]
    return s[:IFS] + (ifs, "")
