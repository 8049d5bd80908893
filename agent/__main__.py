"""``python -m agent``: the agent on its own (``netmon agent`` is the same command)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from agent.cli import DESCRIPTION, add_arguments, run


def main(argv: Sequence[str] | None = None) -> int:
    from netmon.cli import setup_logging

    parser = argparse.ArgumentParser(prog="python -m agent", description=DESCRIPTION)
    parser.add_argument("--log.level", dest="log_level", default="info",
                        choices=["debug", "info", "warn", "error"],
                        help="only log messages with this severity or above (default: info)")
    add_arguments(parser)
    args = parser.parse_args(argv)
    setup_logging(args.log_level)
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
