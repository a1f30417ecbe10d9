"""The Wikipedia guide: a paragraph (what a blank line ends) or a page's wikitext (what
``</text>`` ends) may end only once what it opened is closed; no closer may close what is not
open on top; and the paragraph ends within a sample's length.

Layers, outermost first:

- The length budget (its section below): when what is open could only just be closed within
  BUDGET characters, only the characters that close it all and end the paragraph may come.
- XML. A sample starts inside wikitext (a page's ``<text>`` or bare wikitext: the checker reads
  both alike here). A raw ``<`` only starts ``</text>``, once the wikitext is closed and holds
  some text; anything may follow, until a ``<text ...>`` opens the next page's wikitext.
- Entities. The wikitext is XML-escaped and the checker unescapes it once: ``&lt; &gt; &amp;
  &quot; &apos;`` stand for their character, which the wikitext layer reads at the ``;``. Real
  text has no other ``&``, so none may come.
- Wikitext, one decoded character at a time, as the checker reads it: a stack of ``[[``, ``{{``
  (a frame holds its run of braces: ``{{{`` is 3, closed by MediaWiki's brace-run rule), ``{|``
  at a line's start and ``<ref>`` (never inside another); the paired HTML tags open; comments
  and opaque tags (``<nowiki>``, ``<math>``, ...) read to their end; the ``''``/``'''`` toggles
  of the line, balanced at each line end.
- And what real text never does though the checker would let it pass: typos after which a
  sample rarely closes what it opened. No lone ``{`` or ``}``; in a link that is no ``File:``,
  ``Image:`` or ``Media:``, no newline, ``[``, ``]`` (but ``]]``) or ``<ref>``; tags on one
  line, with no ``<`` and at most ATTRIBUTES characters; the tags the checker counts with
  ``name="value"`` attributes only, none when closing. (The validation split breaks none of
  these; the whole corpus, a handful of paragraphs.)

Every state is bounded: DEPTH frames, TAGS open tags, names of NAME letters, runs of RUN braces.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from playground import ANYTHING, CharSet, anything_but, only
from playground_wikipedia.scorer import OPAQUE, PAIRED

DEPTH = 16  # [[ {{ {| <ref> open at once, at most
TAGS = 8  # paired HTML tags open at once, at most
NAME = 20  # a longer tag name is none the guide knows
RUN = 8  # the longest run of { that opens one frame
ATTRIBUTES = 200  # characters of a tag's attributes, at most (the corpus's longest: 124)

# Stack frames: a {{ frame is its count of braces (an int); a [[ frame is LINK, MEDIA (File:,
# Image:, Media:: their captions may hold links and lines) or, until its kind shows, "?" and
# the start of its target.
LINK, MEDIA, TABLE, REF = "[", "M", "|", "r"
MEDIA_PREFIXES = ("file:", "image:", "media:")
BLANK, PREFIX, MID = 0, 1, 2  # the line so far: spaces and tabs; also colons (a table may open); more
ITALIC, BOLD, BOLD3 = 1, 2, 4  # the line's quote state: odd '' toggles, odd ''' toggles, a ''' or '''' seen
ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
NAME_CHARS = ASCII_LETTERS | frozenset("0123456789")


class Wiki(NamedTuple):
    """The wikitext layer's state (see the module's docstring)."""

    stack: tuple = ()
    tags: tuple = ()  # names of the paired HTML tags open, in order
    quotes: int = 0  # ITALIC | BOLD | BOLD3
    line: int = BLANK
    # a token begun: ("[",) ("]",) ("|",) ("{", n, at a line's start) ("}", n, after a "|" there) ("'", n)
    pend: tuple | None = None
    # after "<": ("<",) ("!", dashes) ("/",) ("n", closing, name) ("a", closing, name, where, length); or
    # inside a comment ("c", dashes) or an opaque tag ("o", name, characters of its closer matched)
    sub: tuple | None = None
    content: bool = False  # the sample has text outside comments (one of only comments is empty)


START = Wiki()  # a sample's start: a blank line came before it
PIECE = Wiki(line=PREFIX, content=True)  # after </text> ... <text ...>: a line's start, not a blank one


def quotes_after(quotes: int, run: int) -> int:
    """The line's quote state after a run of ``run`` apostrophes (MediaWiki's doQuotes)."""
    if run == 2:
        return quotes ^ ITALIC
    if run < 5:
        return (quotes ^ BOLD) | BOLD3
    return quotes ^ ITALIC ^ BOLD


def quotes_closed(quotes: int) -> bool:
    """Both closed, or both odd with a ''' that the checker then reads as ' + ''."""
    odd = quotes & (ITALIC | BOLD)
    return odd == 0 or (odd == ITALIC | BOLD and bool(quotes & BOLD3))


def link_kind(frame: str, ch: str) -> str:
    """A [[ frame whose kind is not known yet, after ``ch`` of its target."""
    if frame == "?" and ch in " :":
        return frame
    target = frame[1:] + ch.lower()
    if target in MEDIA_PREFIXES:
        return MEDIA
    return "?" + target if any(prefix.startswith(target) for prefix in MEDIA_PREFIXES) else LINK


def is_link(frame) -> bool:
    return frame.__class__ is str and frame[0] in "[M?"


def is_plain_link(frame) -> bool:
    return frame.__class__ is str and frame[0] in "[?"


def in_plain_link(w: Wiki) -> bool:
    """Whether a [[ that is no File: is open: it takes no newline, [[ or <ref> (real ones never do)."""
    return any(is_plain_link(frame) for frame in w.stack)


def close_braces(stack: tuple, count: int) -> tuple | None:
    """The stack after a run of ``count`` closing braces (None where it closes what is not a
    template on top): three or two at a time, as MediaWiki's preprocessor; one left is text."""
    while count >= 2:
        if not stack or not isinstance(stack[-1], int):
            return None
        taken = min(stack[-1], count, 3)
        count -= taken
        left = stack[-1] - taken
        stack = stack[:-1] + ((left,) if left >= 2 else ())
    return stack


# -- the wikitext layer: step ------------------------------------------------------------------


def step(w: Wiki, ch: str) -> Wiki:
    """The state after the decoded character ``ch`` (one that ``forbidden`` allows)."""
    if w.sub is not None:
        return SUB_STEPS[w.sub[0]](w, ch)
    if w.stack and w.stack[-1].__class__ is str and w.stack[-1][0] == "?":
        w = w._replace(stack=w.stack[:-1] + (link_kind(w.stack[-1], ch),))
    if w.pend is not None:
        grown = extend(w, ch)
        if grown is not None:
            return grown
        w = settle(w)
    return plain(w, ch)


def plain(w: Wiki, ch: str) -> Wiki:
    """``ch`` with nothing pending."""
    if ch in PENDS:
        pend = ("{", 1, w.line != MID) if ch == "{" else PENDS[ch]
        if ch != "|" or w.line != MID:
            return w._replace(pend=pend, line=MID, content=True)
    elif ch == "<":
        return w._replace(sub=("<",), line=MID)
    elif ch == "\n":
        return w._replace(quotes=0, line=BLANK)
    elif ch == " " or ch == "\t":
        return w
    elif ch == ":" and w.line != MID:
        return w._replace(line=PREFIX, content=True)
    if w.line == MID and w.content:
        return w
    return w._replace(line=MID, content=w.content or not ch.isspace())


PENDS = {"[": ("[",), "]": ("]",), "}": ("}", 1, False), "|": ("|",), "'": ("'", 1), "{": None}


def extend(w: Wiki, ch: str) -> Wiki | None:
    """``w`` with ``ch`` added to its pending token, or None where ``ch`` ends it."""
    kind = w.pend[0]
    if kind == ch == "[":
        return w._replace(stack=w.stack + ("?",), pend=None)
    if kind == ch == "]":
        return w._replace(stack=w.stack[:-1], pend=None)
    if kind == ch == "'":
        return w._replace(pend=("'", min(w.pend[1] + 1, 5)))  # 5 or more read alike
    if kind == ch == "{" or kind == ch == "}":
        return w._replace(pend=(kind, w.pend[1] + 1, w.pend[2]))
    if kind == "{" and ch == "|" and w.pend[1:] == (1, True):
        return w._replace(stack=w.stack + (TABLE,), pend=None)
    if kind == "|" and ch == "}":
        return w._replace(pend=("}", 1, True))
    return None


def settle(w: Wiki) -> Wiki | None:
    """``w`` with its pending token ended (None where that closes what is not open on top)."""
    kind = w.pend[0]
    if kind == "{" and w.pend[1] >= 2:
        return w._replace(stack=w.stack + (w.pend[1],), pend=None)
    if kind == "}":
        _, count, after_bar = w.pend
        if after_bar and count == 1:  # |} at a line's start
            return w._replace(stack=w.stack[:-1], pend=None) if w.stack[-1:] == (TABLE,) else None
        stack = close_braces(w.stack, count)
        return None if stack is None else w._replace(stack=stack, pend=None)
    if kind == "'" and w.pend[1] >= 2:
        return w._replace(quotes=quotes_after(w.quotes, w.pend[1]), pend=None)
    return w._replace(pend=None)


def after_lt(w: Wiki, ch: str) -> Wiki:
    if ch == "!":
        return w._replace(sub=("!", 1))
    if ch == "/":
        return w._replace(sub=("/",))
    return after_slash(w, ch)


def after_slash(w: Wiki, ch: str) -> Wiki:
    if ch in ASCII_LETTERS:
        return w._replace(sub=("n", w.sub == ("/",), ch.lower()), content=True)
    return text_after_all(w, ch)


def after_bang(w: Wiki, ch: str) -> Wiki:
    if ch != "-":
        return text_after_all(w, ch)
    return w._replace(sub=("c", 0) if w.sub[1] == 2 else ("!", 2))


def text_after_all(w: Wiki, ch: str) -> Wiki:
    """What began as a tag is text after all: ``ch`` read anew."""
    return step(w._replace(sub=None, content=True), ch)


def in_name(w: Wiki, ch: str) -> Wiki:
    _, slash, name = w.sub
    if ch in NAME_CHARS:
        return w._replace(sub=("n", slash, (name + ch.lower()) if len(name) < NAME else "?"))
    if ch.isalnum() or ch == "_":  # no word boundary after the name: no tag
        return text_after_all(w, ch)
    first = (CLOSING if slash else GAP) if name in COUNTED else FREE
    return in_attributes(w._replace(sub=("a", slash, name, first, 0)), ch)


def in_attributes(w: Wiki, ch: str) -> Wiki:
    _, slash, name, at, length = w.sub
    if ch == ">":
        return finish_tag(w, slash, name, at in (SLASH, FREE_SLASH))
    return w._replace(sub=("a", slash, name, attribute_step(at, ch), length + 1))


def finish_tag(w: Wiki, slash: bool, name: str, self_closing: bool) -> Wiki:
    w = w._replace(sub=None, line=MID)
    if self_closing:
        return w
    if name == "ref":
        return w._replace(stack=w.stack[:-1] if slash else w.stack + (REF,))
    if name in PAIRED:
        if not slash:
            return w._replace(tags=w.tags + (name,))
        at = len(w.tags) - 1 - w.tags[::-1].index(name)
        return w._replace(tags=w.tags[:at] + w.tags[at + 1:])
    if name in OPAQUE and not slash:
        return w._replace(sub=("o", name, 0))
    return w


def in_comment(w: Wiki, ch: str) -> Wiki:
    dashes = w.sub[1]
    if ch == ">" and dashes == 2:
        return w._replace(sub=None, line=MID)
    w = w._replace(sub=("c", min(dashes + 1, 2) if ch == "-" else 0))
    return line_within(w, ch)


def in_opaque(w: Wiki, ch: str) -> Wiki:
    """Inside ``<name>``, until ``</name`` (any case), spaces, ``>``."""
    _, name, matched = w.sub
    closer = "</" + name
    if matched == len(closer) and ch == ">":
        return w._replace(sub=None, line=MID)
    if matched < len(closer) and ch.lower() == closer[matched]:
        matched += 1
    elif not (matched == len(closer) and ch.isspace()):
        matched = 1 if ch == "<" else 0
    return line_within(w._replace(sub=("o", name, matched)), ch)


def line_within(w: Wiki, ch: str) -> Wiki:
    """Where the line stands after ``ch`` inside a comment or an opaque tag (its newlines do
    not end the line's quotes)."""
    if ch == "\n":
        return w._replace(line=BLANK)
    if ch == " " or ch == "\t" or w.line == MID:
        return w
    return w._replace(line=MID)


SUB_STEPS = {"<": after_lt, "/": after_slash, "!": after_bang, "n": in_name, "a": in_attributes,
             "c": in_comment, "o": in_opaque}


# -- a tag's attributes ------------------------------------------------------------------------
# Those of the tags the checker counts, as real ones are written: ( name(="v"|'v'|v)?)* /? ;
# a closing tag has none. Other tags' attributes are free (``<br/ >``, ``<http://...>``).

GAP, SPACE, ANAME, ANAME_SPACE, EQ, DQ, SQ, UNQUOTED, SLASH, CLOSING, FREE, FREE_SLASH = range(12)
COUNTED = PAIRED | frozenset(OPAQUE) | {"ref"}
ATTRIBUTE_NAME = NAME_CHARS | frozenset("_:.-")


def attribute_step(at: int, ch: str) -> int:
    """Where the attributes stand after ``ch`` (not the ``>`` that ends them)."""
    if at >= FREE:
        return FREE_SLASH if ch == "/" else FREE
    if at == DQ or at == SQ:
        return GAP if ch == ("\"" if at == DQ else "'") else at
    if at == EQ:
        return EQ if ch in " \t" else {"\"": DQ, "'": SQ}.get(ch, UNQUOTED)
    if ch == "/":
        return SLASH
    if ch in " \t":
        return ANAME_SPACE if at in (ANAME, ANAME_SPACE) else SPACE
    if ch == "=":
        return EQ
    return ANAME if at != UNQUOTED else UNQUOTED


@lru_cache(maxsize=None)
def attributes_allowed(at: int, ok: bool, capped: bool) -> CharSet:
    """The decoded characters that may come at ``at`` (``ok``: the tag may end here; ``capped``:
    it has had ATTRIBUTES characters, so it must end)."""
    end = ">" if ok else ""
    if capped:
        return only({DQ: '"', SQ: "'", EQ: '"', SLASH: ">", FREE_SLASH: ">"}.get(at, end or "/"))
    letters = "".join(sorted(ASCII_LETTERS))
    return {
        GAP: only(" \t/" + end),
        SPACE: only(" \t/" + letters + end),
        ANAME: only(ATTRIBUTE_NAME | set(" \t=/" + end)),
        ANAME_SPACE: only(" \t=/" + letters + end),
        EQ: anything_but("\n<>/"),
        DQ: anything_but("\n<>"),
        SQ: anything_but("\n<>"),
        UNQUOTED: anything_but("\n<\"'" + ("" if ok else ">")),
        SLASH: only(">"),
        CLOSING: only(end or "/"),
        FREE: anything_but("\n<"),
        FREE_SLASH: anything_but("\n<"),
    }[at]


@lru_cache(maxsize=None)
def name_allowed(name: str, slash: bool, ok: bool) -> CharSet | str:
    """What may follow ``<name``: more of a name, or what a counted tag's name may end with."""
    if name not in COUNTED:
        return "<"
    ends = ">" if ok else "/" if slash else ""  # a closing tag that may not close closes itself: </b/>
    return only(NAME_CHARS | set(("" if slash else " \t/") + ends))


# -- the wikitext layer: what it rules out -----------------------------------------------------


def tag_ok(w: Wiki, slash: bool, name: str) -> bool:
    """Whether ``<name>`` (``</name>``) may end here."""
    if name == "ref":
        if slash:
            return w.stack[-1:] == (REF,)
        return REF not in w.stack and len(w.stack) < DEPTH and not in_plain_link(w)
    if name in PAIRED:
        return name in w.tags if slash else len(w.tags) < TAGS
    return not (slash and name in OPAQUE)


def closed(w: Wiki) -> bool:
    """Whether the wikitext may end here: nothing open, the line's quotes balanced."""
    if w.sub is not None:
        if w.sub[0] in "nco":  # a tag must end first (real ones do)
            return False
        w = w._replace(sub=None)  # "<", "<!", "</": text
    if w.pend is not None:
        w = settle(w)
    return w is not None and not w.stack and not w.tags and quotes_closed(w.quotes)


def newline_ok(w: Wiki) -> bool:
    """Whether a newline may come (a blank line ends the paragraph: all closed, some text)."""
    sub = w.sub
    if sub is not None:
        kind = sub[0]
        if kind in "na":  # real tags are one line
            return False
        if kind in "co":
            return w.line != BLANK
        w = w._replace(sub=None)  # after "<", "<!" or "</": text
    if w.pend is not None:
        w = settle(w)
        if w is None:
            return False
    if not quotes_closed(w.quotes) or in_plain_link(w):
        return False
    return w.line != BLANK or (w.content and not w.stack and not w.tags)


def forbidden(w: Wiki) -> str | CharSet:
    """The decoded characters, other than the newline, that ``w`` rules out; or, in a state
    where only a few may come, those few (a CharSet)."""
    sub, pend = w.sub, w.pend
    if sub is not None:
        kind = sub[0]
        if kind == "a":
            return attributes_allowed(sub[3], tag_ok(w, sub[1], sub[2]), sub[4] >= ATTRIBUTES)
        if kind == "n":
            return name_allowed(sub[2], sub[1], tag_ok(w, sub[1], sub[2]))
        return "" if kind in "co" else plain_forbidden(w)  # after "<", "<!", "</": text may follow
    if pend is None:
        return plain_forbidden(w)
    kind, top = pend[0], w.stack[-1] if w.stack else None
    if kind == "{" and pend[1] == 1:
        return BRACE_OR_BAR if pend[2] else OPEN_BRACE
    if kind == "}" and pend[1] == 1 and (not pend[2] or top != TABLE):
        return CLOSE_BRACE  # }} (after a | at a line's start: |}} closing a template)
    if kind == "]" and is_plain_link(top):
        return CLOSE_BRACKET
    grow = GROWS[kind]  # the character that extends the token; any other ends it
    return plain_forbidden(settle(w)).replace(grow, "") + ("" if grows(w, kind, top) else grow)


def plain_forbidden(w: Wiki) -> str:
    """What may not start a token with nothing pending: a lone { or } is a typo (real text has
    none), as is a [ or ] in a plain link; and nothing may open beyond DEPTH."""
    top = w.stack[-1] if w.stack else None
    return (("" if top.__class__ is int else "}") + ("{" if len(w.stack) >= DEPTH else "")
            + ("[" if is_plain_link(top) else ""))


def grows(w: Wiki, kind: str, top) -> bool:
    """Whether the pending token may take one more of its character."""
    if kind == "[":
        return len(w.stack) < DEPTH and not in_plain_link(w)
    if kind == "]":
        return top is not None and is_link(top)
    if kind == "{":
        return w.pend[1] < RUN
    if kind == "}":
        return close_braces(w.stack, w.pend[1] + 1) is not None
    if kind == "|":
        return top == TABLE or top.__class__ is int
    return True


GROWS = {"[": "[", "]": "]", "{": "{", "}": "}", "|": "}", "'": "'"}
CLOSE_BRACE, CLOSE_BRACKET, OPEN_BRACE, BRACE_OR_BAR = only("}"), only("]"), only("{"), only("{|")


# -- the entity and XML layers -----------------------------------------------------------------

ENTITIES = {"&lt": "<", "&gt": ">", "&amp": "&", "&quot": '"', "&apos": "'"}
END_TEXT = "</text>"


class Text(NamedTuple):
    """Inside wikitext: a <text> element, or bare wikitext."""

    wiki: Wiki = START
    entity: str = ""  # an entity begun ("&l"): real text has no other "&"


class EndText(NamedTuple):
    """After the wikitext's end: ``seen`` characters of ``</text>``."""

    seen: int


class Outside(NamedTuple):
    """Between ``</text>`` and ``<text ...>``: ``seen`` of ``<text`` matched, then 6 (inside its
    attributes) or 7 (after a "/" there)."""

    seen: int = 0


@lru_cache(maxsize=None)
def but(chars: str) -> CharSet:
    return anything_but(chars) if chars else ANYTHING


@lru_cache(maxsize=None)
def entity_next(begun: str, ruled_out: str) -> CharSet:
    """What may follow ``begun`` toward an entity whose character is not ``ruled_out``."""
    names = [name for name, char in ENTITIES.items() if name.startswith(begun) and char not in ruled_out]
    return only({name[len(begun)] if name != begun else ";" for name in names})


@lru_cache(maxsize=None)
def ruled_out(decoded: CharSet) -> str:
    """The characters entities stand for that ``decoded`` rules out."""
    return "".join(char for char in ENTITIES.values() if char not in decoded)


@lru_cache(maxsize=None)
def raw(decoded: CharSet) -> CharSet:
    """The raw characters for ``decoded``: "&" where an entity may come; no raw "<"."""
    entity = only("&") if len(ruled_out(decoded)) < len(ENTITIES) else only("")
    return (decoded - only("<&")) | entity


@lru_cache(maxsize=1 << 16)  # states recur (most characters change nothing): a hash beats the work
def text_allowed(t: Text) -> CharSet:
    """What may come in wikitext: the wikitext layer's rules, read through the entities."""
    w = t.wiki
    chars = forbidden(w)
    if isinstance(chars, CharSet):
        return entity_next(t.entity, ruled_out(chars)) if t.entity else raw(chars)
    if t.entity:
        return entity_next(t.entity, chars)
    if not newline_ok(w):
        chars += "\n"
    if not (closed(w) and w.content):
        chars += "<"  # a raw one only starts </text>, once the wikitext is closed and not empty
    return but(chars)


END_TEXT_NEXT = [only(ch) for ch in END_TEXT]
NEWLINE = only("\n")


# -- the length budget: a paragraph must end within a sample's length ---------------------------
# A sample that reaches its length unfinished is cut to nothing. So once what is open could only
# just be closed within BUDGET characters, the guide allows one character only: the next of the
# shortest way to close it all and end the paragraph (real text shorter than that passes).

BUDGET = 2000  # the default sample length (the domain's defaults["length"]); sampling passes its own
SLACK = 28  # the most one character adds to the cost of closing: the ";" of "&lt;" (a tag begun)
FRAME_COST = {LINK: 2, MEDIA: 2, TABLE: 4, REF: 12}  # ]] ; \n|}, a space ; &lt;/ref&gt;
TAG_COST = 33  # a tag begun: &quot;&gt; and then, at most, its closer (&lt;/ + a name + &gt;)
ENTITY_OF = {char: name for name, char in ENTITIES.items()}
MOST = 20 + DEPTH * 12 + TAGS * (9 + NAME) + TAG_COST  # the cost of closing the fullest state, at most


def closing_cost(w: Wiki) -> int:
    """How many raw characters, at most, close everything in ``w`` and end the paragraph."""
    frames = (frame + 1 if frame.__class__ is int else FRAME_COST.get(frame, 2) for frame in w.stack)  # }}, a space
    cost = 2 + sum(frames)
    cost += sum(9 + len(name) for name in w.tags)
    if not quotes_closed(w.quotes) or (w.pend or "-")[0] == "'":
        cost += 6
    if (w.pend or "-")[0] == "{":
        cost += w.pend[1] + 2
    if w.sub is not None:
        kind = w.sub[0]
        cost += 3 if kind == "c" else 9 + len(w.sub[1]) if kind == "o" else TAG_COST
    return cost


def closer(w: Wiki) -> str:
    """The next decoded character of the shortest way to close everything in ``w`` and end the
    paragraph (each such character is one ``forbidden`` and ``newline_ok`` allow)."""
    if w.sub is not None:
        return sub_closer(w)
    if w.pend is not None:
        return pend_closer(w)
    top = w.stack[-1] if w.stack else None
    if not quotes_closed(w.quotes):
        return "'"
    if w.tags or top == REF:
        return "<"
    if top is None:
        return "\n" if w.content or w.line != BLANK else "."
    if top.__class__ is int:
        return "}"
    if top == TABLE:
        return "|" if w.line != MID else "\n"
    return "]"


def closing_name(w: Wiki) -> str | None:
    """The tag to close next: the last paired one open, else the <ref> on top."""
    return w.tags[-1] if w.tags else "ref" if w.stack[-1:] == (REF,) else None


def sub_closer(w: Wiki) -> str:
    """``closer`` inside "<...": end the tag (one the checker counts closes itself), the comment,
    the opaque tag; or go on toward the closing tag wanted, or make the "<" text."""
    kind, sub, target = w.sub[0], w.sub, closing_name(w)
    if kind == "c":
        return "-" if sub[1] < 2 else ">"
    if kind == "o":
        end = "</" + sub[1]
        return end[sub[2]] if sub[2] < len(end) else ">"
    ends = tag_ok(w, sub[1], sub[2]) and (sub[1] or sub[2] not in COUNTED) if kind in "an" else False
    if kind == "a":
        return next(iter(attributes_allowed(sub[3], ends, True).chars))
    if kind == "n":
        if sub[1] and target and target.startswith(sub[2]) and target != sub[2]:
            return target[len(sub[2])]
        return ">" if ends else "/"
    if target:
        return {"<": "/", "/": target[0]}.get(kind, " ")
    return closer(w._replace(sub=None))


def pend_closer(w: Wiki) -> str:
    """``closer`` with a token pending: go on with it where it is part of the way to close."""
    kind, top = w.pend[0], w.stack[-1] if w.stack else None
    must = forbidden(w)
    if must.__class__ is CharSet:  # the token must go on: }} {{ ]]
        return next(iter(must.chars - {"|"}))
    if kind == "|" and top == TABLE:
        return "}"
    settled = settle(w)
    if kind == "'" and not quotes_closed(settled.quotes):
        longer = range(w.pend[1] + 1, 6)  # a longer run that closes them, else a new run after a space
        return "'" if any(quotes_closed(quotes_after(w.quotes, run)) for run in longer) else " "
    char = closer(settled)
    return " " if char == GROWS[kind] and not grows(w, kind, top) else char


@lru_cache(maxsize=None)
def single(char: str) -> CharSet:
    return only(char)


class WikiGuide:
    """The wikipedia domain's guide (see the module's docstring). Its state: (characters of the
    paragraph so far, whether the raw line so far is blank, the XML layer's state). ``length`` is
    the most characters a sample may have: what is open closes within it."""

    def __init__(self, length: int = BUDGET):
        self.budget = length

    def start(self) -> tuple[int, bool, Text]:
        return 0, False, Text()

    def allowed(self, state: tuple[int, bool, Text | EndText | Outside]) -> CharSet:
        used, _, inner = state
        if used + MOST + SLACK >= self.budget and used + self.cost(inner) + SLACK >= self.budget:
            return self.closing(inner)  # one character more might not leave room to close
        if inner.__class__ is Text:
            return text_allowed(inner)
        if inner.__class__ is EndText:
            return END_TEXT_NEXT[inner.seen]
        return ANYTHING

    def advance(self, state: tuple[int, bool, Text | EndText | Outside], ch: str) -> tuple:
        used, blank, inner = state
        if inner.__class__ is Text:
            inner = self.text_advance(inner, ch)
        elif inner.__class__ is EndText:
            inner = EndText(inner.seen + 1) if inner.seen + 1 < len(END_TEXT) else Outside()
        else:
            inner = self.outside_advance(inner, ch)
        if ch == "\n":
            return (0 if blank else used + 1), True, inner  # a blank line ends the paragraph
        return used + 1, blank and ch in " \t", inner

    def cost(self, inner: Text | EndText | Outside) -> int:
        """How many characters, at most, close everything and end the paragraph."""
        if inner.__class__ is Text:
            return closing_cost(inner.wiki) + (5 if inner.entity else 0)
        return 9 if inner.__class__ is EndText else 2  # the rest of </text>, then a blank line

    def closing(self, inner: Text | EndText | Outside) -> CharSet:
        """The one character that goes on closing everything (see "the length budget")."""
        if inner.__class__ is EndText:
            return END_TEXT_NEXT[inner.seen]
        if inner.__class__ is Outside:
            return NEWLINE
        char = closer(inner.wiki)
        if not inner.entity:
            return single("&" if char in "<>\"" else char)  # as the corpus writes them: &lt; &gt; &quot;
        name = ENTITY_OF.get(char, "")
        if not name.startswith(inner.entity):  # an entity begun before: any that it begins
            name = next(name for name in ENTITIES if name.startswith(inner.entity))
        return single((name + ";")[len(inner.entity)])

    def text_advance(self, t: Text, ch: str) -> Text | EndText:
        if t.entity:
            if ch == ";":
                return t._replace(wiki=step(t.wiki, ENTITIES[t.entity]), entity="")
            return t._replace(entity=t.entity + ch)
        if ch == "<":
            return EndText(1)
        if ch == "&":
            return t._replace(entity="&")
        wiki = step(t.wiki, ch)
        return t if wiki is t.wiki else t._replace(wiki=wiki)

    def outside_advance(self, o: Outside, ch: str) -> Outside | Text:
        seen = o.seen
        if ch == "<":
            seen = 1
        elif 1 <= seen < 5:
            seen = seen + 1 if ch == "<text"[seen] else 0
        elif seen == 5:
            seen = 0 if ch.isalnum() or ch == "_" else 6
        if seen >= 6 and ch == ">":
            if seen == 6:
                return Text(PIECE)
            seen = 0
        elif seen >= 6:
            seen = 7 if ch == "/" else 6
        return o if seen == o.seen else Outside(seen)
