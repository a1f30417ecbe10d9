"""The C guide: it allows the real validation split and every held-out unit, and refuses what
tree-sitter-c would make an ERROR or MISSING node of (unbalanced brackets, unclosed literals
and comments, a statement without its `;` before `}`) or what would end a sample unfinished."""

import pytest

from playground import plugins
from playground.testing import check_guide_allows_held_out
from playground.guide import walk
from playground.held_out import held_out_text, held_out_units
from playground_c.guide import MAX_BLANKS, MAX_DEPTH, MAX_IFS, START, CGuide


@pytest.fixture
def domain(with_corpora):
    return plugins.host().domains["c"]


@pytest.fixture
def guide():
    return CGuide()


def test_the_domain_declares_it():
    assert plugins.host().domains["c"].guide is CGuide


def test_it_allows_the_whole_validation_split(domain, guide):
    assert check_guide_allows_held_out(domain, guide) > 900_000


def test_it_allows_each_held_out_unit_alone_and_ends_it(domain, guide):
    units = held_out_units(domain)
    assert len(units) == 200
    for unit in units:
        state, index = walk(guide, unit + "\n")
        assert index is None, f"refused {unit[index]!r} after {unit[max(0, index - 80):index]!r}"


def test_no_state_of_the_split_is_a_dead_end(domain, guide):
    """Every mask met on the split allows a character of the corpus."""
    text = held_out_text(domain)
    alphabet = set(text)
    state, masks = guide.start(), set()
    for char in text[domain.unit_spans(text)[1][0]:]:
        masks.add(guide.allowed(state))
        state = guide.advance(state, char)
    assert 10 < len(masks) < 500  # few distinct masks: sampling turns each into a tensor once
    assert all(any(char in mask for char in alphabet) for mask in masks)


def test_a_unit_ends_at_its_line_end_back_at_the_start(guide):
    for unit in ("int x;\n", "static int f(void)\n{\n\treturn 0;\n}\n", "struct s {\n\tint a;\n};  /* s */\n",
                 "#include <linux/fs.h>\n", "#define MAX(a, b) \\\n\t((a) > (b) ? (a) : (b))\n",
                 "#define pr(fmt, args...) printk(fmt, ## args)\n",
                 "#ifdef CONFIG_X\nint x;\n#else\nint y;\n#endif\n"):
        (state, _), index = walk(guide, unit)
        assert (state, index) == (START, None), unit


@pytest.mark.parametrize("text", [
    "int f(void)\n{\n\tfor (;;)\n\t\tx = a ? : b;\n}\n",  # an empty for, GNU's `?:`
    "int f(void)\n{\n\treturn (struct timespec) {0, 0};\n}\n",  # a compound literal
    "int f(const char *fmt, ...);\n",
    "int f(void)\n{\n\tswitch (x) {\n\tcase 1 ... 3:\n\t\tbreak;\n\t}\n}\n",
    "int f(void)\n{\n\tasm volatile(\"\" : : : \"memory\");\n}\n",
    "int f(void)\n{\n\tprintk(\"a\" \\\n\t\t\"b\\n\");\n}\n",  # a backslash-newline in code
    "char *s = \"a\\\nb\", c = '\\'', d = '\\x1b';\n",  # escapes
    "int f(void)\n{\n#ifdef A\n\tif (a) {\n#else\n\tif (b) {\n#endif\n\t\tg();\n\t}\n}\n",  # #else restarts
    "static struct ops o = {\n\t.open = f,\n\t.flags = { 1, 2, },\n};\n",
    "{\n\tint a;\n}\n",  # a block at top level: tree-sitter takes it
    "/* a comment\n * over lines */\nint x;\n",
    "int f(void)\n{\n\tx = structure + (unsigned long)container_of(p, struct s, list);\n}\n",
])
def test_it_allows(guide, text):
    state, index = walk(guide, text)
    assert index is None, f"refused {text[index]!r} after {text[:index]!r}"


@pytest.mark.parametrize("text, refused_at", [
    ("int f(void)\n{\n\tx = 1);", "int f(void)\n{\n\tx = 1"),  # `)` with no `(`
    ("int a[] = { 1 ]", "int a[] = { 1 "),  # `]` closing a `{`
    ("int f(void)\n{\n\tg(a]", "int f(void)\n{\n\tg(a"),  # `]` closing a `(`
    ("}", ""),  # `}` with no `{`
    ("char *s = \"abc\n", "char *s = \"abc"),  # a newline in a string
    ("char c = 'a\n", "char c = 'a"),  # and in a character literal
    ("char c = '';", "char c = '"),  # an empty one
    ("int x; /* a\n", "int x; /* a"),  # the unit's end with a comment open
    ("int f(void)\n{\n} int y;", "int f(void)\n{\n} "),  # more code after a function's `}`
    ("int f(void)\n{\n\tx = 1 }", "int f(void)\n{\n\tx = 1 "),  # no `;` before `}`
    ("int f(void)\n{\nout:\n}", "int f(void)\n{\nout:\n"),  # a label ends no block
    ("struct s {\n\tint a\n}", "struct s {\n\tint a\n"),  # nor a field without its `;`
    ("int f(void)\n{\n\tg(a, );", "int f(void)\n{\n\tg(a, "),  # an argument missing
    ("int f(void)\n{\n\tx = ;", "int f(void)\n{\n\tx = "),  # an operand missing
    ("int f(void)\n{\n\tif (x; y)", "int f(void)\n{\n\tif (x"),  # `;` in an if's parentheses
    ("int x = 1 # 2", "int x = 1 "),  # `#` after a line's start
    ("struct s {\n\tint a = 1;", "struct s {\n\tint a "),  # an operator in a struct's fields
    ("int f(void)\n{\n\tif (x) { } else\n}", "int f(void)\n{\n\tif (x) { } else\n"),  # no else's statement
    ("int x = 1;\n= 2;", "int x = 1;\n"),  # a unit starts as a statement does
    ("x = y @ 2", "x = y "),  # no such character in C
    ("int f(void)\n{\n\tif (x) && y", "int f(void)\n{\n\tif (x) "),  # an if's condition is closed
    ("int f(void)\n{\n\tx = 1;\n\t= 2;", "int f(void)\n{\n\tx = 1;\n\t"),  # a statement's start
    ("int f(void)\n{\n\tdo { } while (0)\n}", "int f(void)\n{\n\tdo { } while (0)\n"),
    ("x = y + / 2", "x = y + /"),  # after an operator, a `/` starts a comment
    ("int f(void)\n{\n\tg(); */\n", "int f(void)\n{\n\tg(); */"),  # a comment's end without its start
    ("int f(void)\n{\n\tx = struct a;", "int f(void)\n{\n\tx = struct"),  # no type as an operand
    ("int f(void)\n{\n\tif (int x)", "int f(void)\n{\n\tif (int"),  # nor as a condition
    ("int f(void)\n{\n\tg(a, if (b))", "int f(void)\n{\n\tg(a, if"),  # no statement in an expression
    ("int f(int a\n{", "int f(int a\n"),  # a `{` in parentheses opens `({` or `(type){` only
    ("int f(void)\n{\n\tgoto out = 0;", "int f(void)\n{\n\tgoto out "),  # a goto takes a label
    ("int f(void)\n{\n\tgoto out(x);", "int f(void)\n{\n\tgoto out"),
    ("int f(void)\n{\n\tbreak }", "int f(void)\n{\n\tbreak "),  # a `;` after break
    ("#define F(char *p) p", "#define F(char "),  # a macro's parameters are names
    ("#define F(a, \"b\") a", "#define F(a, "),
    ("#define F(a b) a", "#define F(a "),
])
def test_it_refuses(guide, text, refused_at):
    assert walk(guide, text)[1] == len(refused_at)


def test_its_state_is_bounded(guide):
    (state, _), index = walk(guide, "int f(void)\n{\n\tx = " + "(" * 100)
    assert index is not None and len(state[2]) == MAX_DEPTH
    (state, _), index = walk(guide, "#if A\n" * 20)
    assert index == len("#if A\n") * MAX_IFS + 1 and len(state[8]) == MAX_IFS
    state, _ = walk(guide, "int " + "a" * 10_000)
    assert len(repr(state)) < 200


def test_a_loop_of_blanks_ends(guide):
    text = "int f(void)\n{\n\tx = " + " \t\n" * 100
    state, index = walk(guide, text)
    assert index == len("int f(void)\n{\n\tx = ") + MAX_BLANKS - 1  # the `x = ` space is one
    assert "y" in guide.allowed(state) and " " not in guide.allowed(state)
