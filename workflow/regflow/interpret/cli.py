"""``regflow interpret ...``: explain trained models.

Each subcommand lives in its own module, which defines ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args)``; this module only registers them.
"""

from __future__ import annotations

import importlib

COMMANDS = {
    "vit-attention": "regflow.interpret.vit_maps",
    "swin-attention": "regflow.interpret.swin_maps",
    "get-jacobian": "regflow.interpret.get_jacobian",
    "contributions": "regflow.interpret.contributions",
    "modisco": "regflow.interpret.motif_discovery",
}


def add_parser(subparsers) -> None:
    """Register ``interpret`` with one subcommand per module of :data:`COMMANDS`."""
    parser = subparsers.add_parser("interpret", help="explain trained models")
    sub = parser.add_subparsers(dest="interpret_command", required=True)
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        command = sub.add_parser(name, help=module.HELP)
        module.add_arguments(command)
        command.set_defaults(func=module.run)
