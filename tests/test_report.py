"""`playground report`: the page of a real tiny shakespeare run, opened in real headless
chromium (no network, no script), its DOM checked for every section and a screenshot saved;
several runs overlaid; a run still being written; a DDP run's folder; hostile text."""

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from engine_support import playground, trained

from playground.run_folder import RunFolder

pytestmark = pytest.mark.usefixtures("with_corpora")


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, shared_corpora) -> Path:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PLAYGROUND_CORPORA", str(shared_corpora))
        return trained(tmp_path_factory.mktemp("runs") / "tiny")


class Page(HTMLParser):
    """The elements of a DOM as chromium dumped it: [tag, attributes, text inside, section id]."""

    VOID = ("meta", "br", "hr", "img", "input", "link", "wbr")  # HTML's void elements: no end tag

    def __init__(self, text: str):
        super().__init__()
        self.elements, self.open = [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        section = attrs.get("id") if tag == "section" else next(
            (e[3] for e in reversed(self.open) if e[3]), None)
        element = [tag, attrs, "", section]
        self.elements.append(element)
        if tag not in self.VOID:
            self.open.append(element)

    def handle_endtag(self, tag):
        while self.open and self.open.pop()[0] != tag:
            pass

    def handle_data(self, data):
        for element in self.open:
            element[2] += data

    def find(self, tag=None, class_=None, **attrs):
        return [e for e in self.elements if (tag is None or e[0] == tag)
                and (class_ is None or class_ in e[1].get("class", "").split())
                and all(e[1].get(k) == v for k, v in attrs.items())]

    def section(self, key: str):
        return next(e for e in self.find("section") if e[1]["id"] == key)


def chromium(page: Path, *args) -> str:
    """What headless chromium makes of ``page``, with every host unresolvable."""
    browser = shutil.which("chromium")
    assert browser, "chromium not found: scripts/install-tools.sh installs it"
    result = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                             "--host-resolver-rules=MAP * ~NOTFOUND", *args, page.resolve().as_uri()],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def report(tmp_path: Path, *runs, extra=()) -> Page:
    out = tmp_path / "report.html"
    result = playground("report", *runs, "-o", out, *extra)
    assert result.returncode == 0, result.stderr
    return Page(chromium(out, "--dump-dom"))


def test_the_report_of_a_real_run_has_every_section_in_a_real_browser(tiny_run, tmp_path):
    page = report(tmp_path, tiny_run)
    sections = {e[1]["id"]: e for e in page.find("section")}
    assert list(sections) == ["settings", "loss", "validity", "categories", "speed", "samples", "neurons"]
    facts = sections["settings"][2]
    assert "shakespeare" in facts and "cpu" in facts and "corpus.txt" in facts and "parameters" in facts
    config = json.loads((tiny_run / "config.json").read_text())
    assert f"{config['model']['hidden']}" in facts and "ended: max_steps" in facts
    assert {e[3] for e in page.find("svg")} == {"loss", "validity", "categories", "speed"}
    legend = sections["validity"][2]
    assert "95% interval" in legend and "ceiling (real text)" in legend
    batches = [row["step"] for row in map(json.loads, (tiny_run / "metrics.jsonl").read_text().splitlines())
               if row["event"] == "validity_measured"]
    shown = [e[2] for e in page.find("h4")]
    assert [int(t.split(":")[0].removeprefix("Step ").replace(",", "")) for t in shown] == batches == [20, 40]
    samples = page.find("div", class_="sample")
    assert len(samples) == 3 * len(batches)
    assert all(e[1]["class"].split()[1] in ("valid", "invalid") for e in samples)
    invalid = [e for e in samples if "invalid" in e[1]["class"]]
    assert invalid and len(page.find("mark", class_="first-error")) == len([e for e in invalid if "(empty)" not in e[2]])
    coloured = [e for e in page.find("span") if e[1].get("style", "").startswith("background:rgb(")]
    assert len(coloured) > 500 and "next:" in coloured[0][1]["title"]
    assert not page.find("script")
    fetched = [v for e in page.elements for k, v in e[1].items() if k in ("src", "href", "xlink:href")]
    assert all(v.startswith(("#", "data:")) for v in fetched)  # nothing to load: it opens offline


def test_a_screenshot_of_the_report_shows_its_charts(tiny_run, tmp_path):
    from PIL import Image

    out = tmp_path / "report.html"
    assert playground("report", tiny_run, "-o", out).returncode == 0
    chromium(out, f"--screenshot={tmp_path / 'report.png'}", "--window-size=1150,2400")
    image = Image.open(tmp_path / "report.png").convert("RGB")
    assert image.size == (1150, 2400)
    colours = image.resize((115, 240)).getcolors(maxcolors=100_000)
    assert len(colours) > 50  # charts and coloured text, not a blank page


def test_several_runs_are_overlaid_and_their_differences_marked(tiny_run, tmp_path):
    other = trained(tmp_path / "wider", "--hidden", "48")
    page = report(tmp_path, tiny_run, other)
    loss = page.section("loss")[2]
    assert "tiny: validation" in loss and "wider: validation" in loss
    differs = [e[2] for e in page.find("tr", class_="differs")]
    assert any(text.startswith("model.hidden") for text in differs)
    assert not any(text.startswith("model.layers") for text in differs)
    assert [e[2] for e in page.find("h3")][:2] == ["tiny", "wider"]


def test_a_run_still_being_written_is_a_snapshot(tiny_run, tmp_path):
    live = tmp_path / "live"
    shutil.copytree(tiny_run, live)
    rows = (live / "metrics.jsonl").read_text().splitlines()
    (live / "metrics.jsonl").write_text("\n".join(rows[:-1]) + "\n" + rows[-1][:20])  # no end yet, a torn line
    handle = RunFolder(live).claim()
    try:
        page = report(tmp_path, live)
    finally:
        RunFolder.release(handle)
    assert "still training" in page.find(id="snapshot")[0][2]
    assert "training now" in page.section("settings")[2]


@pytest.mark.slow
def test_a_ddp_run_folder_reports_and_opens_in_the_tui_like_any_other(tmp_path):
    import asyncio

    from playground.tui.app import PlaygroundApp

    run = trained(tmp_path / "ddp", "--nproc", "2", "--batch-size", "8")
    page = report(tmp_path, run)
    assert [e[2].split(":")[0] for e in page.find("h4")] == ["Step 20", "Step 40"]
    assert "ended: max_steps" in page.section("settings")[2]
    assert len([e for e in page.find("span") if e[3] == "neurons"]) > 500

    async def opened():
        app = PlaygroundApp(None, {}, checkpoint=run)
        async with app.run_test(size=(80, 24)):
            state = app.controller.state
            return state.status, state.step, [step for step, _ in state.val_loss.points], len(state.valid)

    assert asyncio.run(opened()) == ("opened", 40, [20, 40], 2)


def test_the_first_error_is_where_the_domain_s_guide_first_refuses():
    from playground.plugins import host
    from playground.report import _refusal_finder, _sample

    refusal = _refusal_finder(host().domains["shakespeare"], {"sample": {"length": 300}})
    shown = _sample("ROMEO:\nGood morrow, Qzxv.\n", {"valid": False, "category": "unknown-words"}, refusal)
    assert 'Good morrow, Q<mark class="first-error"' in shown and ">z</mark>xv." in shown
    ends_open = _sample("ROMEO:\nGood", {"valid": False, "category": "x"}, refusal)
    assert ends_open.endswith('Good<mark class="first-error" title="the guide allows every character: what is '
                              'wrong is left open at the end">⟂</mark></pre></div>')
    assert "first-error" not in _sample("ROMEO:\nGood.\n", {"valid": True}, refusal)
    assert _refusal_finder(None, {}) is None  # a domain without a guide: no mark at all
    assert "first-error" not in _sample("Good", {"valid": False, "category": "x"}, None)


def test_hostile_text_in_a_run_stays_text(tiny_run, tmp_path):
    hostile = tmp_path / "hostile"
    shutil.copytree(tiny_run, hostile)
    attack = '</pre></div><script>document.title="owned"</script><img src=x onerror=alert(1)>'
    with open(hostile / "samples.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps({"event": "sample_scored", "step": 40, "text": attack,
                            "score": {"valid": False, "value": 0.0, "category": attack, "detail": attack}}) + "\n")
    with open(hostile / "metrics.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps({"event": "validity_measured", "step": 41, "n": 1, "valid": 0, "valid_rate": 0.0,
                            "valid_ci": [0.0, 0.8], "unique_rate": None, "unique_ci": None, "novel_rate": None,
                            "novel_ci": None, "categories": {attack: 1}}) + "\n")
    page = report(tmp_path, hostile, extra=("--samples", "10"))
    assert not page.find("script") and not page.find("img")
    assert any(attack in e[2] for e in page.find("pre"))


@pytest.mark.parametrize("args, message", [
    (["/nonexistent/run"], "is not a run folder"),
    (["RUN", "--neuron", "x:3"], "--neuron 'x:3': give LAYER:UNIT"),
    (["RUN", "--neuron", "9:0"], "--neuron 9:0: the model has 1 layer(s) of 32 units"),
    (["RUN", "--samples", "-1"], "--samples must be 0 or more"),
])
def test_bad_input_is_one_line_and_exit_2(tiny_run, tmp_path, args, message):
    result = playground("report", *[tiny_run if a == "RUN" else a for a in args], "-o", tmp_path / "r.html")
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
    assert not (tmp_path / "r.html").exists()
