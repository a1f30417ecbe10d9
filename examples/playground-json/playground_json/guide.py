"""JSON's grammar as a guide: a pushdown automaton over characters.

It follows RFC 8259, plus the ``NaN``, ``Infinity`` and ``-Infinity`` that Python's json reads.
A state is ``(stack, mode, flag, spaces)``: the containers open (``"{"`` or ``"["``, at most
``MAX_DEPTH``), where the lexer is, a flag, and the spaces since the last token or newline
(tabs and carriage returns count as spaces). Between tokens the flag says the line so far is
blank, where a newline would make the blank line that ends a document: that is allowed only
once the value is whole, and then only that. In a string the flag says it is a key (a colon
follows it).

Two rules keep a sample from running on in whitespace, which is valid JSON but a trap (a model
that writes a space tends to write only more, and its sample never ends): after the value only
the blank line may come, and a run of spaces is at most two per open container, plus two (the
corpus, indented by two, never passes two per container).
"""

from __future__ import annotations

from functools import lru_cache

from playground import NOTHING, CharSet, anything_but, only

MAX_DEPTH = 32  # the corpus nests 5 deep; beyond this no container opens

# Between tokens, the mode says what comes next:
VALUE = "VALUE"  # a value
ITEM = "ITEM"  # a value or "]" (after "[")
KEY = "KEY"  # a key (after "," in an object)
MEMBER = "MEMBER"  # a key or "}" (after "{")
COLON = "COLON"
NEXT = "NEXT"  # "," or the innermost container's closer
DONE = "DONE"  # the document is whole: only the newlines that end it
BETWEEN = {VALUE: "", ITEM: "]", KEY: '"', MEMBER: '"}', COLON: ":", NEXT: ",", DONE: ""}

STRING, ESCAPE = "STRING", "ESCAPE"
HEX = {"U4": "U3", "U3": "U2", "U2": "U1", "U1": STRING}  # \u's digits still to come -> the next
# A number's modes, each with where its characters lead; those in ENDS may also end it.
DIGITS, NONZERO = "0123456789", "123456789"
NUMBER = {
    "MINUS": {**dict.fromkeys(NONZERO, "INT"), "0": "ZERO", "I": "nfinity"},
    "ZERO": {".": "POINT", "e": "E", "E": "E"},
    "INT": {**dict.fromkeys(DIGITS, "INT"), ".": "POINT", "e": "E", "E": "E"},
    "POINT": dict.fromkeys(DIGITS, "FRACTION"),
    "FRACTION": {**dict.fromkeys(DIGITS, "FRACTION"), "e": "E", "E": "E"},
    "E": {**dict.fromkeys(DIGITS, "EXPONENT"), "+": "SIGN", "-": "SIGN"},
    "SIGN": dict.fromkeys(DIGITS, "EXPONENT"),
    "EXPONENT": dict.fromkeys(DIGITS, "EXPONENT"),
}
ENDS = {"ZERO", "INT", "FRACTION", "EXPONENT"}
# In a literal the mode is the rest of its letters (lower case, or "N": no other mode's name).
LITERALS = {"t": "rue", "f": "alse", "n": "ull", "N": "aN", "I": "nfinity"}

OPENERS = "{["
SCALAR_STARTS = '"-' + DIGITS + "".join(LITERALS)
IN_STRING = anything_but(map(chr, range(0x20)))  # no raw control characters
ESCAPES = only('"\\/bfnrtu')
HEX_DIGITS = only(DIGITS + "abcdefABCDEF")
NEWLINE = only("\n")


def _after_value(stack: tuple[str, ...]) -> tuple:
    return stack, NEXT if stack else DONE, False, 0


@lru_cache(maxsize=None)
def _allowed(mode: str, top: str, flag: bool, spaced: bool, full: bool) -> CharSet:
    """What may follow in ``mode`` with ``top`` the innermost container ("" for none), after
    as many spaces as may come (``spaced``), at ``MAX_DEPTH`` (``full``)."""
    if mode == DONE:
        return NEWLINE
    if mode in BETWEEN:
        chars = BETWEEN[mode] + ("" if spaced else " \t\r") + ("" if flag else "\n")
        if mode in (VALUE, ITEM):
            chars += SCALAR_STARTS + ("" if full else OPENERS)
        elif mode == NEXT:
            chars += "}" if top == "{" else "]"
        return only(chars)
    if mode in NUMBER:
        after = _allowed(NEXT if top else DONE, top, False, False, full) if mode in ENDS else NOTHING
        return only(NUMBER[mode]) | after
    if mode == STRING:
        return IN_STRING
    if mode == ESCAPE:
        return ESCAPES
    if mode in HEX:
        return HEX_DIGITS
    return only(mode[0])  # a literal's next letter


def _between(state: tuple, char: str) -> tuple:
    stack, mode, blank, spaces = state
    if char in " \t\r":
        return stack, mode, blank and char != "\r", spaces + 1
    if char == "\n":
        return stack, mode, True, 0
    if char in OPENERS:
        return stack + (char,), MEMBER if char == "{" else ITEM, False, 0
    if char in "}]":
        return _after_value(stack[:-1])
    if char == '"':
        return stack, STRING, mode in (KEY, MEMBER), 0
    if char == ":":
        return stack, VALUE, False, 0
    if char == ",":
        return stack, KEY if stack[-1] == "{" else VALUE, False, 0
    if char == "-":
        return stack, "MINUS", False, 0
    if char in DIGITS:
        return stack, "ZERO" if char == "0" else "INT", False, 0
    return stack, LITERALS[char], False, 0


def _string(state: tuple, char: str) -> tuple:
    stack, _, key, _ = state
    if char == '"':
        return (stack, COLON, False, 0) if key else _after_value(stack)
    return (stack, ESCAPE, key, 0) if char == "\\" else state


def _escape(state: tuple, char: str) -> tuple:
    stack, _, key, _ = state
    return stack, "U4" if char == "u" else STRING, key, 0


def _hex(state: tuple, char: str) -> tuple:
    stack, mode, key, _ = state
    return stack, HEX[mode], key, 0


def _number(state: tuple, char: str) -> tuple:
    stack, mode, _, _ = state
    follows = NUMBER[mode].get(char)
    if follows is None:  # the number ended: the character is the next token's
        return _between(_after_value(stack), char)
    return stack, follows, False, 0


def _literal(state: tuple, char: str) -> tuple:
    stack, rest, _, _ = state
    return (stack, rest[1:], False, 0) if len(rest) > 1 else _after_value(stack)


STEPS = {**dict.fromkeys(BETWEEN, _between), STRING: _string, ESCAPE: _escape,
         **dict.fromkeys(HEX, _hex), **dict.fromkeys(NUMBER, _number)}


class JsonGuide:
    """A guide for one JSON document (see the module's docstring for its states)."""

    def start(self) -> tuple:
        return (), VALUE, True, 0

    def allowed(self, state: tuple) -> CharSet:
        stack, mode, flag, spaces = state
        depth = len(stack)
        return _allowed(mode, stack[-1] if stack else "", flag, spaces >= 2 * depth + 2, depth >= MAX_DEPTH)

    def advance(self, state: tuple, char: str) -> tuple:
        return STEPS.get(state[1], _literal)(state, char)
