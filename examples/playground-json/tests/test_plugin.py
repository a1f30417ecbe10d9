"""The json domain meets playground's contract and names what is wrong with a broken document."""

import json
import zipfile

import pytest

from playground import plugins
from playground.testing import check_domain
from playground_json import assemble

GOOD = ['{\n  "pagination": {\n    "ListThings": {\n      "result_key": "Things"\n    }\n  }\n}',
        '{"version": 2, "waiters": {}}', "[1, 2.5, null, true]", '"just a string"']
BROKEN = {
    "": "empty",
    '{\n  "a": 1\n  "b": 2\n}': "expecting-delimiter",
    '{\n  "a": 1,\n}': "expecting-property-name",
    '{\n  "a" 1\n}': "expecting-colon",
    '{\n  "a": \n}': "expecting-value",
    '{\n  "a": "open\n}': "invalid-control-character",
    '{\n  "a": "never closed': "unterminated-string",
    '{"a": "\\q"}': "invalid-escape",
    '{"a": "\\u12"}': "invalid-unicode-escape",
    '{}\n}': "extra-data",
    "[" * 100_000: "too-deep",
}


def domain():
    return plugins.host().domains["json"]


def test_the_domain_is_registered_and_meets_the_contract():
    check_domain(domain(), valid=GOOD, invalid=list(BROKEN))
    assert plugins.host().plugins["json"].status == "ok"


@pytest.mark.parametrize("sample, category", BROKEN.items(), ids=BROKEN.values())
def test_a_broken_document_is_named(sample, category):
    [verdict] = domain().score([sample])
    assert (verdict.valid, verdict.category) == (False, category)


def test_detail_and_value_say_where_the_error_is():
    [verdict] = domain().score(['{\n  "a": 1\n  "b": 2\n}'])
    assert verdict.detail == "line 3 col 3: Expecting ',' delimiter"  # at "b", where the comma should be
    assert verdict.value == pytest.approx(13 / 21)  # 13 of the 21 characters come before it


def test_postprocessing_strips_and_cuts_nothing():
    assert domain().finish('\n  {"a": [1]}\n}\n') == '{"a": [1]}\n}'


def test_assemble_pretty_prints_each_distinct_document_once(tmp_path):
    with zipfile.ZipFile(tmp_path / "botocore-0-py3-none-any.whl", "w") as wheel:
        wheel.writestr("botocore/data/b/1/paginators-1.json", '{"pagination": {"ListB": {"result_key": "B"}}}')
        wheel.writestr("botocore/data/a/1/waiters-2.json", '{"version": 2, "waiters": {}}')
        wheel.writestr("botocore/data/b/1/waiters-2.json", '{"version":2,"waiters":{}}')  # a duplicate
        wheel.writestr("botocore/data/a/1/examples-1.json", '{"examples": {}}')  # not taken
    text = assemble(tmp_path).decode()
    docs = text.split("\n\n")
    assert [json.loads(d) for d in docs] == [{"version": 2, "waiters": {}}, {"pagination": {"ListB": {"result_key": "B"}}}]
    assert docs[1].startswith('{\n  "pagination": {\n    "ListB": {') and text.endswith("}\n")
