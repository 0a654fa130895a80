"""`python -m agents.sandbox [--port 8765] [--agents 10000] …`: the sandbox without Django."""

import argparse
import sys

from agents.sandbox.server import add_arguments, serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agents.sandbox", description=__doc__)
    add_arguments(parser)
    options = vars(parser.parse_args(argv))
    try:
        serve(options)
    except ValueError as exc:
        parser.error(str(exc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
