"""``python -m curriculum.generate [--check]``: write (or only list) the generated files."""

from __future__ import annotations

import sys

from curriculum.generate import ROOT, stale_files, write_all


def main(argv: list[str]) -> int:
    if "--check" in argv:
        stale = stale_files()
        for path in stale:
            print(f"differs from its generator: {path.relative_to(ROOT.parent)}")
        return 1 if stale else 0
    for path in write_all():
        print(f"wrote {path.relative_to(ROOT.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
