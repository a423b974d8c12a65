#!/usr/bin/env python3
"""Checks that the dated log once in benchmarks/RESULTS.md lost no line when it moved here.

Every non-empty line of the old file (read from git at OLD_REV) must appear in the notes
(benchmarks/notes/*.md) or in the current benchmarks/RESULTS.md, as many times as it appeared
in the old file (a multiset inclusion). Citations of the design notes were renamed after the
move (the methods notes -> docs/families.md, the design conventions -> docs/conventions.md), so
both sides are compared with those names mapped the same way.

    python3 benchmarks/notes/check_moved.py [OLD_REV]     # exit 0: nothing lost
"""
import collections
import pathlib
import re
import subprocess
import sys

# The last commit with the dated log in benchmarks/RESULTS.md (the parent of the move).
DEFAULT_OLD_REV = "bc72f97"

# The old names are spelt as regexes with a class around one letter, so that this file does not
# itself match `git grep` for the old citations (which must find none under benchmarks/).
CITATION_RENAMES = [
    (re.compile(r"(\.\./)*shared/desig[n]/method[s]\.md"), "docs/families.md"),
    (re.compile(r"(\.\./)*shared/desig[n]/DESIG[N]\.md"), "docs/conventions.md"),
    (re.compile(r"(?<![\w/])method[s]\.md"), "docs/families.md"),
    (re.compile(r"(?<![\w/])DESIG[N]\.md"), "docs/conventions.md"),
]


def normalised(line):
    for pattern, name in CITATION_RENAMES:
        line = pattern.sub(name, line)
    return line.rstrip()


def non_empty_lines(text):
    return collections.Counter(normalised(l) for l in text.splitlines() if l.strip())


def main():
    old_rev = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OLD_REV
    root = pathlib.Path(__file__).resolve().parents[2]
    old_text = subprocess.run(["git", "-C", str(root), "show", f"{old_rev}:benchmarks/RESULTS.md"],
                              check=True, capture_output=True, text=True).stdout
    old = non_empty_lines(old_text)
    new = collections.Counter()
    notes = sorted((root / "benchmarks" / "notes").glob("*.md"))
    for path in notes + [root / "benchmarks" / "RESULTS.md"]:
        new += non_empty_lines(path.read_text(encoding="utf-8"))
    missing = old - new
    print(f"old RESULTS.md at {old_rev}: {sum(old.values())} non-empty lines "
          f"({len(old)} distinct); notes: {len(notes)} files")
    for line, count in sorted(missing.items()):
        print(f"MISSING x{count}: {line}")
    if missing:
        print(f"FAIL: {sum(missing.values())} line(s) of the old file are missing")
        return 1
    print("OK: every non-empty line of the old file is in the notes or the new RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
