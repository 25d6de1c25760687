"""What a decoder reports: only valid MyData codes, with where the symbol was in the frame."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy.typing as npt

from hardware.health import DeviceHealth

Symbology = Literal["QRCode", "Code128"]
Image = npt.NDArray[Any]  # a BGR or grey frame as OpenCV gives it


@dataclass(frozen=True)
class Decoded:
    text: str = field(repr=False)  # the symbol's text exactly ("MYDATA1:…" or the 16 digits)
    format: Symbology
    code: str = field(repr=False)  # the 16-digit data code
    points: tuple[tuple[int, int], ...]  # the symbol's corners in frame coordinates
    ms: float
    pass_name: str  # which pass of the pipeline found it (for tuning and metrics)


class Decoder(Protocol):
    def decode(self, image: Image) -> Decoded | None: ...

    def health(self) -> DeviceHealth: ...

    def close(self) -> None: ...
