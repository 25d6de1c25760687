"""``mydata-counter hw …``: device tools. Each device kind adds its commands in its own module."""

from __future__ import annotations

import click

from hardware.camera.cli import commands as camera_commands
from hardware.cards.cli import commands as card_commands
from hardware.decode.cli import commands as decode_commands
from hardware.printer.cli import commands as printer_commands


@click.group("hw")
def hw() -> None:
    """Device tools for technicians: readers, cameras, decoders, printers."""


for command in (*card_commands, *camera_commands, *decode_commands, *printer_commands):
    hw.add_command(command)
