#!/usr/bin/env python3
"""Checks executed Jupyter notebooks; exits non-zero if any check fails.

Usage: check_notebook.py EXECUTED.ipynb...

Rules (standard library only, works with any python3):
  * no output of type "error" anywhere (compile errors, panics, non-zero exits);
  * every code cell was executed (has an execution_count);
  * a code cell whose source has a line `// expect-output` produced at least one output;
  * a code cell whose source has a line `// expect-image` displayed an image:
    image/png, image/jpeg, image/svg+xml, or text/html containing <img or <svg.
"""

import html as htmllib
import json
import re
import sys

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
TAGS = re.compile(r"<[^>]+>")
STYLE = re.compile(r"<(style|script)\b.*?</\1>", re.S | re.I)
IMAGE_MIMES = ("image/png", "image/jpeg", "image/gif", "image/svg+xml")


def text(value):
    return "".join(value) if isinstance(value, list) else (value or "")


def has_marker(source, marker):
    return any(line.strip().startswith(marker) for line in source.splitlines())


def has_image(outputs):
    for out in outputs:
        data = out.get("data") or {}
        if any(m in data for m in IMAGE_MIMES):
            return True
        html = text(data.get("text/html")).lower()
        if "<img" in html or "<svg" in html:
            return True
    return False


def first_line(source):
    for line in source.splitlines():
        if line.strip():
            return line.strip()[:80]
    return "(empty)"


def check(path):
    with open(path, encoding="utf-8") as f:
        nb = json.load(f)
    problems = []
    n_code = n_outputs = n_images = 0
    for index, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        n_code += 1
        source = text(cell.get("source"))
        outputs = cell.get("outputs", [])
        n_outputs += len(outputs)
        n_images += sum(1 for o in outputs if has_image([o]))
        where = f"cell {index} ({first_line(source)!r})"
        if not source.strip():
            continue
        if cell.get("execution_count") is None:
            problems.append(f"{where}: not executed")
        for out in outputs:
            if out.get("output_type") == "error":
                tb = "\n".join(ANSI.sub("", line) for line in out.get("traceback", []))
                problems.append(f"{where}: error {out.get('ename', '')}: {ANSI.sub('', out.get('evalue', ''))}"
                                + (f"\n{tb}" if tb.strip() else ""))
        if has_marker(source, "// expect-output") and not outputs:
            problems.append(f"{where}: marked `// expect-output` but produced no output")
        if has_marker(source, "// expect-image") and not has_image(outputs):
            problems.append(f"{where}: marked `// expect-image` but displayed no image")
        if any(o.get("output_type") == "error" for o in outputs):
            # GoNB shows compile errors as HTML next to the error: include its text.
            for out in outputs:
                html = text((out.get("data") or {}).get("text/html"))
                if html:
                    plain = htmllib.unescape(TAGS.sub("", STYLE.sub("", html)))
                    plain = re.sub(r"\n\s*\n+", "\n", plain).strip()
                    problems.append(f"{where}: HTML output:\n{plain[:3000]}")
                elif out.get("output_type") == "stream" and out.get("name") == "stderr":
                    problems.append(f"{where}: stderr:\n{ANSI.sub('', text(out.get('text')))[-3000:]}")
    return problems, f"{n_code} code cells, {n_outputs} outputs, {n_images} images"


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    failed = False
    for path in sys.argv[1:]:
        try:
            problems, summary = check(path)
        except (OSError, ValueError) as e:
            problems, summary = [f"cannot read notebook: {e}"], ""
        if problems:
            failed = True
            print(f"check_notebook: FAIL {path}: {summary}")
            for p in problems:
                print("  - " + p.replace("\n", "\n    "))
        else:
            print(f"check_notebook: ok   {path}: {summary}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
