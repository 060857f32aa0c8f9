"""meau report --html: one self-contained page, read structurally everywhere and by headless Chromium where
the Debian package is installed."""

import base64
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner

from meau.cli import cli

from .test_report import _predicted_run


class _Page(HTMLParser):
    """The tables (rows of cell texts, by class), the images' sources and every URL the page names."""

    def __init__(self):
        super().__init__()
        self.tables, self.images, self.urls, self.scripts = [], [], [], 0
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("src", "href"):
            if name in attrs:
                self.urls.append(attrs[name])
        if tag == "table":
            self.tables.append({"class": attrs.get("class"), "rows": []})
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "img":
            self.images.append(attrs["src"])
        elif tag in ("script", "link", "iframe"):
            self.scripts += 1

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1]["rows"][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _runs(tmp_path):
    import numpy as np

    rng = np.random.default_rng(1)
    subjects = np.repeat(np.arange(10), 6)
    truth = (rng.random((60, 3)) < 0.4).astype(int)
    good = np.where(rng.random(truth.shape) < 0.85, truth, 1 - truth)
    aus = ("AU01", "AU04", "AU12")
    runs = [_predicted_run(tmp_path / "constant", "Constant", truth, np.ones_like(truth), subjects, subjects % 3, aus=aus),
            _predicted_run(tmp_path / "good", "Good", truth, good, subjects, subjects % 3, aus=aus)]
    (runs[1] / "validation.csv").write_text("kind,message,row,key,path\nbad-clip,sub01/EP09: frozen clip,12,x,y\n")
    return runs


def _write_page(tmp_path):
    runs = _runs(tmp_path)
    result = CliRunner().invoke(cli, ["report", *map(str, runs), "--ci", "95", "--paired", "--resamples", "500",
                                      "--html", str(tmp_path / "report.html")], obj={})
    assert result.exit_code == 0, result.output
    return tmp_path / "report.html"


def test_page_is_self_contained_and_holds_everything(tmp_path):
    path = _write_page(tmp_path)
    text = path.read_text()
    parser = _Page()
    parser.feed(text)
    assert parser.scripts == 0 and all(url.startswith("data:image/png;base64,") for url in parser.urls)
    assert not re.search(r"https?://", text)
    results = [t for t in parser.tables if t["class"] == "results"][0]["rows"]
    assert results[0] == ["Method", "AU1", "AU4", "AU12", "AVG", "p vs best"]
    assert results[1][0] == "Positives" and results[3][0] == "Good" and results[3][-1] == "best"
    assert re.fullmatch(r"0\.\d{4} \[0\.\d{4}, 0\.\d{4}\]", results[3][4]), results[3]
    assert float(results[2][-1]) < 0.05  # the constant against the good method
    assert len(parser.images) == 2  # the AU correlation and the bars
    captions = re.findall(r"<figcaption>(.*?) <code>", text)  # in words, the file's name beside
    assert len(captions) == 2 and "Pearson correlation of every pair of AU labels" in captions[0]
    assert captions[1].startswith("The AVG column (F1""") and "95% subject-level bootstrap interval" in captions[1] \
        and "constant baseline is grey" in captions[1], captions[1]
    for source in parser.images:
        assert base64.b64decode(source.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    problems = [t for t in parser.tables if t["class"] == "problems"]
    assert problems and problems[0]["rows"][1][0] == "bad-clip"
    assert "meau baseline good DB" in text and "subject-level bootstrap" in text
    assert json.dumps("Good") in text or "&quot;Good&quot;" in text  # the configs are there


def test_page_needs_overwrite_to_replace(tmp_path):
    path = _write_page(tmp_path)
    again = CliRunner().invoke(cli, ["report", str(tmp_path / "good"), "--html", str(path)], obj={})
    assert again.exit_code == 1 and "--overwrite" in again.output


CHECK = """<script>
window.addEventListener('load', () => {
  const images = Array.from(document.images);
  document.body.setAttribute('data-check', JSON.stringify({
    cells: Array.from(document.querySelectorAll('table.results td')).map(c => c.textContent.trim()),
    images: images.length,
    decoded: images.filter(i => i.complete && i.naturalWidth > 100).length}));
});
</script>"""


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@pytest.mark.skipif(_chromium() is None, reason="needs headless Chromium (Debian: apt install chromium)")
def test_page_in_a_real_browser(tmp_path):
    path = _write_page(tmp_path)
    probe = tmp_path / "probe.html"
    probe.write_text(path.read_text().replace("</body>", CHECK + "</body>"))
    flags = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(flags + ["--virtual-time-budget=5000", "--dump-dom", probe.as_uri()], capture_output=True,
                         text=True, timeout=120)
    found = re.search(r"data-check=\"([^\"]*)\"", dom.stdout)
    assert found, (dom.stdout[-500:], dom.stderr[-2000:])
    import html

    check = json.loads(html.unescape(found.group(1)))
    assert check["images"] == 2 and check["decoded"] == 2, check
    assert "Positives" in check["cells"] and "Good" in check["cells"] and "best" in check["cells"]
    shot = tmp_path / "page.png"
    subprocess.run(flags + [f"--screenshot={shot}", "--window-size=1280,1600", path.as_uri()], capture_output=True,
                   timeout=120)
    assert shot.exists() and shot.read_bytes()[:4] == b"\x89PNG" and shot.stat().st_size > 20_000
