"""The `avatarfarm` command line: serve, demo, db, and sub-commands contributed by other packages."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points
from typing import Protocol, cast

PLUGIN_GROUP = "avatarfarm.commands"


class CommandModule(Protocol):
    """What a module registered under the `avatarfarm.commands` entry-point group provides."""

    HELP: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def _plugin_commands() -> dict[str, CommandModule]:
    commands: dict[str, CommandModule] = {}
    for ep in entry_points(group=PLUGIN_GROUP):
        try:
            module = ep.load()
        except ImportError as exc:  # a broken plugin must not take the whole CLI down
            print(f"avatarfarm: command {ep.name!r} unavailable: {exc}", file=sys.stderr)
            continue
        commands[ep.name] = cast(CommandModule, module)
    return commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="avatarfarm",
        description="An AI clone of a professor in every Zoom breakout room.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module in sorted(_plugin_commands().items()):
        plugin_parser = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(plugin_parser)
        plugin_parser.set_defaults(handler=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
