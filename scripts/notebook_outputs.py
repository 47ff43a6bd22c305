#!/usr/bin/env python3
"""The committed notebooks' outputs: their stamp, and whether they match the code.

The notebooks under notebooks/ are committed with the outputs of a full-mode run. Each
carries a stamp, metadata.vaekit, written by scripts/refresh_notebooks.sh:

  code_sha256   SHA-256 of its code cells' sources (see code_sha256): editing prose keeps
                the outputs valid, editing code does not
  mode          "full"
  executed      when it ran (UTC, ISO 8601)
  wall_seconds  how long the run took
  go, cpu       the Go toolchain and the CPU it ran on

Usage:
  notebook_outputs.py hash NOTEBOOK.ipynb...
      prints the code hash of each notebook
  notebook_outputs.py verify [NOTEBOOK.ipynb...]
      checks committed notebooks (default: every one under notebooks/): stamp present,
      hash equal to the code's, mode full, outputs that pass scripts/check_notebook.py,
      file under MAX_BYTES. CI runs it (scripts/test.sh)
  notebook_outputs.py stamp --executed EXECUTED.ipynb --snapshot SNAPSHOT.ipynb
                            --wall-seconds N --go VERSION NOTEBOOK.ipynb
      writes the outputs of EXECUTED (a run of SNAPSHOT, the notebook's bytes when the
      run began) into NOTEBOOK with a fresh stamp; refuses if NOTEBOOK changed meanwhile
  notebook_outputs.py unstamp NOTEBOOK.ipynb...
      removes the stamp (run_notebooks.sh does, from its executed copies: the stamp
      describes the committed run, not theirs)

Standard library only.
"""

import argparse
import datetime
import hashlib
import json
import os
import platform
import sys
import tempfile

import check_notebook

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STAMP = "vaekit"
# A committed notebook must stay well under 1 MB (issue 13): pictures as compact PNG.
MAX_BYTES = 1_000_000
REFRESH = "scripts/refresh_notebooks.sh"
text = check_notebook.text


def code_sources(nb):
    """The sources of the notebook's non-empty code cells, in order, with newlines
    normalised to \\n and trailing white space dropped: what the outputs depend on."""
    out = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = text(cell.get("source")).replace("\r\n", "\n").replace("\r", "\n").rstrip()
        if source:
            out.append(source)
    return out


def code_sha256(nb):
    """SHA-256 (hex) of the code cells' sources, as a JSON list (no ambiguity where one
    cell ends and the next begins)."""
    data = json.dumps(code_sources(nb), ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def dumps(nb):
    """The notebook as nbformat writes it (so that Jupyter's saves change nothing)."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def write_atomically(path, data):
    """Writes data to path through a temporary file in its directory, keeping its mode:
    an interrupted write leaves the old file whole."""
    directory = os.path.dirname(os.path.abspath(path))
    mode = os.stat(path).st_mode & 0o777 if os.path.exists(path) else 0o644
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".refresh-", suffix=".ipynb")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def cpu_model():
    """The CPU's model name (as lscpu's "Model name"), or what platform knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def verify_notebook(nb, size=None):
    """Returns the problems of a committed notebook (parsed JSON; size its file's bytes)."""
    stamp = (nb.get("metadata") or {}).get(STAMP)
    if not isinstance(stamp, dict):
        return ["no metadata.vaekit: its outputs were never refreshed"]
    problems = []
    if stamp.get("code_sha256") != code_sha256(nb):
        problems.append("its code cells changed since its outputs were produced "
                        f"(metadata.vaekit.code_sha256 {str(stamp.get('code_sha256'))[:12]}..., "
                        f"code {code_sha256(nb)[:12]}...)")
    if stamp.get("mode") != "full":
        problems.append(f"its outputs come from mode {stamp.get('mode')!r}, expected 'full'")
    if not any(cell.get("outputs") for cell in nb.get("cells", [])):
        problems.append("it has no outputs")
    if size is not None and size > MAX_BYTES:
        problems.append(f"it is {size:,} bytes, over the limit of {MAX_BYTES:,}: show pictures as PNG, fewer or smaller")
    checks, _ = check_notebook.check_notebook(nb, quick=False)
    problems += [f"its outputs fail a check: {p}" for p in checks]
    return problems


def notebooks_under(directory):
    """Every notebook under directory, sorted, checkpoints skipped."""
    found = []
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = sorted(d for d in dirnames if d != ".ipynb_checkpoints")
        found += [os.path.join(dirpath, f) for f in filenames if f.endswith(".ipynb")]
    return sorted(found)


def cmd_verify(paths):
    if not paths:
        paths = [os.path.relpath(p) for p in notebooks_under(os.path.join(ROOT, "notebooks"))]
        if not paths:
            print("notebook_outputs: no notebooks under notebooks/")
            return 1
    failed = 0
    for path in paths:
        try:
            problems = verify_notebook(load(path), os.path.getsize(path))
        except (OSError, ValueError) as e:
            problems = [f"cannot read it: {e}"]
        if problems:
            failed += 1
            print(f"notebook_outputs: FAIL {path}:")
            for p in problems:
                print("  - " + p.replace("\n", "\n    "))
            print(f"  Run `{REFRESH} {path}` (full mode) and commit the refreshed notebook.")
        else:
            print(f"notebook_outputs: ok   {path}")
    if failed:
        print(f"notebook_outputs: {failed} of {len(paths)} committed notebook(s) lack current full-mode outputs")
    return 1 if failed else 0


def stamped(snapshot, executed, wall_seconds, go_version, now=None):
    """The snapshot notebook with the executed run's outputs and a new stamp.

    Everything but the code cells' outputs and execution counts, the kernel's
    language_info and the stamp is the snapshot's, byte for byte; nbclient's per-cell
    execution timestamps are left out, so that a refresh that changes nothing else
    changes only the stamp."""
    cells, ran = snapshot.get("cells", []), executed.get("cells", [])
    if len(cells) != len(ran):
        raise ValueError(f"the executed notebook has {len(ran)} cells, the notebook {len(cells)}")
    out = json.loads(json.dumps(snapshot))
    for i, (cell, run) in enumerate(zip(out["cells"], ran), start=1):
        if cell.get("cell_type") != run.get("cell_type") or text(cell.get("source")) != text(run.get("source")):
            raise ValueError(f"cell {i} of the executed notebook differs from the notebook's")
        if cell.get("cell_type") == "code":
            cell["outputs"] = run.get("outputs", [])
            cell["execution_count"] = run.get("execution_count")
            cell.get("metadata", {}).pop("execution", None)
    metadata = out.setdefault("metadata", {})
    if "language_info" in executed.get("metadata", {}):
        metadata["language_info"] = executed["metadata"]["language_info"]
    now = now or datetime.datetime.now(datetime.timezone.utc)
    metadata[STAMP] = {
        "code_sha256": code_sha256(out),
        "mode": "full",
        "executed": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "wall_seconds": int(wall_seconds),
        "go": go_version,
        "cpu": cpu_model(),
    }
    return out


def cmd_stamp(args):
    path = args.notebook
    with open(args.snapshot, "rb") as f:
        before = f.read()
    with open(path, "rb") as f:
        if f.read() != before:
            print(f"notebook_outputs: {path} changed while it ran; left as it is "
                  f"(the run's executed copy: {args.executed})")
            return 1
    try:
        nb = stamped(json.loads(before.decode("utf-8")), load(args.executed), args.wall_seconds, args.go)
    except (OSError, ValueError) as e:
        print(f"notebook_outputs: {path} left as it is: {e}")
        return 1
    data = dumps(nb)
    problems = verify_notebook(nb, len(data.encode("utf-8")))
    if problems:
        print(f"notebook_outputs: {path} left as it is, its executed copy fails:")
        for p in problems:
            print("  - " + p.replace("\n", "\n    "))
        return 1
    write_atomically(path, data)
    print(f"notebook_outputs: refreshed {path} ({len(data.encode('utf-8')):,} bytes, "
          f"code {nb['metadata'][STAMP]['code_sha256'][:12]})")
    return 0


def cmd_unstamp(paths):
    for path in paths:
        nb = load(path)
        if STAMP in nb.get("metadata", {}):
            del nb["metadata"][STAMP]
            write_atomically(path, dumps(nb))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("hash", help="print the code hash of notebooks")
    p.add_argument("notebooks", nargs="+")
    p = sub.add_parser("verify", help="check committed notebooks' outputs against their code")
    p.add_argument("notebooks", nargs="*")
    p = sub.add_parser("stamp", help="write an executed run's outputs into a notebook")
    p.add_argument("--executed", required=True)
    p.add_argument("--snapshot", required=True)
    p.add_argument("--wall-seconds", type=float, required=True)
    p.add_argument("--go", required=True, help="the Go version the notebook ran with")
    p.add_argument("notebook")
    p = sub.add_parser("unstamp", help="remove the stamp from executed copies")
    p.add_argument("notebooks", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "hash":
        for path in args.notebooks:
            print(f"{code_sha256(load(path))}  {path}")
        return 0
    if args.command == "verify":
        return cmd_verify(args.notebooks)
    if args.command == "stamp":
        return cmd_stamp(args)
    return cmd_unstamp(args.notebooks)


if __name__ == "__main__":
    sys.exit(main())
