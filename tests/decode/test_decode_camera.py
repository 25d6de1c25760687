"""Camera sources: image folders and video files stream frames (newest only); a stream that ends is
reported and reconnected."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from hardware.camera import build_camera
from hardware.decode.corpus import generate
from mydata_counter.settings import CameraSettings
from mydata_counter.testing import wait_for


def test_image_folder_source_streams_frames_with_increasing_sequence(tmp_path: Path) -> None:
    frames = [f for f in generate(3, per_cell=1) if f.resolution == "480p"][:3]
    for index, frame in enumerate(frames):
        cv2.imwrite(str(tmp_path / f"{index}.png"), frame.image)
    camera = build_camera(CameraSettings(driver="real", source=str(tmp_path), fps=30))
    camera.start()
    try:
        assert wait_for(lambda: camera.latest_frame() is not None)
        first = camera.latest_frame()
        assert first is not None and first.image.shape[:2] == (480, 640)
        assert wait_for(lambda: (camera.latest_frame() or first).sequence > first.sequence + 2)
        assert camera.health().state == "ok"
    finally:
        camera.close()


def test_video_file_that_ends_is_reported_and_reopened(tmp_path: Path) -> None:
    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"MJPG"), 30, (320, 240))
    for shade in range(10):
        writer.write(np.full((240, 320, 3), shade * 20, np.uint8))
    writer.release()
    camera = build_camera(CameraSettings(driver="real", source=str(video), fps=30))
    camera.start()
    try:
        assert wait_for(lambda: camera.health().message_key == "camera.streaming")
        assert wait_for(lambda: camera.health().message_key == "camera.stream_lost", 5)  # the clip ended
        assert wait_for(lambda: camera.health().message_key == "camera.streaming", 5)  # and plays again
    finally:
        camera.close()


def test_missing_camera_is_reported_not_found(tmp_path: Path) -> None:
    camera = build_camera(CameraSettings(driver="real", source=str(tmp_path / "no-such.avi")))
    camera.start()
    try:
        assert wait_for(lambda: camera.health().message_key == "camera.not_found", 5)
        assert camera.latest_frame() is None
        assert camera.health().state == "fail"
    finally:
        camera.close()
