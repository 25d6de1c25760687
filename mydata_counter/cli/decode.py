"""``mydata-counter hw decode FILE...`` and ``hw corpus``."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"})


def _images(paths: tuple[Path, ...]) -> list[Path]:
    """Files as given; a folder stands for the images directly in it, by name (its other files are skipped,
    so ``hw decode corpus/`` reads the frames and not manifest.json)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            found.append(path)
    return found


@click.command("decode")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
def decode(files: tuple[Path, ...]) -> None:
    """Decode MyData codes in image files, or in every image of a folder: one JSON object per line per file
    ({"file", "text", "format", "ms"}); text and format are null when no valid code is found."""
    import cv2  # heavy: only this command needs it, not every `mydata-counter` start

    from hardware.decode.pipeline import decode_frame

    for path in _images(files):
        started = time.perf_counter()
        image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE) if path.is_file() else None
        record: dict[str, object] = {"file": str(path), "text": None, "format": None}
        if image is None:
            record["error"] = "not a readable image"
        else:
            found = decode_frame(image)
            if found is not None:
                record.update(text=found.text, format=found.format)
        record["ms"] = round((time.perf_counter() - started) * 1000, 2)
        click.echo(json.dumps(record, ensure_ascii=False))


@click.command("corpus")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--seed", type=int, default=20261124, show_default=True)
@click.option(
    "--per-cell", type=int, default=3, show_default=True, help="Frames per resolution × condition (layouts in turn)."
)
def corpus(folder: Path, seed: int, per_cell: int) -> None:
    """Write the deterministic corpus of camera frames of receipts (and negatives) as PNG files."""
    from hardware.decode.corpus import write

    frames = write(folder, seed, per_cell)
    manifest = {frame.name: frame.code for frame in frames}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    click.echo(f"{len(frames)} frames in {folder}")


commands = [decode, corpus]
