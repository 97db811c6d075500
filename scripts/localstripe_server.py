"""Run localstripe without its pickle dump.

localstripe pickles its whole store to one fixed file on every write, which
makes every write slower than the last and lets two instances on one machine
overwrite each other (see docs/architecture.md). Tests and the demo keep the
fake's data in memory only, so the dump is switched off before it starts.

Usage: python scripts/localstripe_server.py --port 8420
"""

import sys

from localstripe import resources, server


def main() -> None:
    resources.Store.dump_to_disk = lambda self: None
    if "--from-scratch" not in sys.argv:
        sys.argv.append("--from-scratch")
    server.start()


if __name__ == "__main__":
    main()
