#!/usr/bin/env python3
"""Checks that the docs still point at real code: README.md and docs/*.md.

Three kinds of reference are checked (anything else in backticks is left alone):

  `path`             a repository path (a file, or a folder written with a trailing /). A
                     path is a backticked span whose first component is one of the
                     repository's top-level folders (core/, nn/, peft/, ...), or a span with a
                     slash that ends in a file extension, or a known top-level file
                     (README.md, CMakeLists.txt). The prefix tinytune/ (how includes spell
                     the root) is dropped. Build outputs and run folders (build/, runs/,
                     models/, ...), URLs, absolute paths and ../ paths are ignored. A * is a
                     glob that must match at least one file; spans with <, { or spaces are
                     templates, not paths.
  `path:function`    the function must be defined in that file: its name followed by "(" at
                     a definition site (a return type or qualifier before it, a "{" after the
                     parameter list before any ";"). `path:Class::method` accepts an
                     out-of-class definition (Class::method(...) {) or, when the file declares
                     class/struct Class (or namespace Class), an in-class definition.
  excerpts           a fenced code block (```) is attributed to a file when the last non-blank
                     line before it ends with a `path` or `path:function` reference, optionally
                     followed by ":", or is an HTML comment <!-- from: path -->. Its text must
                     still appear in that file, whitespace-normalised (runs of spaces and
                     newlines compare equal). A fence tagged cpp (or c++, cuda) must be
                     attributed: a C++ excerpt with no source is an error.

Between <!-- doc-refs: off (why) --> and <!-- doc-refs: on --> inline references are not
checked (files a how-to tells you to create); excerpts still are.

Usage: check_doc_refs.py REPO_ROOT [FILE.md ...]   (default: README.md and docs/*.md)
Exit status 0 when everything holds; 1 with one line per broken reference (file:line: why).
"""
import glob
import os
import re
import sys

IGNORED_DIRS = ("build", "runs", "models", "gpu-bundle", "data/glue")  # outputs, not sources
IGNORED_PREFIXES = ("..", "/", "~", "http:", "https:", "$")
KNOWN_TOP_FILES = {"README.md", "CMakeLists.txt", ".gitignore"}
EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,12}$")
REFERENCE = re.compile(r"^(?P<path>[A-Za-z0-9_.+\-/*]+?)(?::(?P<func>[A-Za-z_~][A-Za-z0-9_:~]*))?$")
FENCE = re.compile(r"^\s*(```|~~~)")
CODE_FENCE = re.compile(r"^\s*(```|~~~)\s*(cpp|c\+\+|cuda|cu|h)\s*$")  # must name a source
FROM_COMMENT = re.compile(r"<!--\s*from:\s*(\S+)\s*-->\s*$")
OFF = re.compile(r"<!--\s*doc-refs:\s*off\b")  # e.g. files a how-to asks you to create
ON = re.compile(r"<!--\s*doc-refs:\s*on\s*-->")
TRAILING_REF = re.compile(r"`([^`]+)`\)?:?\s*$")
# What may stand just before a name for it to be a call rather than a definition.
CALL_CONTEXT = re.compile(r"(\(|\.|->|=|,|!|&&|\|\||\breturn|<<|\?|\[|\bnew|\bthrow|(?<!:):)\s*$")


def top_level_dirs(root):
    return {name for name in os.listdir(root)
            if os.path.isdir(os.path.join(root, name)) and not name.startswith(".")
            and not name.startswith("build")}


def is_output_path(path):
    return any(path == d or path.startswith(d + "/") for d in IGNORED_DIRS)


def as_reference(span, top_dirs):
    """(path, function) when the backticked span is a repository reference, else None."""
    span = span.strip()
    if not span or any(c in span for c in " <>{}\"'$"):
        return None
    if span.startswith(IGNORED_PREFIXES) or is_output_path(span):
        return None
    m = REFERENCE.match(span)
    if not m:
        return None
    path, func = m.group("path"), m.group("func")
    if path.startswith("tinytune/"):
        path = path[len("tinytune/"):]
    first = path.split("/")[0]
    if path.startswith(IGNORED_PREFIXES) or is_output_path(path) or first.startswith("build"):
        return None
    is_path = (first in top_dirs and "/" in path) or path in KNOWN_TOP_FILES or \
              ("/" in path and EXTENSION.search(path.rstrip("/")) is not None)
    if not is_path:
        return None
    return path, func


def normalise(text):
    return " ".join(text.split())


def strip_comments(code):
    """C++ source with // and /* */ comments blanked (strings kept), so a name in a comment
    is not a definition."""
    out, i, n = [], 0, len(code)
    while i < n:
        c = code[i]
        if c == '"' or c == "'":
            j = i + 1
            while j < n and code[j] != c:
                j += 2 if code[j] == "\\" else 1
            out.append(code[i:j + 1])
            i = j + 1
        elif code.startswith("//", i):
            j = code.find("\n", i)
            i = n if j < 0 else j
        elif code.startswith("/*", i):
            j = code.find("*/", i + 2)
            i = n if j < 0 else j + 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def is_definition_at(code, start, end):
    """The name spans code[start:end] and is followed by '('. True when it is defined there."""
    line_start = code.rfind("\n", 0, start) + 1
    before = code[line_start:start]
    if CALL_CONTEXT.search(before):
        return False
    # The parameter list, balanced, then a body before any ';'.
    i = code.find("(", end)
    depth = 0
    while i < len(code):
        if code[i] == "(":
            depth += 1
        elif code[i] == ")":
            depth -= 1
            if depth == 0:
                break
        i += 1
    rest = code[i + 1:]
    brace, semi = rest.find("{"), rest.find(";")
    if brace < 0 or (0 <= semi < brace):
        return False
    # Between ")" and "{" only qualifiers, a trailing return type or an initializer list.
    between = rest[:brace]
    return "\n\n" not in between and not re.search(r"\b(if|for|while|switch)\b", between)


def defines(code, qualified):
    """Whether `code` defines `qualified` (name, or Scope::name)."""
    parts = qualified.split("::")
    name = parts[-1]
    scope = parts[-2] if len(parts) > 1 else None
    candidates = []
    if scope:
        candidates.append(r"\b" + re.escape(scope) + r"\s*::\s*~?" + re.escape(name) + r"\s*\(")
        declared = re.search(r"\b(class|struct|namespace)\s+(\w+::)*" + re.escape(scope) + r"\b", code)
        if declared:
            candidates.append(r"(?<![\w:])" + re.escape(name) + r"\s*\(")
    else:
        candidates.append(r"(?<![\w.>])(?:\w+::)*" + re.escape(name) + r"\s*\(")
    for pattern in candidates:
        for m in re.finditer(pattern, code):
            if is_definition_at(code, m.start(), m.end() - 1):
                return True
    return False


def check_file(root, md_path, top_dirs):
    errors = []
    rel = os.path.relpath(md_path, root)
    with open(md_path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    source_cache = {}

    def source(path):
        if path not in source_cache:
            with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
                source_cache[path] = f.read()
        return source_cache[path]

    def check_reference(lineno, path, func):
        """Returns True when the reference holds; records an error otherwise."""
        full = os.path.join(root, path)
        if "*" in path:
            if not glob.glob(full):
                errors.append(f"{rel}:{lineno}: `{path}` matches no file")
                return False
            return True
        if path.endswith("/"):
            if not os.path.isdir(full):
                errors.append(f"{rel}:{lineno}: `{path}` is not a folder of the repository")
                return False
            return True
        if not func and os.path.isdir(full):
            return True
        if not os.path.isfile(full):
            errors.append(f"{rel}:{lineno}: `{path}` does not exist")
            return False
        if func and not defines(strip_comments(source(path)), func):
            errors.append(f"{rel}:{lineno}: `{path}:{func}`: no definition of {func} in {path}")
            return False
        return True

    in_fence, fence_start, fence_text, fence_source = False, 0, [], None
    last_text_line = ""
    references = 0
    excerpts = 0
    checking = True
    for lineno, line in enumerate(lines, 1):
        if FENCE.match(line):
            if not in_fence:
                in_fence, fence_start, fence_text = True, lineno, []
                fence_is_code = CODE_FENCE.match(line) is not None
                fence_source = None
                m = FROM_COMMENT.search(last_text_line)
                if m:
                    ref = as_reference(m.group(1), top_dirs)
                    fence_source = ref[0] if ref else m.group(1)
                else:
                    m = TRAILING_REF.search(last_text_line)
                    ref = as_reference(m.group(1), top_dirs) if m else None
                    if ref:
                        fence_source = ref[0]
            else:
                in_fence = False
                if fence_is_code and not fence_source:
                    errors.append(f"{rel}:{fence_start}: a C++ excerpt without its source (end the "
                                  "line before it with `path` or `path:function`, or put "
                                  "<!-- from: path --> there)")
                if fence_source:
                    excerpts += 1
                    full = os.path.join(root, fence_source)
                    if not os.path.isfile(full):
                        errors.append(f"{rel}:{fence_start}: excerpt from `{fence_source}`, "
                                      "which does not exist")
                    elif normalise("\n".join(fence_text)) not in normalise(source(fence_source)):
                        errors.append(f"{rel}:{fence_start}: excerpt no longer appears in "
                                      f"`{fence_source}` (whitespace-normalised)")
            continue
        if in_fence:
            fence_text.append(line)
            continue
        if line.strip():
            last_text_line = line
        if OFF.search(line):
            checking = False
        elif ON.search(line):
            checking = True
        if not checking:
            continue
        for span in re.findall(r"`([^`]+)`", line):
            ref = as_reference(span, top_dirs)
            if ref:
                references += 1
                check_reference(lineno, *ref)
        m = FROM_COMMENT.search(line)
        if m:
            check_reference(lineno, m.group(1), None)
    if in_fence:
        errors.append(f"{rel}:{fence_start}: code fence never closed")
    return errors, references, excerpts


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().split("\n")[-2], file=sys.stderr)
        return 2
    root = os.path.abspath(argv[1])
    files = argv[2:] or [os.path.join(root, "README.md")] + sorted(
        glob.glob(os.path.join(root, "docs", "*.md")))
    top_dirs = top_level_dirs(root)
    errors, references, excerpts = [], 0, 0
    for md in files:
        if not os.path.isfile(md):
            errors.append(f"{md}: no such file")
            continue
        e, r, x = check_file(root, md, top_dirs)
        errors += e
        references += r
        excerpts += x
    for e in errors:
        print(e)
    print(f"check_doc_refs: {len(files)} files, {references} references, {excerpts} excerpts, "
          f"{len(errors)} broken")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
