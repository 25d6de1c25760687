"""Barcode decoding: one pipeline (``pipeline.decode_frame``) used by the clerk, ``hw decode``,
``hw doctor`` and the benchmarks."""

from __future__ import annotations

import time

from counter_core.metrics import DECODE_SECONDS
from counter_core.settings import DecoderSettings
from hardware.decode.interface import Decoded, Decoder, Image
from hardware.decode.pipeline import decode_frame
from hardware.health import DeviceHealth


class PipelineDecoder:
    """The software decoder. ``simulated`` runs the same pipeline: decoding has no device to fake."""

    def __init__(self, settings: DecoderSettings) -> None:
        self.settings = settings

    def decode(self, image: Image) -> Decoded | None:
        started = time.perf_counter()
        try:
            return decode_frame(image)
        finally:
            DECODE_SECONDS.observe(time.perf_counter() - started)

    def health(self) -> DeviceHealth:
        return DeviceHealth("decoder", "software", "ok", "decoder.ready", "zxing-cpp + pyzbar")

    def close(self) -> None:
        pass


def build_decoder(settings: DecoderSettings) -> Decoder:
    return PipelineDecoder(settings)


__all__ = ["Decoded", "Decoder", "build_decoder", "decode_frame"]
