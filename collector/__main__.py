"""``python -m collector``: the collector on its own (``netmon collector`` is the same).

``python -m collector inventory ...`` runs ``netmon inventory``.
"""

from __future__ import annotations

import argparse
import logging
import sys


def main(argv: list[str] | None = None) -> int:
    args_list = sys.argv[1:] if argv is None else argv
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="ts=%(asctime)s level=%(levelname)s logger=%(name)s "
                               "msg=%(message)s")
    if args_list[:1] == ["inventory"]:
        from collector import inventory_cli as cli
        parser = argparse.ArgumentParser(prog="python -m collector inventory")
        cli.add_arguments(parser)
        return cli.run(parser.parse_args(args_list[1:]))
    from collector import cli as collector_cli
    parser = argparse.ArgumentParser(prog="python -m collector")
    collector_cli.add_arguments(parser)
    return collector_cli.run(parser.parse_args(args_list))


raise SystemExit(main())
