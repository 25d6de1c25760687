"""``mydata-counter hw`` commands of this device kind."""

from __future__ import annotations

import click

commands: list[click.Command] = []
