#!/usr/bin/env python3
"""Compare two NDJSON outputs line by line (vnorm's and the jq program's).

Usage: compare.py [--show N] A B

Prints one summary line:
  identical I, same-after-number-reformatting R, different D
  [, only-in-A X, only-in-B Y]
then up to N examples of different lines (line numbers, A, B). After a line
that only one side has (a reject), the comparison resynchronises by looking
up to 64 lines ahead on either side.

"same after number reformatting" means the two lines hold the same keys in
the same order and the same values once numbers are compared as doubles:
jq 1.6 writes 0.000015 as 1.5e-05 and 100.0 as 100, vnorm keeps the text.
Exit status 0 whatever the result; 2 on a usage or I/O error.
Python 3 standard library only.
"""

import json
import sys


def canon(line):
    """A line as nested lists of (key, value) pairs, numbers as floats."""
    try:
        return json.loads(line, object_pairs_hook=list, parse_int=float,
                          parse_float=float)
    except ValueError:
        return ("not JSON", line)


class Lines:
    """A file's lines with look-ahead."""

    def __init__(self, f):
        self.f = f
        self.buf = []
        self.n = 0  # line number of the last line taken

    def peek(self, i):
        while len(self.buf) <= i:
            line = self.f.readline()
            if not line:
                return None
            self.buf.append(line)
        return self.buf[i]

    def take(self):
        self.n += 1
        return self.buf.pop(0)


def same(a, b):
    return a == b or canon(a) == canon(b)


def find(lines, target, window):
    """Offset of the first line equal to target within window, or None."""
    for i in range(1, window + 1):
        x = lines.peek(i)
        if x is None:
            return None
        if same(x, target):
            return i
    return None


def main(argv):
    show = 3
    window = 64
    args = argv[1:]
    if len(args) >= 2 and args[0] == "--show":
        show = int(args[1])
        args = args[2:]
    if len(args) != 2:
        sys.stderr.write("usage: compare.py [--show N] A B\n")
        return 2
    identical = renumbered = different = only_a = only_b = 0
    examples = []
    try:
        fa = open(args[0], "r", encoding="utf-8", errors="replace")
        fb = open(args[1], "r", encoding="utf-8", errors="replace")
    except OSError as e:
        sys.stderr.write("compare.py: %s\n" % e)
        return 2
    with fa, fb:
        la, lb = Lines(fa), Lines(fb)
        while True:
            a, b = la.peek(0), lb.peek(0)
            if a is None and b is None:
                break
            if b is None:
                la.take()
                only_a += 1
                continue
            if a is None:
                lb.take()
                only_b += 1
                continue
            if a == b:
                identical += 1
            elif canon(a) == canon(b):
                renumbered += 1
            else:
                # resynchronise after a line missing on one side (a reject)
                k = find(lb, a, window)
                if k is not None:
                    for _ in range(k):
                        lb.take()
                    only_b += k
                    continue
                k = find(la, b, window)
                if k is not None:
                    for _ in range(k):
                        if len(examples) < show:
                            examples.append(("only in A, line %d"
                                             % (la.n + 1),
                                             la.peek(0).rstrip("\n"), ""))
                        la.take()
                    only_a += k
                    continue
                different += 1
                if len(examples) < show:
                    examples.append(("line %d / %d" % (la.n + 1, lb.n + 1),
                                     a.rstrip("\n"), b.rstrip("\n")))
            la.take()
            lb.take()
    summary = "identical %d, same-after-number-reformatting %d, " \
        "different %d" % (identical, renumbered, different)
    if only_a or only_b:
        summary += ", only-in-A %d, only-in-B %d" % (only_a, only_b)
    print(summary)
    for where, a, b in examples:
        print("  %s\n    A: %s\n    B: %s" % (where, a[:400], b[:400]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
