"""The lab markers in src/ and the trees made from them (tools/lab-export, tools/lab-ci, tools/grade).

A hole in the source (src/ only) is marked by comment lines:

    // LAB 05 BEGIN: send INIT, wait, SIPI, wait, a second SIPI only if needed
    ...reference code...
    // LAB 05 STUB: lab_todo(5, "INIT-SIPI-SIPI in smp_boot()");
    // LAB 05 LATER: lab_later(5, "the APs stay stopped"); return;
    // LAB 05 END

STUB lines replace the reference in the tree of that lab (the student's hole).
LATER lines replace it in the trees of earlier labs, so that a lab-03 tree
holds no solution of lab 05 and still boots: they degrade gracefully (the APs
stay stopped, one run queue, ...) and say so once through lab_later(). Every
region of a lab after the first needs LATER lines. Lab N's tree keeps the
reference of the labs before N, markers removed.

Trees (what export() writes):
    student  lab N stubbed, later labs LATER, earlier labs reference (what a class gets)
    solved   like student, but lab N keeps its reference: what a right answer looks like
    staff    lab N stubbed, every other lab reference (the course staff's tree; holds solutions)
"""
import difflib
import os
import re
import shutil
import subprocess

MARKER = re.compile(r"^(?P<indent>[ \t]*)(?P<c>//|;|#)[ \t]*LAB (?P<lab>\d\d) (?P<kind>BEGIN|STUB|LATER|END)\b"
                    r"(?P<rest>.*)$")
MARKED_DIRS = ("src",)  # markers are looked for here only (docs may show the syntax)
SKIP_DIRS = {".git", "__pycache__"}
MODES = ("student", "solved", "staff")


class MarkerError(Exception):
    pass


class Region:
    """One hole: where it is, its lab, what goes in it, its stub and later lines."""
    def __init__(self, path, line, lab, what, indent):
        self.path, self.line, self.lab, self.what, self.indent = path, line, lab, what, indent
        self.reference, self.stub, self.later = [], [], []


def _code(m):
    rest = m["rest"][1:]
    return m["indent"] + (rest[1:] if rest.startswith(" ") else rest) + "\n"


def parse(text, path):
    """Split @p text into a list of plain lines and Regions; raise MarkerError on bad markers."""
    out, region = [], None
    for no, line in enumerate(text.splitlines(keepends=True), 1):
        m = MARKER.match(line.rstrip("\n"))
        if not m:
            if region is None:
                out.append(line)
            elif region.stub:
                raise MarkerError(f"{path}:{no}: code after the STUB lines of the lab {region.lab} "
                                  f"region opened at line {region.line}: STUB and LATER lines go last, before END")
            else:
                region.reference.append(line)
            continue
        lab, kind, rest = int(m["lab"]), m["kind"], m["rest"]
        if kind == "BEGIN":
            if region is not None:
                raise MarkerError(f"{path}:{no}: LAB {lab:02d} BEGIN inside the lab {region.lab} region "
                                  f"opened at line {region.line}")
            if not rest.startswith(":") or not rest[1:].strip():
                raise MarkerError(f"{path}:{no}: write `LAB {lab:02d} BEGIN: <what the student writes>`")
            region = Region(path, no, lab, rest[1:].strip(), m["indent"])
        elif kind in ("STUB", "LATER"):
            if region is None or region.lab != lab:
                raise MarkerError(f"{path}:{no}: LAB {lab:02d} {kind} outside a lab {lab} region")
            if not rest.startswith(":"):
                raise MarkerError(f"{path}:{no}: write `LAB {lab:02d} {kind}: <code>`")
            if kind == "STUB":
                if region.later:
                    raise MarkerError(f"{path}:{no}: STUB after LATER lines: STUB lines come first")
                region.stub.append(_code(m))
            else:
                if not region.stub:
                    raise MarkerError(f"{path}:{no}: LATER before any STUB line: STUB lines come first")
                region.later.append(_code(m))
        else:
            if region is None or region.lab != lab:
                raise MarkerError(f"{path}:{no}: LAB {lab:02d} END without its BEGIN")
            if not region.stub:
                raise MarkerError(f"{path}:{no}: the lab {lab} region opened at line {region.line} has no "
                                  f"STUB line: a student tree would not say what is missing")
            if not region.reference:
                raise MarkerError(f"{path}:{no}: the lab {lab} region opened at line {region.line} is empty")
            out.append(region)
            region = None
    if region is not None:
        raise MarkerError(f"{path}:{region.line}: LAB {region.lab:02d} BEGIN never ends")
    return out


def comment_of(path):
    return ";" if path.endswith((".asm", ".inc")) else "#" if path.endswith((".py", ".cmake")) else "//"


def render(parts, lab, mode, comment, spans=None, edits=None):
    """The file text of @p parts in a tree of @p lab made as @p mode.

    @p spans, when a list, receives (first, end) 0-based line ranges of each of
    lab's holes as written (the `// LAB NN:` line, then the stub lines).
    @p edits maps a Region to its replacement reference lines (mutants)."""
    text = []
    for p in parts:
        if isinstance(p, str):
            text.append(p)
            continue
        ref = (edits or {}).get(p, p.reference)
        if p.lab == lab and mode != "solved":
            if spans is not None:
                spans.append((len(text), len(text) + 1 + len(p.stub)))
            text.append(f"{p.indent}{comment} LAB {p.lab:02d}: {p.what}\n")
            text.extend(p.stub)
        elif p.lab > lab and mode != "staff":
            text.append(f"{p.indent}{comment} Lab {p.lab:02d} writes this part; until then, a stand-in:\n")
            text.extend(p.later)
        else:
            text.extend(ref)
    return "".join(text)


def tree_files(src, untracked):
    """Relative paths of the files to copy: git's view when @p src is a checkout, else a walk."""
    try:
        args = ["git", "-C", src, "ls-files", "-z", "--cached"]
        if untracked:
            args += ["--others", "--exclude-standard"]
        r = subprocess.run(args, capture_output=True, check=True)
        files = sorted({f for f in r.stdout.decode().split("\0") if f})
        return [f for f in files if os.path.isfile(os.path.join(src, f))]  # deleted, not yet committed
    except (OSError, subprocess.CalledProcessError):
        pass
    files = []
    for root, dirs, names in os.walk(src):
        rel = os.path.relpath(root, src)
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not (rel == "." and d.startswith("build")))
        files += [os.path.normpath(os.path.join(rel, n)) for n in sorted(names)]
    return files


def ignored(src, rel):
    """True when git ignores @p rel in @p src (a build folder), or, without git, it is build*."""
    r = subprocess.run(["git", "-C", src, "check-ignore", "-q", rel], capture_output=True)
    return r.returncode == 0 if r.returncode in (0, 1) else rel.split(os.sep)[0].startswith("build")


def scan(src, files):
    """{relative path: parts} for every file under MARKED_DIRS that has a marker."""
    found = {}
    for rel in files:
        if rel.split(os.sep, 1)[0] not in MARKED_DIRS:
            continue
        try:
            with open(os.path.join(src, rel), encoding="utf-8") as f:
                text = f.read()
        except (UnicodeDecodeError, OSError):
            continue
        if "LAB " not in text:
            continue
        parts = parse(text, rel)
        if any(isinstance(p, Region) for p in parts):
            found[rel] = parts
    return found


def lab_dirs(src):
    """{lab number: folder name} of labs/NN-topic."""
    out = {}
    labs = os.path.join(src, "labs")
    for d in sorted(os.listdir(labs)) if os.path.isdir(labs) else []:
        m = re.match(r"(\d\d)-", d)
        if m and os.path.isdir(os.path.join(labs, d)):
            out[int(m.group(1))] = d
    return out


def regions_by_lab(found):
    by = {}
    for parts in found.values():
        for p in parts:
            if isinstance(p, Region):
                by.setdefault(p.lab, []).append(p)
    return by


def check_later(by):
    """Problems: regions of labs after the first without LATER lines."""
    first = min(by) if by else 0
    return [f"{r.path}:{r.line}: the lab {r.lab:02d} region has no LATER lines: the tree of an earlier lab "
            f"could not degrade without it" for n in sorted(by) if n > first for r in by[n] if not r.later]


def find_region(found, path, old=None, hole=None, lab=None):
    """The Region of @p path (of @p lab) whose reference holds @p old once, or whose `what` starts with @p hole."""
    parts = found.get(path)
    if parts is None:
        raise MarkerError(f"{path} has no lab region")
    regions = [p for p in parts if isinstance(p, Region) and (lab is None or p.lab == lab)]
    if hole is not None:
        hits = [r for r in regions if r.what.startswith(hole)]
    else:
        hits = [r for r in regions if "".join(r.reference).count(old) == 1]
        if sum("".join(r.reference).count(old) for r in regions) != 1:
            hits = []
    if len(hits) != 1:
        what = f"hole {hole!r}" if hole is not None else f"text {old!r}"
        raise MarkerError(f"{path}: {what} is in {len(hits)} lab region(s) (want exactly 1 of "
                          f"lab {lab if lab is not None else 'any'}, once)")
    return hits[0]


def apply_edits(found, edits, lab):
    """{Region: new reference lines} for @p edits: (path, old, new) text swaps or (path, None, new, hole)."""
    out = {}
    for e in edits:
        if len(e) > 4:
            continue  # a patch() of the whole file: see lab-ci's mutants()
        path, old, new = e[0], e[1], e[2]
        hole = e[3] if len(e) > 3 else None
        r = find_region(found, path, old=old, hole=hole, lab=lab)
        cur = "".join(out.get(r, r.reference))
        if hole is not None:
            text = new if new.endswith("\n") else new + "\n"
        else:
            if cur.count(old) != 1:
                raise MarkerError(f"{path}: {old!r} is no longer once in its region after earlier edits")
            text = cur.replace(old, new)
        out[r] = text.splitlines(keepends=True)
    return out


def export(src, dest, lab, mode="student", untracked=False, force=False, edits=None, quiet=False):
    """Write the tree of @p lab as @p mode to @p dest; returns {path: hole spans} of lab's files."""
    if mode not in MODES:
        raise MarkerError(f"mode {mode}: one of {', '.join(MODES)}")
    files = tree_files(src, untracked)
    found = scan(src, files)
    by = regions_by_lab(found)
    labs = lab_dirs(src)
    if lab not in labs:
        raise SystemExit(f"lab-export: no labs/{lab:02d}-*/ folder (labs: "
                         f"{', '.join(f'{n:02d}' for n in sorted(labs)) or 'none'})")
    if lab not in by:
        raise SystemExit(f"lab-export: lab {lab:02d} has no LAB {lab:02d} BEGIN/END region in src/")
    if mode != "staff":
        bad = [p for p in check_later(by) if int(re.search(r"lab (\d\d) region", p).group(1)) > lab]
        if bad:
            raise MarkerError("\n".join(bad))
    swaps = apply_edits(found, edits, lab) if edits else None
    dest = os.path.abspath(dest)
    inside = os.path.relpath(dest, os.path.abspath(src))
    if inside == "." or not (inside.startswith("..") or ignored(src, inside)):
        raise SystemExit(f"lab-export: {dest} is inside the source tree and not ignored by git; "
                         "pick a folder elsewhere (or in the build folder)")
    if os.path.exists(dest) and os.listdir(dest):
        if not force:
            raise SystemExit(f"lab-export: {dest} exists and is not empty (--force replaces an earlier export)")
        if not os.path.isfile(os.path.join(dest, "labs", "EXPORTED")):
            raise SystemExit(f"lab-export: {dest} is not an earlier export (no labs/EXPORTED); not removing it")
        shutil.rmtree(dest)
    holes = {}
    if mode != "staff":  # wrong solutions are made from the right one: staff only
        files = [f for f in files if not re.fullmatch(r"labs/[^/]+/mutants\.py", f)]
    for rel in files:
        out = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        if rel in found:
            spans = []
            with open(out, "w", encoding="utf-8") as f:
                f.write(render(found[rel], lab, mode, comment_of(rel), spans, swaps))
            shutil.copymode(os.path.join(src, rel), out)
            if any(isinstance(p, Region) and p.lab == lab for p in found[rel]):
                holes[rel] = spans
        else:
            shutil.copy2(os.path.join(src, rel), out)
    os.makedirs(os.path.join(dest, "labs"), exist_ok=True)
    later = sorted(n for n in by if n > lab) if mode != "staff" else []
    with open(os.path.join(dest, "labs", "EXPORTED"), "w") as f:
        f.write(f"lab={lab:02d}\nfolder=labs/{labs[lab]}\nkind={mode}\n"
                f"holes={','.join(sorted(holes))}\n"
                f"stand-ins={','.join(f'{n:02d}' for n in later)}\n")
    if not quiet:
        print(f"lab-export: {dest}: lab {lab:02d} ({labs[lab]}) as the {mode} tree: "
              f"{len(by[lab])} hole(s) {'kept solved' if mode == 'solved' else 'stubbed'} in {len(holes)} file(s); "
              + (f"labs {', '.join(f'{n:02d}' for n in later)} as stand-ins; " if later else "")
              + f"{len(files)} files")
        for r in by[lab]:
            print(f"  {r.path}:{r.line}: LAB {r.lab:02d}: {r.what}")
    return holes


def hole_spans(src, lab):
    """{path: spans} of lab @p lab's holes as they stand in the student tree of @p src (nothing written)."""
    found = scan(src, tree_files(src, True))
    out = {}
    for rel, parts in found.items():
        if any(isinstance(p, Region) and p.lab == lab for p in parts):
            spans = []
            text = render(parts, lab, "student", comment_of(rel), spans)
            out[rel] = (text, spans)
    return out


def merge_holes(pristine, spans, submitted):
    """Take from @p submitted only what changed inside the holes of @p pristine (lines of the student tree).

    Returns (merged text, [(line, description) of changes outside the holes, ignored])."""
    a = pristine.splitlines(keepends=True)
    b = submitted.splitlines(keepends=True)
    merged, outside = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            merged.extend(a[i1:i2])
            continue
        # Inside a hole: from its `// LAB NN:` line (which may go) to its end (an insertion may sit at the end).
        ok = any(s <= i1 and i2 <= e and (i1 < e or tag == "insert") and (i1 > s or tag != "insert")
                 for s, e in spans)
        if ok:
            merged.extend(b[j1:j2])
        else:
            merged.extend(a[i1:i2])
            outside.append((i1 + 1, f"{tag} of pristine lines {i1 + 1}-{max(i1 + 1, i2)}"))
    return "".join(merged), outside
