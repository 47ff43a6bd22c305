#!/usr/bin/env python3
"""Tests of scripts/check_notebook.py on small notebooks built here: every rule has a case that passes and one that fails.

Run: python3 -m unittest discover -s scripts -p '*_test.py'   (scripts/test.sh does)
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_notebook  # noqa: E402

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
        # Prose that mentions a check is no claim.
        problems, summary = check_notebook.check_notebook(notebook(code("%%", stdout("a sanity check: fine\n"))))
        self.assertEqual(problems, [])
        self.assertIn("0 checks", summary)

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


if __name__ == "__main__":
    unittest.main()
