#!/usr/bin/env python3
"""Lists C++ functions longer than a limit: the lines from the body's "{" to its "}" (both
counted). A rough scanner, not a parser: comments, strings and character literals are blanked,
then every brace at namespace or class scope that follows ")" (with optional const, override,
noexcept or a trailing return type) starts a function; lambdas count toward their function.

  scripts/function_lengths.py [--limit N] [--all] FILE_OR_DIR...
Exit 1 when a function is over the limit."""
import argparse
import pathlib
import re
import sys

CONTAINER = re.compile(r"\b(namespace|class|struct|union|enum)\b[^;()]*$|\bextern\s+\"C\"\s*$")
FUNCTION_TAIL = re.compile(
    r"\)\s*(const\s*)?(noexcept\s*)?(override\s*)?(final\s*)?(->\s*[\w:<>,\s*&]+)?$")
# A constructor's member initialisers end in ")" or "}" before the body.
INITIALISERS = re.compile(r"\)\s*:\s*[\w:]+\s*[({]")


def blank(text):
    """Comments and literals become spaces; newlines stay, so line numbers hold."""
    pattern = re.compile(r'//[^\n]*|/\*.*?\*/|R"(\w*)\(.*?\)\1"|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'',
                         re.S)
    return pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def functions(path):
    text = blank(path.read_text())
    stack = []  # per open brace: "container", "function" or "block"
    start = 0   # where the text before the next brace begins
    found = []
    for i, ch in enumerate(text):
        if ch == ";":
            start = i + 1
        elif ch == "{":
            head = text[start:i].strip()
            inside_function = any(kind == "function" for kind, _, _ in stack)
            if inside_function:
                kind = "block"
            elif CONTAINER.search(head) and "(" not in head.split("{")[-1][-1:]:
                kind = "container"
            elif FUNCTION_TAIL.search(head) or INITIALISERS.search(head):
                kind = "function"
            else:
                kind = "block"  # an initialiser list, an array, ...
            name = re.sub(r"\s+", " ", head)[-90:]
            stack.append((kind, text.count("\n", 0, i) + 1, name))
            start = i + 1
        elif ch == "}":
            if stack:
                kind, line, name = stack.pop()
                if kind == "function":
                    found.append((text.count("\n", 0, i) + 1 - line + 1, line, name))
            start = i + 1
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--limit", type=int, default=60)
    parser.add_argument("--all", action="store_true", help="list every function, not only the long ones")
    args = parser.parse_args()
    files = []
    for p in map(pathlib.Path, args.paths):
        files += sorted(p.rglob("*.cpp")) + sorted(p.rglob("*.h")) if p.is_dir() else [p]
    over, count, longest = 0, 0, (0, "")
    for f in files:
        for length, line, name in functions(f):
            count += 1
            if length > longest[0]:
                longest = (length, f"{f}:{line}")
            if args.all or length > args.limit:
                print(f"{length:4d} lines  {f}:{line}  {name}")
            over += length > args.limit
    print(f"{count} functions in {len(files)} files; longest {longest[0]} lines ({longest[1]}); "
          f"{over} over {args.limit}")
    sys.exit(1 if over else 0)


if __name__ == "__main__":
    main()
