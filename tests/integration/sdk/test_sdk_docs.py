"""The C charm SDK's documentation: every public function of include/cairn/charm.h has its
contract in a comment right above (or beside) its declaration; the man page
docs/man/cairn-charm.3 lists every public function, under the header's own groups, and
nothing else; `man --warnings` renders it without a warning."""
import os
import re
import subprocess
import unittest

SRC = os.environ.get("SRC_DIR") or os.path.join(os.path.dirname(__file__), "..", "..", "..")
HEADER = os.path.join(SRC, "include", "cairn", "charm.h")
MAN = os.path.join(SRC, "docs", "man", "cairn-charm.3")
DECL = re.compile(r"^CAIRN_API\b[^(]*?\b(cairn_[a-z0-9_]+)\s*\(")
BANNER = re.compile(r"^/\* =+ (.+?) =+")
SUB = re.compile(r"^/\* ---- (.+?) ----")


def header_api():
    """[(group, name, documented)] in header order."""
    with open(HEADER) as f:
        lines = f.read().splitlines()
    out, group, top = [], None, None
    for i, line in enumerate(lines):
        m = BANNER.match(line)
        if m:
            top = group = m.group(1).strip()
            continue
        m = SUB.match(line)
        if m and top:
            group = top + ": " + m.group(1).strip()
            continue
        m = DECL.match(line)
        if not m:
            continue
        # Walk up over the declarations of the same block (and their continuation lines):
        # the first other line must close a comment, or the declaration carries its own.
        j, documented = i - 1, "/*" in line
        while j >= 0 and not documented:
            prev = lines[j].rstrip()
            if prev.endswith("*/"):
                documented = True
            elif prev.startswith("CAIRN_API") or (prev.startswith(("\t", " ")) and not prev.lstrip().startswith("*")):
                j -= 1
                continue
            break
        out.append((group, m.group(1), documented))
    return out


class Docs(unittest.TestCase):
    def test_every_function_has_its_contract(self):
        api = header_api()
        self.assertGreater(len(api), 200)
        undocumented = [n for _, n, d in api if not d]
        self.assertEqual(undocumented, [])

    def test_man_page_lists_every_function_by_group(self):
        with open(MAN) as f:
            man = f.read()
        self.assertIn(".SH FUNCTIONS\n", man)
        section = man.split(".SH FUNCTIONS\n", 1)[1].split("\n.SH ", 1)[0]
        listed = re.findall(r"\\fB(cairn_[a-z0-9_]+)\\fP\(\)", section)
        api = header_api()
        self.assertEqual(sorted(listed), sorted(n for _, n, _ in api))
        # Under the header's groups, in its order.
        groups = []
        for g, _, _ in api:
            if g not in groups:
                groups.append(g)
        titles = [t.replace("\\-", "-") for t in re.findall(r"^\.B (.+)$", section, re.M)]
        self.assertEqual(titles, groups)

    def test_man_renders_without_warnings(self):
        env = dict(os.environ, MANWIDTH="80", MANPAGER="cat", PAGER="cat")
        p = subprocess.run(["man", "--warnings", "-l", MAN], capture_output=True, text=True, env=env)
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        self.assertIn("cairn_map_get_path()", p.stdout)
        self.assertIn("FUNCTIONS", p.stdout)


if __name__ == "__main__":
    unittest.main()
