#!/usr/bin/env python3
"""Checks executed Jupyter notebooks; exits non-zero if any check fails.

Usage: check_notebook.py [--quick] EXECUTED.ipynb...

Rules (standard library only, works with any python3 >= 3.8):
  * no output of type "error" anywhere (compile errors, panics, non-zero exits);
  * every non-empty code cell was executed (has an execution_count);
  * nothing written to stderr: a clean run prints no warnings, log lines or toolchain
    notes. A cell whose source has a line `// allow-stderr` may write to stderr;
  * a code cell with a line `// expect-output` produced at least one output;
  * a code cell with a line `// expect-image` displayed at least one image, one with
    `// expect-images: N` exactly N. An image is an output holding image/png, image/jpeg,
    image/gif, image/svg+xml, or text/html containing <img or <svg; each output counts
    once (GoNB's live plots rewrite one output in place);
  * any other line starting `// expect-` or `// allow-` is an error: a misspelt marker
    would silently turn its check off;
  * the training summaries nb.Train prints (vaekit/nb):
      `<model> after <steps> steps: held-out reconstruction R + KL K = N nats per image
      (negative ELBO); A active units` (or `A of L active units`)
    are read: every number finite, R > 0 and K >= 0 (a negative log-likelihood of
    continuous pixels and a KL divergence), R + K = N within 0.15 (each is printed
    rounded to 0.1), 0 <= A (<= L when L is printed). With --quick (the small budgets
    CI runs), also 0 < N < 800 nats: see QUICK_MAX_NEG_ELBO. A `%%` cell that calls
    nb.Train or nb.TrainAndWatch must print at least one summary, so a change of the
    line's format cannot turn these checks off unnoticed;
  * claim lines: a line containing `check:` and `FAILED` fails the notebook; a line
    starting with `check:` is a claim (vaekit/nb prints them) and must end in its
    verdict, `ok`; with --quick a claim may instead end in QUICK_UNCHECKED (quick mode's
    budgets are too small for results to hold: they are checked in full mode);
  * hygiene of what the outputs show (they are committed and published): no absolute
    path of the machine that ran them (/work/, /tmp/, /root/, /home/), no IPv4 address
    (a resolver's or a host's, as Go's network errors print them), and every image
    embedded in an SVG (`<image href="data:image/T;base64,...">`) labelled with the type
    its bytes are: a PNG labelled image/jpg is drawn by some viewers and not by others.
    Base64 payloads (data: URIs) are not searched for paths or addresses.
"""

import argparse
import base64
import binascii
import html as htmllib
import json
import math
import re
import sys

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
TAGS = re.compile(r"<[^>]+>")
STYLE = re.compile(r"<(style|script)\b.*?</\1>", re.S | re.I)
IMAGE_MIMES = ("image/png", "image/jpeg", "image/gif", "image/svg+xml")

# Cell markers: a source line that is exactly one of these (spaces allowed around).
EXPECT_OUTPUT = re.compile(r"^//\s*expect-output\s*$")
EXPECT_IMAGE = re.compile(r"^//\s*expect-image\s*$")
EXPECT_IMAGES = re.compile(r"^//\s*expect-images:\s*(\d+)\s*$")
ALLOW_STDERR = re.compile(r"^//\s*allow-stderr\s*$")
ANY_MARKER = re.compile(r"^//\s*(expect|allow)-")

# The line nb.Train prints (vaekit/nb/nb.go, TrainAndWatch). Numbers are taken as any
# token so that NaN and +Inf lines are read (and fail) instead of being skipped.
SUMMARY = re.compile(
    r"(?P<model>\S+) after (?P<steps>\S+) steps: held-out reconstruction (?P<rec>\S+)"
    r" \+ KL (?P<kl>\S+) = (?P<nelbo>\S+) nats per image \(negative ELBO\)(?: of (?P<values>\d+) values)?;"
    r" (?P<active>\S+)(?: of (?P<latent>\S+))? active units")
SUMMARY_HINT = "nats per image (negative ELBO)"
TRAINING_CALL = re.compile(r"\bnb\.(Train|TrainAndWatch)\(")

# Quick mode's bound on the held-out negative ELBO, in nats per image. Untrained, a
# Bernoulli decoder scores about 545-760 nats on MNIST (784 ln 2 = 543 when every pixel
# is predicted at 0.5); the squared-error decoder's term is the squared error plus
# 0.5 * 784 * ln(pi) = 448.7, about 645 untrained (outputs near 0.5: at most 0.25 a
# pixel). Every quick-mode model trains from there for 20-150 steps, so a score above
# 800 means training went backwards. (The unit-variance Gaussian decoder adds
# 0.5 * 784 * ln(2 pi) = 720.4 and would need a wider bound; no notebook uses it.)
# Images of another size or more channels scale the bound by their values per image
# (the summary says how many; 784 when it does not).
QUICK_MAX_NEG_ELBO = 800.0
MNIST_VALUES = 784
# R + K and N are each printed rounded to 0.1: they can disagree by 3 * 0.05.
SUM_TOLERANCE = 0.15


def text(value):
    return "".join(value) if isinstance(value, list) else (value or "")


def source_lines(source):
    return [line.strip() for line in source.splitlines()]


def is_image(out):
    """Reports whether one output shows a picture."""
    data = out.get("data") or {}
    if any(m in data for m in IMAGE_MIMES):
        return True
    html = text(data.get("text/html")).lower()
    return "<img" in html or "<svg" in html


def first_line(source):
    for line in source.splitlines():
        if line.strip():
            return line.strip()[:80]
    return "(empty)"


def stream_text(outputs, name):
    return "".join(text(o.get("text")) for o in outputs
                   if o.get("output_type") == "stream" and o.get("name") == name)


def plain_html(html):
    plain = htmllib.unescape(TAGS.sub("", STYLE.sub("", html)))
    return re.sub(r"\n\s*\n+", "\n", plain).strip()


class Markers:
    """The check markers of one cell's source, and any line that looks like a marker
    but is none."""

    def __init__(self, source):
        self.output = self.image = self.allow_stderr = False
        self.images = None  # Exact count from `// expect-images: N`.
        self.unknown = []
        for line in source_lines(source):
            if EXPECT_OUTPUT.match(line):
                self.output = True
            elif EXPECT_IMAGE.match(line):
                self.image = True
            elif EXPECT_IMAGES.match(line):
                self.images = int(EXPECT_IMAGES.match(line).group(1))
            elif ALLOW_STDERR.match(line):
                self.allow_stderr = True
            elif ANY_MARKER.match(line):
                self.unknown.append(line)


def parse_number(token, integer=False):
    """Returns the number a Go %.1f or %d printed (NaN and +Inf included), or None."""
    try:
        return int(token) if integer else float(token)
    except ValueError:
        return None


def check_summary(line, quick):
    """Returns the problems of one training summary line (empty when it holds)."""
    m = SUMMARY.search(line)
    if not m:
        return [f"unreadable training summary (expected the format of vaekit/nb's Train): {line!r}"]
    problems = []
    steps = parse_number(m["steps"], integer=True)
    rec, kl, nelbo = (parse_number(m[k]) for k in ("rec", "kl", "nelbo"))
    active = parse_number(m["active"], integer=True)
    latent = parse_number(m["latent"], integer=True) if m["latent"] else None
    numbers = {"steps": steps, "reconstruction": rec, "KL": kl, "negative ELBO": nelbo,
               "active units": active}
    if m["latent"]:
        numbers["latent size"] = latent
    bad = [name for name, v in numbers.items() if v is None or not math.isfinite(v)]
    if bad:
        return [f"training summary with non-finite or unreadable {', '.join(bad)}: {line!r}"]
    if steps <= 0:
        problems.append(f"training summary after {steps} steps: {line!r}")
    if rec <= 0:
        problems.append(f"reconstruction term {rec} <= 0 (a negative log-likelihood of continuous pixels is positive): {line!r}")
    if kl < -0.05:
        problems.append(f"KL {kl} < 0 (a KL divergence is never negative): {line!r}")
    if abs(rec + kl - nelbo) > SUM_TOLERANCE + 1e-9:  # (1e-9: float rounding of the sum)
        problems.append(f"reconstruction + KL = {rec + kl:.2f}, but negative ELBO {nelbo} "
                        f"(they agree within {SUM_TOLERANCE} when printed to 0.1): {line!r}")
    if active < 0 or (latent is not None and active > latent):
        limit = f"0..{latent}" if latent is not None else ">= 0"
        problems.append(f"{active} active units, expected {limit}: {line!r}")
    values = int(m["values"]) if m["values"] else MNIST_VALUES
    bound = QUICK_MAX_NEG_ELBO * values / MNIST_VALUES
    if quick and not 0 < nelbo < bound:
        problems.append(f"negative ELBO {nelbo} nats outside quick mode's range (0, {bound:g}) for {values} values per image: "
                        f"{line!r}")
    return problems


# Hygiene of output text. A machine path: one of these roots at the start of a path, not
# inside a word or a URL ("km/h", "https://host/home/page" are not one; "file:///home/x" is).
MACHINE_PATH = re.compile(r"(?<![\w.])/(?:work|tmp|root|home)/[^\s\"'<>]*")
# An IPv4 address, with a port if any: four dotted numbers, not part of a longer dotted
# run or a word ("v1.2.3.4", "go1.27.4", "1.2.3.4.5" are versions); each part <= 255 is
# checked after matching.
IPV4 = re.compile(r"(?<![\w.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?!\d|\.\d)(?::\d+)?")
# A data: URI's base64 payload: random letters and slashes, left out of the searches above.
DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]*")
# An image embedded in SVG (href or xlink:href), with its label and its payload's start.
SVG_IMAGE = re.compile(r"<image\b[^>]*?\bhref\s*=\s*[\"']data:image/([\w.+-]+);base64,([A-Za-z0-9+/=\s]*)",
                       re.I)
# Magic numbers of the image types an SVG viewer draws, and the labels each may carry.
IMAGE_MAGIC = ((b"\x89PNG\r\n\x1a\n", "PNG", ("png",)),
               (b"\xff\xd8\xff", "JPEG", ("jpeg",)),
               (b"GIF8", "GIF", ("gif",)))


def output_texts(out):
    """The text an output shows: its stream text and its textual data (text/*, SVG)."""
    texts = []
    if out.get("output_type") == "stream":
        texts.append(text(out.get("text")))
    for mime, value in (out.get("data") or {}).items():
        if (mime.startswith("text/") or mime == "image/svg+xml") and isinstance(value, (str, list)):
            texts.append(text(value))
    return texts


def image_type(payload):
    """The type (PNG, JPEG, GIF) of the base64 payload's bytes, or None with its first bytes."""
    head = re.sub(r"\s", "", payload)[:24]
    try:
        data = base64.b64decode(head[:len(head) - len(head) % 4])
    except (binascii.Error, ValueError):
        return None, b""
    for magic, name, _ in IMAGE_MAGIC:
        if data.startswith(magic):
            return name, data
    return None, data


def check_hygiene(outputs):
    """Returns the problems of what the outputs show: machine paths, IP addresses,
    mislabelled SVG images (each distinct one once)."""
    problems = []
    for content in (t for out in outputs for t in output_texts(out)):
        for m in SVG_IMAGE.finditer(content):
            label, (kind, head) = m.group(1).lower(), image_type(m.group(2))
            if kind is None:
                problems.append(f"an SVG <image> labelled image/{label} holds no PNG, JPEG or GIF data "
                                f"(first bytes {head[:8]!r})")
            elif label not in next(labels for _, name, labels in IMAGE_MAGIC if name == kind):
                problems.append(f"an SVG <image> labelled image/{label} holds {kind} data: "
                                f"label it image/{kind.lower()}")
        plain = DATA_URI.sub("data:...", content)
        for m in MACHINE_PATH.finditer(plain):
            problems.append(f"shows a path of the machine that ran it, {m.group(0)[:100]!r}: "
                            "committed outputs must not (print it relative to the repository, the cache or $HOME)")
        for m in IPV4.finditer(plain):
            if all(int(part) <= 255 for part in m.groups()):
                problems.append(f"shows an IP address, {m.group(0)!r} (in {context(plain, m)!r}): "
                                "committed outputs must not (a resolver's or host's address of the machine that ran it)")
    return list(dict.fromkeys(problems))


def context(content, m, width=40):
    """The match with up to width characters either side, on one line."""
    return " ".join(content[max(0, m.start() - width):m.end() + width].split())


# The end of a claim that did not hold at quick mode's budget (vaekit/nb's Claim).
QUICK_UNCHECKED = "(checked in full mode)"


def check_claim(line, quick=False):
    """Returns the problem of one line that mentions `check:`, or None when it holds."""
    if "FAILED" in line:
        return f"failed claim: {line.strip()}"
    if not line.lstrip().startswith("check:") or re.search(r"\bok\s*$", line):
        return None
    if quick and line.rstrip().endswith(QUICK_UNCHECKED):
        return None
    if line.rstrip().endswith(QUICK_UNCHECKED):
        return f"claim not checked, in full mode: {line.strip()}"
    return f"claim without a verdict (`ok` or `FAILED` at its end): {line.strip()}"


def check_cell(cell, quick):
    """Returns (problems, images, summaries, claims) of one code cell."""
    source = text(cell.get("source"))
    outputs = cell.get("outputs", [])
    marks = Markers(source)
    problems = [f"unknown marker {line!r} (known: // expect-output, // expect-image, "
                f"// expect-images: N, // allow-stderr)" for line in marks.unknown]
    images = sum(1 for o in outputs if is_image(o))
    if not source.strip():
        return problems, images, 0, 0
    if cell.get("execution_count") is None:
        problems.append("not executed")
    errors = [o for o in outputs if o.get("output_type") == "error"]
    for out in errors:
        tb = "\n".join(ANSI.sub("", line) for line in out.get("traceback", []))
        problems.append(f"error {out.get('ename', '')}: {ANSI.sub('', out.get('evalue', ''))}"
                        + (f"\n{tb}" if tb.strip() else ""))
    stderr = ANSI.sub("", stream_text(outputs, "stderr"))
    if stderr and (not marks.allow_stderr or errors):
        what = "stderr" if marks.allow_stderr else "unexpected stderr (a cell that must write there says `// allow-stderr`)"
        problems.append(f"{what}:\n{stderr[-3000:]}")
    if errors:
        # GoNB shows compile errors as HTML next to the error: include its text.
        for out in outputs:
            html = text((out.get("data") or {}).get("text/html"))
            if html:
                problems.append(f"HTML output:\n{plain_html(html)[:3000]}")
    problems += check_hygiene(outputs)
    if marks.output and not outputs:
        problems.append("marked `// expect-output` but produced no output")
    if marks.image and not images:
        problems.append("marked `// expect-image` but displayed no image")
    if marks.images is not None and images != marks.images:
        problems.append(f"marked `// expect-images: {marks.images}` but displayed {images}")

    summaries = claims = 0
    for line in ANSI.sub("", stream_text(outputs, "stdout") + "\n" + stderr).splitlines():
        if SUMMARY_HINT in line:
            summaries += 1
            problems += check_summary(line, quick)
        if "check:" in line:
            claims += line.lstrip().startswith("check:")
            problem = check_claim(line, quick)
            if problem:
                problems.append(problem)
    main_cell = any(line.startswith("%%") for line in source_lines(source))
    if main_cell and TRAINING_CALL.search(source) and not summaries and not errors:
        problems.append("calls nb.Train but printed no training summary "
                        f"(a line with {SUMMARY_HINT!r}): has vaekit/nb's format changed?")
    return problems, images, summaries, claims


def check_notebook(nb, quick=False):
    """Returns (problems, summary) of an executed notebook given as parsed JSON."""
    problems = []
    n_code = n_outputs = n_images = n_summaries = n_claims = 0
    for index, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        n_code += 1
        n_outputs += len(cell.get("outputs", []))
        cell_problems, images, summaries, claims = check_cell(cell, quick)
        n_images += images
        n_summaries += summaries
        n_claims += claims
        where = f"cell {index} ({first_line(text(cell.get('source')))!r})"
        problems += [f"{where}: {p}" for p in cell_problems]
    summary = (f"{n_code} code cells, {n_outputs} outputs, {n_images} images, "
               f"{n_summaries} training summaries, {n_claims} checks")
    return problems, summary


def check(path, quick=False):
    """Returns (problems, summary) of the executed notebook at path."""
    with open(path, encoding="utf-8") as f:
        nb = json.load(f)
    return check_notebook(nb, quick)


def report(path, problems, summary):
    """Prints the verdict on one notebook."""
    if problems:
        print(f"check_notebook: FAIL {path}: {summary}")
        for p in problems:
            print("  - " + p.replace("\n", "\n    "))
    else:
        print(f"check_notebook: ok   {path}: {summary}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 2)[2])
    parser.add_argument("--quick", action="store_true",
                        help="the notebooks ran in quick mode (VAEKIT_QUICK=1): also check quick-mode ranges")
    parser.add_argument("notebooks", nargs="+", metavar="EXECUTED.ipynb")
    args = parser.parse_args(argv)
    failed = False
    for path in args.notebooks:
        try:
            problems, summary = check(path, args.quick)
        except (OSError, ValueError) as e:
            problems, summary = [f"cannot read notebook: {e}"], ""
        report(path, problems, summary)
        failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
