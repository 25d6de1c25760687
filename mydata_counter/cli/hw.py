"""``mydata-counter hw …``: device tools. Each device kind adds its commands in its own module."""

from __future__ import annotations

import click

from mydata_counter.cli.camera import commands as camera_commands
from mydata_counter.cli.cards import commands as card_commands
from mydata_counter.cli.decode import commands as decode_commands
from mydata_counter.cli.printer import commands as printer_commands


@click.group("hw")
def hw() -> None:
    """Device tools for technicians: readers, cameras, decoders, printers."""


for command in (*card_commands, *camera_commands, *decode_commands, *printer_commands):
    hw.add_command(command)
