#!/usr/bin/env python3
"""The committed notebooks' outputs: their stamp, and whether they match the code.

The notebooks under notebooks/ are committed with the outputs of a full-mode run. Each
carries a stamp, metadata.vaekit, written by scripts/refresh_notebooks.sh:

  code_sha256   SHA-256 of its code cells' sources (see code_sha256): editing prose keeps
                the outputs valid, editing code does not
  mode          "full"
  executed      when it ran (UTC, ISO 8601)
  wall_seconds  how long the run took
  models        every model and judge a cell obtained, from the run's model record (see
                read_models): {entry, kind, training_format, train_seconds, from_cache},
                one per cache entry, sorted by entry
  from_scratch_seconds
                the run's wall time plus the recorded training time of every model that
                came from the model cache: how long the notebook takes from an empty
                cache (training plus the rest, as measured)
  go            the Go toolchain
  cpu           the CPU it ran on: {model, cores, avx512}

The first markdown cell carries the same from-scratch time for readers, in a paragraph
that starts with `*From scratch:` (see header_line); the stamp rewrites it. Only code
cells are hashed, so that edit keeps the code hash.

A model's training format (vaekit/trainingformat.go, `const TrainingFormat = N`) changes
whenever what a model trains to changes; a judge's is the judge package's own, in
vaekit/judge/trainingformat.go. Outputs of models of another format than the library's are stale even when the
notebook's code is not: verify fails them, and `scripts/refresh_notebooks.sh
--from-scratch` retrains everything.

Usage:
  notebook_outputs.py hash NOTEBOOK.ipynb...
      prints the code hash of each notebook
  notebook_outputs.py verify [--root DIR] [NOTEBOOK.ipynb...]
      checks committed notebooks (default: every one under notebooks/): stamp present
      and complete (models, from_scratch_seconds, cpu), hash equal to the code's, mode
      full, every model and judge of the training format the library trains (read from
      the Go sources under DIR, default the repository's), the `*From scratch:` header,
      outputs that pass scripts/check_notebook.py, file under MAX_BYTES. CI runs it
      (scripts/test.sh)
  notebook_outputs.py stamp --executed EXECUTED.ipynb --snapshot SNAPSHOT.ipynb
                            --wall-seconds N --go VERSION --models RECORD.jsonl
                            [--root DIR] NOTEBOOK.ipynb
      writes the outputs of EXECUTED (a run of SNAPSHOT, the notebook's bytes when the
      run began) into NOTEBOOK with a fresh stamp, its models read from RECORD (the file
      the run's VAEKIT_MODEL_RECORD named); refuses if NOTEBOOK changed meanwhile, or if
      the result would fail verify
  notebook_outputs.py entries RECORD.jsonl...
      prints the cache entries the records name, one a line, sorted (refresh_notebooks.sh
      --from-scratch moves these into the model cache)
  notebook_outputs.py unstamp NOTEBOOK.ipynb...
      removes the stamp (run_notebooks.sh does, from its executed copies: the stamp
      describes the committed run, not theirs)

Standard library only.
"""

import argparse
import datetime
import hashlib
import json
import math
import os
import platform
import re
import sys
import tempfile

import check_notebook

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STAMP = "vaekit"
# A committed notebook must stay well under 1 MB (issue 13): pictures as compact PNG.
MAX_BYTES = 1_000_000
REFRESH = "scripts/refresh_notebooks.sh"
REFRESH_FROM_SCRATCH = f"{REFRESH} --from-scratch"
text = check_notebook.text
# Where the library declares its training format, and how; the judge package may declare
# one of its own, in any of its (non-test) files.
FORMAT_FILES = {"model": os.path.join("vaekit", "trainingformat.go"),
                "judge": os.path.join("vaekit", "judge", "trainingformat.go")}
FORMAT_CONST = re.compile(r"^const TrainingFormat = (\d+)", re.M)
# The header paragraph (first markdown cell) that states the from-scratch time.
HEADER_PREFIX = "*From scratch:"
RECORD_KINDS = ("model", "judge")


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


def cpu_info(cpuinfo="/proc/cpuinfo"):
    """The CPU the run used: {model (as lscpu's "Model name", else what platform knows),
    cores (os.cpu_count()), avx512 (whether it has AVX-512F, which GoMLX's SIMD uses)}."""
    model, flags = None, ""
    try:
        with open(cpuinfo, encoding="utf-8") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and model is None:
                    model = value.strip()
                elif key.strip() == "flags" and not flags:
                    flags = value
    except OSError:
        pass
    return {"model": model or platform.processor() or platform.machine() or "unknown",
            "cores": os.cpu_count() or 1,
            "avx512": "avx512f" in flags.split()}


def library_training_formats(root=ROOT):
    """The training formats the library at root trains to, by kind: {"model": N of
    `const TrainingFormat = N` in vaekit/trainingformat.go, "judge": the same line in
    vaekit/judge/trainingformat.go}. Raises ValueError (naming the file) if N cannot be read."""
    formats = {}
    for kind, name in FORMAT_FILES.items():
        path = os.path.join(root, name)
        try:
            with open(path, encoding="utf-8") as f:
                m = FORMAT_CONST.search(f.read())
        except OSError as e:
            raise ValueError(f"cannot read the library's training format: {e}") from e
        if not m:
            raise ValueError(f"{path} has no line `const TrainingFormat = N`: "
                             f"cannot tell which training format the library trains its {kind}s to")
        formats[kind] = int(m.group(1))
    return formats


def read_models(path):
    """The models and judges of one run's record (the JSON lines vaekit's notebook helper
    appends to $VAEKIT_MODEL_RECORD, one each time a cell obtains one), one per cache
    entry, sorted by entry. An entry asked for again (a later cell) appears again, loaded
    from the cache: it counts as trained in this run if any line says so, with that
    line's time. Raises ValueError naming the file and line of a malformed record."""
    by_entry = {}
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise ValueError(f"cannot read the run's model record: {e} (did the notebook's helper "
                         "write the file VAEKIT_MODEL_RECORD named?)") from e
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except ValueError as e:
            raise ValueError(f"{where}: not JSON ({e}): {line[:120]!r}") from e
        if not isinstance(record, dict):
            raise ValueError(f"{where}: expected a JSON object, got {line[:120]!r}")
        model = {key: record.get(key) for key in ("entry", "kind", "training_format", "train_seconds", "from_cache")}
        problem = model_problem(model)
        if problem:
            raise ValueError(f"{where}: {problem}")
        model["train_seconds"] = round(float(model["train_seconds"]), 1)
        seen = by_entry.get(model["entry"])
        if seen is None or (seen["from_cache"] and not model["from_cache"]):
            by_entry[model["entry"]] = model
    return [by_entry[entry] for entry in sorted(by_entry)]


def model_problem(model):
    """What is wrong with one model of a record or a stamp, or None."""
    if not isinstance(model, dict):
        return f"expected an object {{entry, kind, training_format, train_seconds, from_cache}}, got {model!r}"
    entry = model.get("entry")
    if not isinstance(entry, str) or not entry or "/" in entry or entry in (".", ".."):
        # (A name inside the cache directory: refresh_notebooks.sh moves entries by it.)
        return f"entry {entry!r}: expected a cache entry's directory name"
    if model.get("kind") not in RECORD_KINDS:
        return f"{entry}: kind {model.get('kind')!r}, expected one of {', '.join(RECORD_KINDS)}"
    fmt = model.get("training_format")
    if not isinstance(fmt, int) or isinstance(fmt, bool) or fmt < 0:
        return f"{entry}: training_format {fmt!r}, expected a whole number"
    seconds = model.get("train_seconds")
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not math.isfinite(seconds) or seconds < 0:
        return f"{entry}: train_seconds {seconds!r}, expected seconds >= 0"
    if not isinstance(model.get("from_cache"), bool):
        return f"{entry}: from_cache {model.get('from_cache')!r}, expected true or false"
    return None


def from_scratch_seconds(wall_seconds, models):
    """The run's wall time plus the recorded training time of what it loaded from the
    cache: the time of the same run from an empty model cache, as measured."""
    return int(round(wall_seconds + sum(m["train_seconds"] for m in models if m["from_cache"])))


def duration(seconds):
    """A time for prose: seconds under 2 min, whole minutes under 90, then hours and
    minutes to 5."""
    seconds = max(0, int(round(seconds)))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 90 * 60:
        return f"{int(round(seconds / 60))} min"
    hours, minutes = divmod(int(round(seconds / 300)) * 5, 60)
    return f"{hours} h" + (f" {minutes} min" if minutes else "")


def cpu_words(cpu):
    """The CPU for prose, e.g. "2-core AMD EPYC with AVX-512": its model name without
    trademarks and filler ("Intel(R) Xeon(R) CPU @ 2.20GHz" -> "Intel Xeon @ 2.20GHz")."""
    name = re.sub(r"\((?:R|TM)\)|\bCPU\b|\b\d+-Core Processor\b|\bProcessor\b", " ",
                  str(cpu.get("model", "")), flags=re.I)
    name = " ".join(name.split()) or "unknown CPU"
    avx = "with" if cpu.get("avx512") else "without"
    return f"{cpu.get('cores')}-core {name} {avx} AVX-512"


def header_line(stamp):
    """The `*From scratch:` paragraph for the stamp, e.g. "*From scratch: about 12 min on a
    2-core AMD EPYC with AVX-512 (training 11 min; 40 s with its models in the model
    cache).*"."""
    total = stamp["from_scratch_seconds"]
    line = f"{HEADER_PREFIX} about {duration(total)} on a {cpu_words(stamp['cpu'])}"
    training = sum(m["train_seconds"] for m in stamp["models"])
    if stamp["models"]:
        line += (f" (training {duration(training)}; {duration(max(0, total - training))}"
                 " with its models in the model cache)")
    return line + ".*"


def header_cell(nb):
    """The notebook's first markdown cell (its header), or None."""
    return next((c for c in nb.get("cells", []) if c.get("cell_type") == "markdown"), None)


def header_paragraph(source):
    """(start, end) line indices of the `*From scratch:` paragraph in a markdown source's
    lines (end exclusive: it runs to the next blank line), or None."""
    lines = source.split("\n")
    for start, line in enumerate(lines):
        if line.startswith(HEADER_PREFIX):
            end = start + 1
            while end < len(lines) and lines[end].strip():
                end += 1
            return start, end
    return None


def set_header(cell, line):
    """Puts line in the cell's `*From scratch:` paragraph, replacing it, or appends it
    as the cell's last paragraph."""
    source = text(cell.get("source"))
    lines = source.split("\n")
    span = header_paragraph(source)
    if span:
        lines[span[0]:span[1]] = [line]
    else:
        while lines and not lines[-1].strip():
            lines.pop()
        lines += ["", line]
    source = "\n".join(lines)
    # As nbformat stores it: a list of lines, each but the last ending in a newline.
    cell["source"] = source.splitlines(keepends=True) if isinstance(cell.get("source"), list) else source


def verify_stamp(stamp, formats):
    """Returns the problems of a stamp's models (formats: library_training_formats),
    from-scratch time and CPU."""
    problems = []
    models = stamp.get("models")
    if not isinstance(models, list):
        problems.append("metadata.vaekit has no `models` list (the models and judges its run used): "
                        f"its outputs predate it; run `{REFRESH_FROM_SCRATCH}` and commit")
        models = []
    for model in models:
        problem = model_problem(model)
        if problem:
            problems.append(f"metadata.vaekit.models: {problem}")
        elif model["training_format"] != formats[model["kind"]]:
            library = "the judge package" if model["kind"] == "judge" and formats["judge"] != formats["model"] else "the library"
            problems.append(f"{model['kind']} {model['entry']} was trained by training format "
                            f"{model['training_format']}, {library} trains format {formats[model['kind']]}: "
                            f"run `{REFRESH_FROM_SCRATCH}` and commit")
    seconds = stamp.get("from_scratch_seconds")
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not math.isfinite(seconds) or seconds < 0:
        problems.append(f"metadata.vaekit has no from_scratch_seconds (got {seconds!r}): "
                        f"run `{REFRESH_FROM_SCRATCH}` and commit")
    cpu = stamp.get("cpu")
    if not (isinstance(cpu, dict) and isinstance(cpu.get("model"), str) and cpu["model"]
            and isinstance(cpu.get("cores"), int) and not isinstance(cpu.get("cores"), bool) and cpu["cores"] > 0
            and isinstance(cpu.get("avx512"), bool)):
        problems.append(f"metadata.vaekit.cpu is {cpu!r}, expected {{model, cores, avx512}}")
    return problems


def verify_notebook(nb, size, formats):
    """Returns the problems of a committed notebook (parsed JSON; size its file's bytes
    or None; formats the training formats the library trains, library_training_formats)."""
    stamp = (nb.get("metadata") or {}).get(STAMP)
    if not isinstance(stamp, dict):
        return ["no metadata.vaekit: its outputs were never refreshed"]
    problems = verify_stamp(stamp, formats)
    header = header_cell(nb)
    if header is None or header_paragraph(text(header.get("source"))) is None:
        problems.append(f"its first markdown cell has no line starting {HEADER_PREFIX!r} "
                        "(the time from an empty model cache, written by the stamp)")
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


def cmd_verify(paths, root):
    try:
        formats = library_training_formats(root)
    except ValueError as e:
        print(f"notebook_outputs: {e}")
        return 1
    if not paths:
        paths = [os.path.relpath(p) for p in notebooks_under(os.path.join(ROOT, "notebooks"))]
        if not paths:
            print("notebook_outputs: no notebooks under notebooks/")
            return 1
    failed = 0
    for path in paths:
        try:
            problems = verify_notebook(load(path), os.path.getsize(path), formats)
        except (OSError, ValueError) as e:
            problems = [f"cannot read it: {e}"]
        if problems:
            failed += 1
            print(f"notebook_outputs: FAIL {path}:")
            for p in problems:
                print("  - " + p.replace("\n", "\n    "))
            if any(REFRESH_FROM_SCRATCH in p for p in problems):
                # (A new training format retrains every model: all notebooks at once.)
                print(f"  Run `{REFRESH_FROM_SCRATCH}` (every notebook, from an empty model cache) and commit them.")
            else:
                print(f"  Run `{REFRESH} {path}` (full mode) and commit the refreshed notebook.")
        else:
            print(f"notebook_outputs: ok   {path}")
    if failed:
        print(f"notebook_outputs: {failed} of {len(paths)} committed notebook(s) lack current full-mode outputs")
    return 1 if failed else 0


def stamped(snapshot, executed, wall_seconds, go_version, models, now=None, cpu=None):
    """The snapshot notebook with the executed run's outputs and a new stamp; models are
    the run's (read_models), cpu the machine's (default cpu_info()).

    Everything but the code cells' outputs and execution counts, the kernel's
    language_info, the header's `*From scratch:` paragraph and the stamp is the
    snapshot's, byte for byte; nbclient's per-cell execution timestamps are left out, so
    that a refresh that changes nothing else changes only the stamp and the header's
    times."""
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
    header = header_cell(out)
    if header is None:
        raise ValueError("the notebook has no markdown cell for its `*From scratch:` header")
    now = now or datetime.datetime.now(datetime.timezone.utc)
    models = [dict(m) for m in models]
    stamp = metadata[STAMP] = {
        "code_sha256": code_sha256(out),
        "mode": "full",
        "executed": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "wall_seconds": int(wall_seconds),
        "models": models,
        "from_scratch_seconds": from_scratch_seconds(wall_seconds, models),
        "go": go_version,
        "cpu": cpu or cpu_info(),
    }
    set_header(header, header_line(stamp))
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
        formats = library_training_formats(args.root)
        models = read_models(args.models)
        nb = stamped(json.loads(before.decode("utf-8")), load(args.executed), args.wall_seconds, args.go, models)
    except (OSError, ValueError) as e:
        print(f"notebook_outputs: {path} left as it is: {e}")
        return 1
    data = dumps(nb)
    problems = verify_notebook(nb, len(data.encode("utf-8")), formats)
    if problems:
        print(f"notebook_outputs: {path} left as it is, its executed copy fails:")
        for p in problems:
            print("  - " + p.replace("\n", "\n    "))
        return 1
    write_atomically(path, data)
    stamp = nb["metadata"][STAMP]
    trained = sum(1 for m in stamp["models"] if not m["from_cache"])
    print(f"notebook_outputs: refreshed {path} ({len(data.encode('utf-8')):,} bytes, "
          f"code {stamp['code_sha256'][:12]}, {len(stamp['models'])} models ({trained} trained in this run), "
          f"from scratch {duration(stamp['from_scratch_seconds'])})")
    return 0


def cmd_entries(paths):
    entries = set()
    for path in paths:
        try:
            entries.update(m["entry"] for m in read_models(path))
        except ValueError as e:
            print(f"notebook_outputs: {e}", file=sys.stderr)
            return 1
    for entry in sorted(entries):
        print(entry)
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
    root_help = ("the repository whose vaekit/trainingformat.go (and vaekit/judge/) declare the training "
                 "formats the library trains (default this one)")
    p = sub.add_parser("verify", help="check committed notebooks' outputs against their code")
    p.add_argument("--root", default=ROOT, help=root_help)
    p.add_argument("notebooks", nargs="*")
    p = sub.add_parser("stamp", help="write an executed run's outputs into a notebook")
    p.add_argument("--executed", required=True)
    p.add_argument("--snapshot", required=True)
    p.add_argument("--wall-seconds", type=float, required=True)
    p.add_argument("--go", required=True, help="the Go version the notebook ran with")
    p.add_argument("--models", required=True, metavar="RECORD.jsonl",
                   help="the run's model record (the file VAEKIT_MODEL_RECORD named)")
    p.add_argument("--root", default=ROOT, help=root_help)
    p.add_argument("notebook")
    p = sub.add_parser("entries", help="print the cache entries model records name")
    p.add_argument("records", nargs="+", metavar="RECORD.jsonl")
    p = sub.add_parser("unstamp", help="remove the stamp from executed copies")
    p.add_argument("notebooks", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "hash":
        for path in args.notebooks:
            print(f"{code_sha256(load(path))}  {path}")
        return 0
    if args.command == "verify":
        return cmd_verify(args.notebooks, args.root)
    if args.command == "stamp":
        return cmd_stamp(args)
    if args.command == "entries":
        return cmd_entries(args.records)
    return cmd_unstamp(args.notebooks)


if __name__ == "__main__":
    sys.exit(main())
