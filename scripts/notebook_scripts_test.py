#!/usr/bin/env python3
"""Tests of scripts/check_notebook.py and scripts/notebook_outputs.py on small notebooks
built here: every rule has a case that passes and one that fails.

Run: python3 -m unittest discover -s scripts -p '*_test.py'   (scripts/test.sh does)
"""

import copy
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_notebook  # noqa: E402
import notebook_outputs  # noqa: E402

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
SUMMARY = ("vae after 150 steps: held-out reconstruction 179.9 + KL 4.9 = 184.8 nats per image "
           "(negative ELBO); 2 active units\n")


def code(source, *outputs, count=1):
    return {"cell_type": "code", "execution_count": count, "metadata": {}, "outputs": list(outputs),
            "source": source.splitlines(keepends=True)}


def markdown(source):
    return {"cell_type": "markdown", "metadata": {}, "source": source.splitlines(keepends=True)}


def stream(name, content):
    return {"output_type": "stream", "name": name, "text": content.splitlines(keepends=True)}


def stdout(content):
    return stream("stdout", content)


def display(mime, data):
    return {"output_type": "display_data", "metadata": {}, "data": {mime: data}}


PNG = display("image/png", "iVBORw0KGgo=\n")
SVG_HTML = display("text/html", '<div><svg width="10pt"></svg></div>')
IMG_HTML = display("text/html", '<img src="data:image/png;base64,AAAA"><img src="data:image/png;base64,BBBB">')
PLAIN_HTML = display("text/html", "<b>no picture</b>")
ERROR = {"output_type": "error", "ename": "ERROR", "evalue": "panic: boom", "traceback": ["panic: boom"]}


def text_of(cell):
    return check_notebook.text(cell["source"])


def notebook(*cells, metadata=None):
    return {"cells": list(cells), "metadata": metadata or {"kernelspec": {"name": "gonb"}},
            "nbformat": 4, "nbformat_minor": 5}


class CheckNotebookTest(unittest.TestCase):
    def problems(self, *cells, quick=False):
        problems, _ = check_notebook.check_notebook(notebook(*cells), quick=quick)
        return problems

    def assertPasses(self, *cells, quick=False):
        self.assertEqual(self.problems(*cells, quick=quick), [])

    def assertFails(self, contains, *cells, quick=False):
        problems = self.problems(*cells, quick=quick)
        self.assertTrue(any(contains in p for p in problems),
                        f"expected a problem containing {contains!r}, got {problems}")

    def test_error_output(self):
        self.assertPasses(code("%%\nfmt.Println(1)", stdout("1\n")))
        self.assertFails("error ERROR: panic: boom", code("%%\npanic(1)", ERROR))

    def test_every_code_cell_executed(self):
        self.assertPasses(code("import \"fmt\"", count=2), code("   \n", count=None))
        self.assertFails("not executed", code("%%\nfmt.Println(1)", count=None))

    def test_stderr(self):
        self.assertPasses(code("%%\nfmt.Println(1)", stdout("1\n")))
        self.assertFails("unexpected stderr", code("%%\nlog.Print(1)", stream("stderr", "switching to go1.27.4\n")))
        self.assertFails("switching to go1.27.4", code("%%\nlog.Print(1)", stream("stderr", "switching to go1.27.4\n")))
        self.assertPasses(code("// allow-stderr\n%%\nlog.Print(1)", stream("stderr", "a log line\n")))

    def test_expect_output(self):
        self.assertPasses(code("// expect-output\n%%\nfmt.Println(1)", stdout("1\n")))
        self.assertFails("produced no output", code("// expect-output\n%%\n"))

    def test_expect_image_at_least_one(self):
        for picture in (PNG, SVG_HTML, IMG_HTML, display("image/svg+xml", "<svg/>")):
            self.assertPasses(code("// expect-image\n%%", stdout("text\n"), picture))
        self.assertFails("displayed no image", code("// expect-image\n%%", stdout("text\n"), PLAIN_HTML))

    def test_expect_images_exact_count(self):
        six = [PNG, SVG_HTML, IMG_HTML, PNG, PNG, display("image/svg+xml", "<svg/>")]
        self.assertPasses(code("// expect-images: 6\n%%", *six))
        self.assertPasses(code("//expect-images:6\n%%", *six))
        self.assertFails("marked `// expect-images: 6` but displayed 1", code("// expect-images: 6\n%%", PNG))
        self.assertFails("displayed 7", code("// expect-images: 6\n%%", *six, PNG))
        # An HTML output with two <img> is one picture: it counts once.
        self.assertFails("displayed 1", code("// expect-images: 2\n%%", IMG_HTML))
        self.assertPasses(code("// expect-images: 0\n%%", stdout("no pictures\n")))

    def test_unknown_marker(self):
        self.assertFails("unknown marker '// expect-imgs: 2'", code("// expect-imgs: 2\n%%", PNG, PNG))
        self.assertFails("unknown marker", code("// expect-images: six\n%%", PNG))
        self.assertFails("unknown marker", code("// allow-stdout\n%%", PNG))

    def test_training_summary(self):
        train = "%%\nm := nb.Train(cfg, trainSet, testSet)"
        self.assertPasses(code(train, stdout(SUMMARY)))
        self.assertPasses(code(train, stdout(SUMMARY.replace("2 active units", "2 of 2 active units"))))
        cases = {
            "non-finite": SUMMARY.replace("179.9 + KL 4.9 = 184.8", "NaN + KL 4.9 = NaN"),
            "non-finite or unreadable KL": SUMMARY.replace("KL 4.9 = 184.8", "KL +Inf = +Inf"),
            "reconstruction + KL = 184.80, but negative ELBO 185.0": SUMMARY.replace("184.8", "185.0"),
            "reconstruction term -1.0 <= 0": SUMMARY.replace("179.9 + KL 4.9 = 184.8", "-1.0 + KL 4.9 = 3.9"),
            "KL -2.0 < 0": SUMMARY.replace("179.9 + KL 4.9 = 184.8", "179.9 + KL -2.0 = 177.9"),
            "3 active units, expected 0..2": SUMMARY.replace("2 active units", "3 of 2 active units"),
            "-1 active units": SUMMARY.replace("2 active units", "-1 active units"),
            "unreadable training summary": "vae after 150 steps: 184.8 nats per image (negative ELBO)\n",
            "after 0 steps": SUMMARY.replace("150 steps", "0 steps"),
        }
        for contains, line in cases.items():
            with self.subTest(contains):
                self.assertFails(contains, code(train, stdout(line)))
        # Sums within the rounding of three numbers printed to 0.1 pass: 0.1 + 0.1 = 0.3
        # printed as 0.1 + 0.1 = 0.3, but 0.149 + 0.149 = 0.198 as 0.1 + 0.1 = 0.2 too.
        self.assertPasses(code(train, stdout(SUMMARY.replace("184.8", "184.95"))))
        self.assertPasses(code(train, stdout(SUMMARY.replace("179.9 + KL 4.9 = 184.8", "0.1 + KL 0.1 = 0.2"))))

    def test_training_summary_range_in_quick_mode(self):
        high = SUMMARY.replace("179.9 + KL 4.9 = 184.8", "845.0 + KL 5.0 = 850.0")
        self.assertPasses(code("%%", stdout(high)))  # Full mode: no range.
        self.assertFails("negative ELBO 850.0 nats outside quick mode's range", code("%%", stdout(high)), quick=True)
        self.assertPasses(code("%%", stdout(SUMMARY)), quick=True)
        # The squared-error decoder's scale: its constant 448.7 plus the squared error.
        sse = SUMMARY.replace("179.9 + KL 4.9 = 184.8", "610.2 + KL 9.8 = 620.0")
        self.assertPasses(code("%%", stdout(sse)), quick=True)
        # 32x32 colour images: the bound scales with the 3,072 values per image.
        colour = high.replace("(negative ELBO);", "(negative ELBO) of 3072 values;")
        self.assertPasses(code("%%", stdout(colour)), quick=True)
        self.assertFails("outside quick mode's range (0, 3134.69) for 3072 values",
                         code("%%", stdout(colour.replace("845.0 + KL 5.0 = 850.0", "3195.0 + KL 5.0 = 3200.0"))), quick=True)

    def test_training_cell_must_print_a_summary(self):
        self.assertFails("calls nb.Train but printed no training summary",
                         code("%%\nm := nb.TrainAndWatch(cfg, a, b, nil)", stdout("other text\n")))
        # A declaration cell (no %%) only defines code that trains later.
        self.assertPasses(code("func compare() { nb.Train(cfg, a, b) }"))
        self.assertPasses(code("%%\nm := nb.Trained(cfg, a, b)", stdout("(vae model of 150 steps, loaded)\n")))

    def test_claims(self):
        ok = "check: the KL is small: 4.9 nats < 10 ... ok\n"
        problems, summary = check_notebook.check_notebook(notebook(code("%%", stdout(ok + ok))))
        self.assertEqual(problems, [])
        self.assertIn("2 checks", summary)
        self.assertFails("failed claim: check: the KL is small: 12.0 nats < 10 ... FAILED",
                         code("%%", stdout("check: the KL is small: 12.0 nats < 10 ... FAILED\n")))
        self.assertFails("failed claim", code("%%", stdout("  (cell 3) check: x FAILED: 2 > 1\n")))
        self.assertFails("claim without a verdict", code("%%", stdout("check: the KL is small: 12.0\n")))
        # At quick mode's budget a claim may be left to full mode, never in full mode.
        unchecked = "check: the KL is small: 12.0 nats < 10 ... does not hold at quick mode's budget (checked in full mode)\n"
        problems, _ = check_notebook.check_notebook(notebook(code("%%", stdout(unchecked))), quick=True)
        self.assertEqual(problems, [])
        self.assertFails("claim not checked, in full mode", code("%%", stdout(unchecked)))
        # Prose that mentions a check is no claim.
        problems, summary = check_notebook.check_notebook(notebook(code("%%", stdout("a sanity check: fine\n"))))
        self.assertEqual(problems, [])
        self.assertIn("0 checks", summary)

    def test_machine_paths(self):
        for shown in ('go: added "github.com/vaekit/vaekit" to local directory "/work/main".\n',
                      "shapes written to /tmp/vaekit-nb.nqKo2Q/vaekit-shapes-v1: 4000 images\n",
                      "  - cache /root/.cache/vaekit/cifar10: not found\n",
                      "(/home/ada/data)\n",
                      "see file:///home/ada/report.html\n"):
            with self.subTest(shown):
                self.assertFails("shows a path of the machine that ran it", code("%%", stdout(shown)))
        self.assertFails("'/root/.cache/x'", code("%%", display("text/html", "<pre>in /root/.cache/x</pre>")))
        self.assertFails("path of the machine", code("%%", display("image/svg+xml", "<svg><text>/work/a</text></svg>")))
        for prose in ("a speed of 3 km/h, i/o and and/or\n",
                      "https://example.com/home/page and http://host/tmp/x\n",
                      "the cache ~/.cache/vaekit/models and out/tmp/refresh, $HOME/x\n",
                      "/workspace, /homes/x and /tmpfs are other names\n"):
            with self.subTest(prose):
                self.assertPasses(code("%%", stdout(prose)))
        # A base64 payload may hold "//tmp/" by chance: data: URIs are not searched.
        self.assertPasses(code("%%", display("text/html", '<img src="data:image/png;base64,iVBORw0K//tmp/+/home/AA==">')))
        # Markdown cells and the code itself are not outputs.
        self.assertPasses(markdown("cd /work/main"), code('%%\nos.ReadDir("/tmp/x")', stdout("1\n")))

    def test_ip_addresses(self):
        for shown in ("dial tcp: lookup www.cs.toronto.edu on 10.255.255.53:53: no such host\n",
                      "connected to 192.168.0.1.\n",
                      "(127.0.0.1:8888)\n"):
            with self.subTest(shown):
                self.assertFails("shows an IP address", code("%%", stdout(shown)))
        self.assertFails("'10.0.0.2:53'", code("%%", display("text/html", "<p>on 10.0.0.2:53</p>")))
        for version in ("go1.27.4, gomlx 0.28.16, GoNB v0.11.5\n",
                        "release v1.2.3.4 and 1.2.3.4.5\n",
                        "not an address: 300.1.2.3, 1.2.3.999\n",
                        "0.1 + 0.2 = 0.3; pi = 3.14159; section 2.3.1\n"):
            with self.subTest(version):
                self.assertPasses(code("%%", stdout(version)))

    def test_svg_image_labels(self):
        png, jpeg = "iVBORw0KGgoAAAANSUhEUgAA", "/9j/4AAQSkZJRgABAQAAAQ"
        gif = "R0lGODlhAQABAIAAAP"

        def svg(label, payload, attribute="href"):
            return f'<svg><image x="0" {attribute}="data:image/{label};base64,{payload}" width="9"/></svg>'

        for label, payload in (("png", png), ("jpeg", jpeg), ("gif", gif), ("PNG", png)):
            with self.subTest(label):
                self.assertPasses(code("%%", display("image/svg+xml", svg(label, payload))))
                self.assertPasses(code("%%", display("text/html", "<div>" + svg(label, payload, "xlink:href") + "</div>")))
        self.assertFails("labelled image/jpg holds PNG data: label it image/png",
                         code("%%", display("text/html", svg("jpg", png))))
        self.assertFails("labelled image/png holds JPEG data: label it image/jpeg",
                         code("%%", display("image/svg+xml", svg("png", jpeg, "xlink:href"))))
        self.assertFails("labelled image/png holds no PNG, JPEG or GIF data",
                         code("%%", display("image/svg+xml", svg("png", "AAAAAAAA"))))
        # An <img> in HTML is not an SVG image (browsers sniff its type).
        self.assertPasses(code("%%", IMG_HTML))
        # One problem per distinct image, however often a live plot redrew it.
        problems = self.problems(code("%%", *[display("text/html", svg("jpg", png))] * 3))
        self.assertEqual(len(problems), 1, problems)

    def test_markdown_is_not_checked(self):
        self.assertPasses(markdown("// expect-images: 3\ncheck: FAILED"), code("%%", stdout("1\n")))

    def test_command_line(self):
        with tempfile.TemporaryDirectory() as tmp:
            good, bad = os.path.join(tmp, "good.ipynb"), os.path.join(tmp, "bad.ipynb")
            high = SUMMARY.replace("179.9 + KL 4.9 = 184.8", "845.0 + KL 5.0 = 850.0")
            with open(good, "w") as f:
                json.dump(notebook(code("%%", stdout(high))), f)
            with open(bad, "w") as f:
                f.write("{not json")
            run = lambda *args: subprocess.run([sys.executable, os.path.join(SCRIPTS, "check_notebook.py"), *args],
                                               capture_output=True, text=True)
            result = run(good)
            self.assertEqual(result.returncode, 0, result.stdout)
            self.assertIn("ok   " + good, result.stdout)
            result = run("--quick", good)
            self.assertEqual(result.returncode, 1, result.stdout)
            self.assertIn("FAIL " + good, result.stdout)
            result = run(good, bad)
            self.assertEqual(result.returncode, 1, result.stdout)
            self.assertIn("cannot read notebook", result.stdout)


def executed_notebook():
    """A notebook as nbconvert leaves it: outputs, counts, per-cell timing metadata."""
    nb = notebook(markdown("# Title\nSome prose.\n"),
                  code("import \"fmt\"\n", count=1),
                  code("// expect-image\n%%\nfmt.Println(1)\n", stdout("1\n"), PNG, count=2))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["metadata"]["execution"] = {"iopub.execute_input": "2026-11-30T05:14:32.000000Z"}
    nb["metadata"]["language_info"] = {"name": "go", "version": "go1.27.4"}
    return nb


CPU = {"model": "AMD EPYC", "cores": 2, "avx512": True}
FORMATS = {"model": 1, "judge": 1}


def record_line(entry, kind="model", training_format=1, train_seconds=60.0, from_cache=False):
    return json.dumps({"kind": kind, "entry": entry, "training_format": training_format,
                       "train_seconds": train_seconds, "from_cache": from_cache})


def models(*lines):
    """The models of a record with these lines, as read_models reads them."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "nb.models.jsonl")
        with open(path, "w") as f:
            f.write("".join(line + "\n" for line in lines))
        return notebook_outputs.read_models(path)


MODELS = [
    {"entry": "judge-mnist-0a1b", "kind": "judge", "training_format": 1, "train_seconds": 30.0, "from_cache": True},
    {"entry": "vae-mlp-mnist-z20-f1-3f9a", "kind": "model", "training_format": 1, "train_seconds": 600.0,
     "from_cache": False},
]


def library(tmp, model_format=1, judge_format=1):
    """A repository root in tmp whose Go sources declare the training formats."""
    os.makedirs(os.path.join(tmp, "vaekit", "judge"), exist_ok=True)
    for package, directory, fmt in (("vaekit", "vaekit", model_format), ("judge", os.path.join("vaekit", "judge"), judge_format)):
        with open(os.path.join(tmp, directory, "trainingformat.go"), "w") as f:
            f.write(f"package {package}\n\n// TrainingFormat is ...\nconst TrainingFormat = {fmt}\n")
    return tmp


def unexecuted(nb):
    """The committed notebook before its first refresh: no outputs."""
    nb = copy.deepcopy(nb)
    nb["metadata"].pop("language_info", None)
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell.update(outputs=[], execution_count=None, metadata={})
    return nb


class NotebookOutputsTest(unittest.TestCase):
    def fresh(self):
        ran = executed_notebook()
        return notebook_outputs.stamped(unexecuted(ran), ran, 12.4, "go1.27.4", MODELS, cpu=CPU)

    def test_hash_depends_on_code_only(self):
        nb = executed_notebook()
        h = notebook_outputs.code_sha256(nb)
        self.assertRegex(h, r"^[0-9a-f]{64}$")
        prose = copy.deepcopy(nb)
        prose["cells"][0]["source"] = ["# Another title\n"]
        self.assertEqual(notebook_outputs.code_sha256(prose), h, "editing prose changed the hash")
        self.assertEqual(notebook_outputs.code_sha256(unexecuted(nb)), h, "outputs changed the hash")
        crlf = copy.deepcopy(nb)
        crlf["cells"][2]["source"] = ["// expect-image\r\n", "%%\r\n", "fmt.Println(1)"]
        self.assertEqual(notebook_outputs.code_sha256(crlf), h, "newline style changed the hash")
        empty = copy.deepcopy(nb)
        empty["cells"].append(code("\n", count=None))
        self.assertEqual(notebook_outputs.code_sha256(empty), h, "an empty code cell changed the hash")
        edited = copy.deepcopy(nb)
        edited["cells"][2]["source"] = ["// expect-image\n", "%%\n", "fmt.Println(2)\n"]
        self.assertNotEqual(notebook_outputs.code_sha256(edited), h, "editing code kept the hash")
        flags = copy.deepcopy(nb)
        flags["cells"][2]["source"][1] = "%% --kl_weight=3\n"
        self.assertNotEqual(notebook_outputs.code_sha256(flags), h, "editing a cell's flags kept the hash")
        # Moving a line from one cell to the next changes what runs where.
        a = notebook(code("a\nb"), code("c"))
        b = notebook(code("a"), code("b\nc"))
        self.assertNotEqual(notebook_outputs.code_sha256(a), notebook_outputs.code_sha256(b))

    def test_hash_is_sha256_of_the_sources_as_json(self):
        import hashlib
        nb = notebook(code("x := 1\n"), markdown("text"), code("y\r\n"))
        want = hashlib.sha256(b'["x := 1","y"]').hexdigest()
        self.assertEqual(notebook_outputs.code_sha256(nb), want)

    def test_stamped(self):
        ran = executed_notebook()
        committed = unexecuted(ran)
        committed["cells"][0]["id"] = "keep-me"
        # Timestamps saved by a front end that records them go too.
        committed["cells"][1]["metadata"]["execution"] = {"shell.execute_reply": "2026-11-29T10:00:00Z"}
        out = notebook_outputs.stamped(committed, ran, 12.4, "go1.27.4", MODELS)
        stamp = out["metadata"]["vaekit"]
        self.assertEqual(stamp["code_sha256"], notebook_outputs.code_sha256(ran))
        self.assertEqual(stamp["mode"], "full")
        self.assertEqual(stamp["wall_seconds"], 12)
        self.assertEqual(stamp["go"], "go1.27.4")
        self.assertRegex(stamp["executed"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(stamp["cpu"], notebook_outputs.cpu_info())
        self.assertEqual(stamp["models"], MODELS)
        # The wall time plus the cached judge's 30 s; the model trained in the run.
        self.assertEqual(stamp["from_scratch_seconds"], 42)
        self.assertEqual(out["cells"][2]["outputs"], ran["cells"][2]["outputs"])
        self.assertEqual(out["cells"][2]["execution_count"], 2)
        self.assertEqual(out["cells"][0]["id"], "keep-me")
        for cell in out["cells"]:
            self.assertNotIn("execution", cell["metadata"], "per-cell timestamps kept")
        self.assertEqual(out["metadata"]["language_info"]["version"], "go1.27.4")
        self.assertNotIn("vaekit", committed["metadata"], "stamped modified its input")
        other = copy.deepcopy(committed)
        other["cells"][2]["source"] = ["%%\n", "fmt.Println(2)\n"]
        with self.assertRaisesRegex(ValueError, "cell 3 of the executed notebook differs"):
            notebook_outputs.stamped(other, ran, 1, "go", [])
        with self.assertRaisesRegex(ValueError, "has 3 cells, the notebook 2"):
            notebook_outputs.stamped(notebook(*committed["cells"][:2]), ran, 1, "go", [])
        no_markdown = copy.deepcopy(ran)
        del no_markdown["cells"][0]
        with self.assertRaisesRegex(ValueError, "no markdown cell"):
            notebook_outputs.stamped(unexecuted(no_markdown), no_markdown, 1, "go", [])

    def test_from_scratch_seconds(self):
        cached = dict(MODELS[1], from_cache=True)
        self.assertEqual(notebook_outputs.from_scratch_seconds(40, [MODELS[1]]), 40, "a model trained in the run counted twice")
        self.assertEqual(notebook_outputs.from_scratch_seconds(40, [cached, MODELS[0]]), 670)
        self.assertEqual(notebook_outputs.from_scratch_seconds(40.6, []), 41)

    def test_header(self):
        ran = executed_notebook()
        out = notebook_outputs.stamped(unexecuted(ran), ran, 100, "go1.27.4", [dict(MODELS[1], from_cache=True)], cpu=CPU)
        want = ("*From scratch: about 12 min on a 2-core AMD EPYC with AVX-512 "
                "(training 10 min; 100 s with its models in the model cache).*")
        self.assertEqual(out["cells"][0]["source"], ["# Title\n", "Some prose.\n", "\n", want])
        self.assertEqual(notebook_outputs.code_sha256(out), notebook_outputs.code_sha256(ran), "the header changed the hash")
        # Stamped again: the paragraph is replaced, wrapped lines and all, not appended.
        again = copy.deepcopy(ran)
        again["cells"][0]["source"] = ["# Title\n", "\n", "*From scratch: about 3 min\n", "on a laptop.*\n", "\n",
                                       "More prose.\n"]
        again = notebook_outputs.stamped(unexecuted(again), again, 5000, "go1.27.4", [], cpu=dict(CPU, cores=4, avx512=False))
        self.assertEqual(text_of(again["cells"][0]),
                         "# Title\n\n*From scratch: about 83 min on a 4-core AMD EPYC without AVX-512.*\n\nMore prose.\n")
        # Only the first markdown cell carries it.
        two = notebook(markdown("# Title"), code("%%", stdout("1\n")), markdown("*From scratch: old*"))
        two = notebook_outputs.stamped(unexecuted(two), two, 1, "go", [], cpu=CPU)
        self.assertEqual(text_of(two["cells"][0]), "# Title\n\n*From scratch: about 1 s on a 2-core AMD EPYC with AVX-512.*")
        self.assertEqual(text_of(two["cells"][2]), "*From scratch: old*")
        # A source stored as one string stays one string.
        one = executed_notebook()
        one["cells"][0]["source"] = "# Title\n\n*From scratch: old*\n"
        one = notebook_outputs.stamped(unexecuted(one), one, 130, "go", [], cpu=CPU)
        self.assertEqual(one["cells"][0]["source"], "# Title\n\n*From scratch: about 2 min on a 2-core AMD EPYC with AVX-512.*\n")

    def test_durations_and_cpu_words(self):
        cases = {0: "0 s", 40: "40 s", 119: "119 s", 120: "2 min", 700: "12 min", 89 * 60: "89 min",
                 90 * 60: "1 h 30 min", 3 * 3600 + 7 * 60: "3 h 5 min", 7200: "2 h"}
        for seconds, want in cases.items():
            self.assertEqual(notebook_outputs.duration(seconds), want)
        self.assertEqual(notebook_outputs.cpu_words({"model": "Intel(R) Xeon(R) CPU @ 2.20GHz", "cores": 4, "avx512": True}),
                         "4-core Intel Xeon @ 2.20GHz with AVX-512")
        self.assertEqual(notebook_outputs.cpu_words({"model": "AMD EPYC 7B13 64-Core Processor", "cores": 2, "avx512": False}),
                         "2-core AMD EPYC 7B13 without AVX-512")

    def test_cpu_info(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "cpuinfo")
            with open(path, "w") as f:
                f.write("processor\t: 0\nmodel name\t: AMD EPYC 9B45\nflags\t\t: fpu sse2 avx2 avx512f avx512bw\n\n"
                        "processor\t: 1\nmodel name\t: AMD EPYC 9B45\nflags\t\t: fpu\n")
            self.assertEqual(notebook_outputs.cpu_info(path),
                             {"model": "AMD EPYC 9B45", "cores": os.cpu_count(), "avx512": True})
            with open(path, "w") as f:
                f.write("model name\t: Intel Xeon\nflags\t\t: fpu avx2 avx512_vnni\n")
            self.assertFalse(notebook_outputs.cpu_info(path)["avx512"], "avx512_vnni is not AVX-512F")
            info = notebook_outputs.cpu_info(os.path.join(tmp, "missing"))
            self.assertTrue(info["model"])
            self.assertFalse(info["avx512"])

    def test_read_models(self):
        got = models(record_line("vae-b", train_seconds=12.34),
                     "",
                     record_line("vae-a", train_seconds=500, from_cache=True),
                     record_line("vae-b", train_seconds=12.34, from_cache=True),
                     record_line("judge-mnist", kind="judge", train_seconds=30, from_cache=True),
                     record_line("vae-a", train_seconds=500, from_cache=True))
        self.assertEqual(got, [
            {"entry": "judge-mnist", "kind": "judge", "training_format": 1, "train_seconds": 30.0, "from_cache": True},
            {"entry": "vae-a", "kind": "model", "training_format": 1, "train_seconds": 500.0, "from_cache": True},
            {"entry": "vae-b", "kind": "model", "training_format": 1, "train_seconds": 12.3, "from_cache": False},
        ])
        # Loaded first, trained later (a cell of another notebook finished it meanwhile): trained.
        got = models(record_line("vae-a", train_seconds=9, from_cache=True), record_line("vae-a", train_seconds=700))
        self.assertEqual(got[0]["from_cache"], False)
        self.assertEqual(got[0]["train_seconds"], 700.0)
        self.assertEqual(models(), [])
        bad = {
            ":2: not JSON": ['{"kind": "model"', "{not json"],
            ":1: expected a JSON object": ["[1, 2]"],
            "entry None": [json.dumps({"kind": "model", "training_format": 1, "train_seconds": 1, "from_cache": False})],
            "entry 'a/b'": [record_line("a/b")],
            "kind 'encoder', expected one of model, judge": [record_line("vae-a", kind="encoder")],
            "training_format '1', expected a whole number": [record_line("vae-a", training_format="1")],
            "train_seconds -1": [record_line("vae-a", train_seconds=-1)],
            "train_seconds nan": ['{"kind": "model", "entry": "vae-a", "training_format": 1, "train_seconds": NaN, "from_cache": false}'],
            "from_cache 'no', expected true or false": [record_line("vae-a", from_cache="no")],
        }
        for contains, lines in bad.items():
            with self.subTest(contains):
                if contains.startswith(":2"):
                    lines = [record_line("vae-a"), lines[1]]
                with self.assertRaises(ValueError) as caught:
                    models(*lines)
                self.assertIn(contains, str(caught.exception))
                self.assertIn("nb.models.jsonl:", str(caught.exception), "the message names no file")
        with self.assertRaisesRegex(ValueError, "cannot read the run's model record.*VAEKIT_MODEL_RECORD"):
            notebook_outputs.read_models("/nonexistent/nb.models.jsonl")

    def test_library_training_formats(self):
        with tempfile.TemporaryDirectory() as tmp:
            library(tmp, 3, 7)
            self.assertEqual(notebook_outputs.library_training_formats(tmp), {"model": 3, "judge": 7})
            with open(os.path.join(tmp, "vaekit", "trainingformat.go"), "w") as f:
                f.write("package vaekit\n\n// const TrainingFormat = 2\nvar TrainingFormat = 2\n")
            with self.assertRaisesRegex(ValueError, r"trainingformat.go has no line `const TrainingFormat = N`"):
                notebook_outputs.library_training_formats(tmp)
        with self.assertRaisesRegex(ValueError, "cannot read the library's training format.*trainingformat.go"):
            notebook_outputs.library_training_formats(tmp)
        # This repository's, as CI reads it.
        formats = notebook_outputs.library_training_formats()
        self.assertIsInstance(formats["model"], int)

    def test_verify(self):
        nb = self.fresh()
        self.assertEqual(notebook_outputs.verify_notebook(nb, 1000, FORMATS), [])
        prose = copy.deepcopy(nb)
        prose["cells"][0]["source"][0] = "# A better title\n"
        self.assertEqual(notebook_outputs.verify_notebook(prose, 1000, FORMATS), [], "edited prose failed")
        stamp = lambda n: n["metadata"]["vaekit"]
        cases = {
            "code cells changed": lambda n: n["cells"][2]["source"].append("fmt.Println(3)\n"),
            "no metadata.vaekit": lambda n: n["metadata"].pop("vaekit"),
            "mode 'quick', expected 'full'": lambda n: n["metadata"]["vaekit"].update(mode="quick"),
            "no outputs": lambda n: [c.update(outputs=[]) for c in n["cells"] if c["cell_type"] == "code"],
            "its outputs fail a check: cell 3": lambda n: n["cells"][2]["outputs"].append(ERROR),
            "its outputs fail a check: cell 3 ('// expect-image'): shows a path": lambda n: n["cells"][2]["outputs"].append(
                stdout("saved to /root/.cache/vaekit/models/vae\n")),
            "no `models` list (the models and judges its run used): its outputs predate it; "
            "run `scripts/refresh_notebooks.sh --from-scratch` and commit": lambda n: stamp(n).pop("models"),
            "metadata.vaekit.models: vae-x: train_seconds None": lambda n: stamp(n)["models"].append(
                {"entry": "vae-x", "kind": "model", "training_format": 1, "from_cache": False}),
            "model vae-mlp-mnist-z20-f1-3f9a was trained by training format 0, the library trains format 1: "
            "run `scripts/refresh_notebooks.sh --from-scratch` and commit": lambda n: stamp(n)["models"][1].update(
                training_format=0),
            "judge judge-mnist-0a1b was trained by training format 2, the library trains format 1":
                lambda n: stamp(n)["models"][0].update(training_format=2),
            "no from_scratch_seconds (got None)": lambda n: stamp(n).pop("from_scratch_seconds"),
            "metadata.vaekit.cpu is 'AMD EPYC', expected {model, cores, avx512}": lambda n: stamp(n).update(cpu="AMD EPYC"),
            "metadata.vaekit.cpu is {'model': 'AMD EPYC', 'cores': 2}": lambda n: stamp(n)["cpu"].pop("avx512"),
            "its first markdown cell has no line starting '*From scratch:'": lambda n: n["cells"][0].update(
                source=["# Title\n"]),
        }
        for contains, edit in cases.items():
            with self.subTest(contains):
                broken = copy.deepcopy(nb)
                edit(broken)
                problems = notebook_outputs.verify_notebook(broken, 1000, FORMATS)
                self.assertTrue(any(contains in p for p in problems), problems)
        problems = notebook_outputs.verify_notebook(nb, notebook_outputs.MAX_BYTES + 1, FORMATS)
        self.assertTrue(any("over the limit" in p for p in problems), problems)
        # After a bump of the library's format every model fails; a judge of its own format not.
        problems = notebook_outputs.verify_notebook(nb, 1000, {"model": 2, "judge": 1})
        self.assertEqual(problems, ["model vae-mlp-mnist-z20-f1-3f9a was trained by training format 1, the library "
                                    "trains format 2: run `scripts/refresh_notebooks.sh --from-scratch` and commit"])
        problems = notebook_outputs.verify_notebook(nb, 1000, {"model": 1, "judge": 4})
        self.assertEqual(problems, ["judge judge-mnist-0a1b was trained by training format 1, the judge package "
                                    "trains format 4: run `scripts/refresh_notebooks.sh --from-scratch` and commit"])
        # A run that used no model has an empty list: fine.
        empty = copy.deepcopy(nb)
        stamp(empty)["models"] = []
        self.assertEqual(notebook_outputs.verify_notebook(empty, 1000, FORMATS), [])

    def run_script(self, *args):
        return subprocess.run([sys.executable, os.path.join(SCRIPTS, "notebook_outputs.py"), *args],
                              capture_output=True, text=True)

    def test_verify_command(self):
        with tempfile.TemporaryDirectory() as tmp:
            root = library(os.path.join(tmp, "repo"))
            path = os.path.join(tmp, "nb.ipynb")
            with open(path, "w") as f:
                f.write(notebook_outputs.dumps(self.fresh()))
            result = self.run_script("verify", "--root", root, path)
            self.assertEqual(result.returncode, 0, result.stdout)
            nb = self.fresh()
            nb["cells"][1]["source"] = ["import \"math\"\n"]
            with open(path, "w") as f:
                f.write(notebook_outputs.dumps(nb))
            result = self.run_script("verify", "--root", root, path)
            self.assertEqual(result.returncode, 1, result.stdout)
            self.assertIn(f"FAIL {path}", result.stdout)
            self.assertIn(f"Run `scripts/refresh_notebooks.sh {path}`", result.stdout)
            # The library trains another format now.
            with open(path, "w") as f:
                f.write(notebook_outputs.dumps(self.fresh()))
            library(root, 2)
            result = self.run_script("verify", "--root", root, path)
            self.assertEqual(result.returncode, 1, result.stdout)
            self.assertIn("was trained by training format 1, the library trains format 2: "
                          "run `scripts/refresh_notebooks.sh --from-scratch` and commit", result.stdout)
            self.assertIn("Run `scripts/refresh_notebooks.sh --from-scratch` (every notebook", result.stdout)
            # No format to compare with: a clear failure, not a pass.
            os.unlink(os.path.join(root, "vaekit", "trainingformat.go"))
            result = self.run_script("verify", "--root", root, path)
            self.assertEqual(result.returncode, 1, result.stdout)
            self.assertIn("cannot read the library's training format", result.stdout)

    def test_entries_command(self):
        with tempfile.TemporaryDirectory() as tmp:
            a, b = os.path.join(tmp, "a.models.jsonl"), os.path.join(tmp, "b.models.jsonl")
            with open(a, "w") as f:
                f.write(record_line("vae-b") + "\n" + record_line("judge-x", kind="judge") + "\n")
            with open(b, "w") as f:
                f.write(record_line("vae-b", from_cache=True) + "\n" + record_line("vae-a") + "\n")
            result = self.run_script("entries", a, b)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(result.stdout, "judge-x\nvae-a\nvae-b\n")
            with open(b, "a") as f:
                f.write("{broken\n")
            result = self.run_script("entries", a, b)
            self.assertEqual(result.returncode, 1)
            self.assertEqual(result.stdout, "")
            self.assertIn(f"{b}:3: not JSON", result.stderr)

    def test_stamp_command(self):
        with tempfile.TemporaryDirectory() as tmp:
            path, snapshot, executed = (os.path.join(tmp, n) for n in ("nb.ipynb", "snap.ipynb", "ran.ipynb"))
            root, record = library(os.path.join(tmp, "repo")), os.path.join(tmp, "ran.models.jsonl")
            committed = notebook_outputs.dumps(unexecuted(executed_notebook()))
            for p, data in ((path, committed), (snapshot, committed), (executed, json.dumps(executed_notebook()))):
                with open(p, "w") as f:
                    f.write(data)
            os.chmod(path, 0o640)
            args = ["stamp", "--executed", executed, "--snapshot", snapshot, "--wall-seconds", "7", "--go", "go1.27.4",
                    "--models", record, "--root", root, path]

            # Edited while it ran: left as it is.
            with open(path, "a") as f:
                f.write(" ")
            result = self.run_script(*args)
            self.assertEqual(result.returncode, 1, result.stdout)
            self.assertIn("changed while it ran", result.stdout)
            with open(path) as f:
                self.assertEqual(f.read(), committed + " ")

            def left_as_it_is(message):
                result = self.run_script(*args)
                self.assertEqual(result.returncode, 1, result.stdout)
                self.assertIn(message, result.stdout)
                with open(path) as f:
                    self.assertEqual(f.read(), committed)

            # An executed copy that fails a check: left as it is.
            with open(path, "w") as f:
                f.write(committed)
            failing = executed_notebook()
            failing["cells"][2]["outputs"] = [ERROR]
            with open(executed, "w") as f:
                json.dump(failing, f)
            left_as_it_is("left as it is")

            # No model record (the helper wrote none): left as it is.
            with open(executed, "w") as f:
                json.dump(executed_notebook(), f)
            left_as_it_is("left as it is: cannot read the run's model record")

            # Models of another format than the library's (it changed while the run went on).
            with open(record, "w") as f:
                f.write(record_line("vae-a", training_format=0) + "\n")
            left_as_it_is("was trained by training format 0, the library trains format 1")

            # A good run: written, stamped, verified, mode kept.
            with open(record, "w") as f:
                f.write(record_line("vae-a", train_seconds=3) + "\n" + record_line("vae-a", train_seconds=3, from_cache=True)
                        + "\n" + record_line("judge-x", kind="judge", train_seconds=20, from_cache=True) + "\n")
            result = self.run_script(*args)
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            self.assertEqual(os.stat(path).st_mode & 0o777, 0o640)
            with open(path) as f:
                written = f.read()
            nb = json.loads(written)
            self.assertEqual(written, notebook_outputs.dumps(nb), "not in nbformat's layout")
            self.assertEqual(nb["metadata"]["vaekit"]["wall_seconds"], 7)
            self.assertEqual(nb["metadata"]["vaekit"]["from_scratch_seconds"], 27)
            self.assertEqual([(m["entry"], m["from_cache"]) for m in nb["metadata"]["vaekit"]["models"]],
                             [("judge-x", True), ("vae-a", False)])
            self.assertIn("2 models (1 trained in this run), from scratch 27 s", result.stdout)
            self.assertTrue(text_of(nb["cells"][0]).endswith("\n\n*From scratch: about 27 s on a "
                                                             f"{notebook_outputs.cpu_words(notebook_outputs.cpu_info())} "
                                                             "(training 23 s; 4 s with its models in the model cache).*"))
            self.assertEqual(self.run_script("verify", "--root", root, path).returncode, 0)
            self.assertEqual([n for n in os.listdir(tmp) if n.startswith(".refresh-")], [], "temporary file left")

            # unstamp removes the stamp, and verify then fails.
            self.assertEqual(self.run_script("unstamp", path).returncode, 0)
            with open(path) as f:
                self.assertNotIn("vaekit", json.load(f)["metadata"])
            self.assertEqual(self.run_script("verify", "--root", root, path).returncode, 1)


if __name__ == "__main__":
    unittest.main()
