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
        return notebook_outputs.stamped(unexecuted(ran), ran, 12.4, "go1.27.4")

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
        out = notebook_outputs.stamped(committed, ran, 12.4, "go1.27.4")
        stamp = out["metadata"]["vaekit"]
        self.assertEqual(stamp["code_sha256"], notebook_outputs.code_sha256(ran))
        self.assertEqual(stamp["mode"], "full")
        self.assertEqual(stamp["wall_seconds"], 12)
        self.assertEqual(stamp["go"], "go1.27.4")
        self.assertRegex(stamp["executed"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertTrue(stamp["cpu"])
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
            notebook_outputs.stamped(other, ran, 1, "go")
        with self.assertRaisesRegex(ValueError, "has 3 cells, the notebook 2"):
            notebook_outputs.stamped(notebook(*committed["cells"][:2]), ran, 1, "go")

    def test_verify(self):
        nb = self.fresh()
        self.assertEqual(notebook_outputs.verify_notebook(nb, 1000), [])
        prose = copy.deepcopy(nb)
        prose["cells"][0]["source"] = ["# A better title\n"]
        self.assertEqual(notebook_outputs.verify_notebook(prose, 1000), [], "edited prose failed")
        cases = {
            "code cells changed": lambda n: n["cells"][2]["source"].append("fmt.Println(3)\n"),
            "no metadata.vaekit": lambda n: n["metadata"].pop("vaekit"),
            "mode 'quick', expected 'full'": lambda n: n["metadata"]["vaekit"].update(mode="quick"),
            "no outputs": lambda n: [c.update(outputs=[]) for c in n["cells"] if c["cell_type"] == "code"],
            "its outputs fail a check: cell 3": lambda n: n["cells"][2]["outputs"].append(ERROR),
        }
        for contains, edit in cases.items():
            with self.subTest(contains):
                broken = copy.deepcopy(nb)
                edit(broken)
                problems = notebook_outputs.verify_notebook(broken, 1000)
                self.assertTrue(any(contains in p for p in problems), problems)
        problems = notebook_outputs.verify_notebook(nb, notebook_outputs.MAX_BYTES + 1)
        self.assertTrue(any("over the limit" in p for p in problems), problems)

    def run_script(self, *args):
        return subprocess.run([sys.executable, os.path.join(SCRIPTS, "notebook_outputs.py"), *args],
                              capture_output=True, text=True)

    def test_verify_command(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "nb.ipynb")
            with open(path, "w") as f:
                f.write(notebook_outputs.dumps(self.fresh()))
            result = self.run_script("verify", path)
            self.assertEqual(result.returncode, 0, result.stdout)
            nb = self.fresh()
            nb["cells"][1]["source"] = ["import \"math\"\n"]
            with open(path, "w") as f:
                f.write(notebook_outputs.dumps(nb))
            result = self.run_script("verify", path)
            self.assertEqual(result.returncode, 1, result.stdout)
            self.assertIn(f"FAIL {path}", result.stdout)
            self.assertIn(f"Run `scripts/refresh_notebooks.sh {path}`", result.stdout)

    def test_stamp_command(self):
        with tempfile.TemporaryDirectory() as tmp:
            path, snapshot, executed = (os.path.join(tmp, n) for n in ("nb.ipynb", "snap.ipynb", "ran.ipynb"))
            committed = notebook_outputs.dumps(unexecuted(executed_notebook()))
            for p, data in ((path, committed), (snapshot, committed), (executed, json.dumps(executed_notebook()))):
                with open(p, "w") as f:
                    f.write(data)
            os.chmod(path, 0o640)
            args = ["stamp", "--executed", executed, "--snapshot", snapshot, "--wall-seconds", "7", "--go", "go1.27.4", path]

            # Edited while it ran: left as it is.
            with open(path, "a") as f:
                f.write(" ")
            result = self.run_script(*args)
            self.assertEqual(result.returncode, 1, result.stdout)
            self.assertIn("changed while it ran", result.stdout)
            with open(path) as f:
                self.assertEqual(f.read(), committed + " ")

            # An executed copy that fails a check: left as it is.
            with open(path, "w") as f:
                f.write(committed)
            failing = executed_notebook()
            failing["cells"][2]["outputs"] = [ERROR]
            with open(executed, "w") as f:
                json.dump(failing, f)
            result = self.run_script(*args)
            self.assertEqual(result.returncode, 1, result.stdout)
            self.assertIn("left as it is", result.stdout)
            with open(path) as f:
                self.assertEqual(f.read(), committed)

            # A good run: written, stamped, verified, mode kept.
            with open(executed, "w") as f:
                json.dump(executed_notebook(), f)
            result = self.run_script(*args)
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            self.assertEqual(os.stat(path).st_mode & 0o777, 0o640)
            with open(path) as f:
                written = f.read()
            nb = json.loads(written)
            self.assertEqual(written, notebook_outputs.dumps(nb), "not in nbformat's layout")
            self.assertEqual(nb["metadata"]["vaekit"]["wall_seconds"], 7)
            self.assertEqual(self.run_script("verify", path).returncode, 0)
            self.assertEqual([n for n in os.listdir(tmp) if n.startswith(".refresh-")], [], "temporary file left")

            # unstamp removes the stamp, and verify then fails.
            self.assertEqual(self.run_script("unstamp", path).returncode, 0)
            with open(path) as f:
                self.assertNotIn("vaekit", json.load(f)["metadata"])
            self.assertEqual(self.run_script("verify", path).returncode, 1)


if __name__ == "__main__":
    unittest.main()
