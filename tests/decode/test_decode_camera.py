"""Camera sources: image folders and video files stream frames (newest only); a stream that ends is
reported and reconnected."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from counter_core.settings import CameraSettings
from hardware.camera import build_camera
from hardware.camera.interface import CameraNotFound, StreamLost, next_frame
from hardware.decode.corpus import generate
from mydata_counter.testing import wait_for
from tests.decode.decode_rig import MjpegCamera, running_mjpeg_camera


def test_image_folder_source_streams_frames_with_increasing_sequence(tmp_path: Path) -> None:
    frames = list(generate(3, per_cell=3, resolutions=["480p"], conditions=["clean"], negatives=False))
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


def test_network_camera_streams_and_reconnects_when_the_stream_ends() -> None:
    with running_mjpeg_camera(MjpegCamera(frames_per_connection=20)) as source:
        camera = build_camera(CameraSettings(driver="real", source=source.url))
        camera.start()
        try:
            first = next_frame(camera, timeout_s=10)
            assert first.image.shape[:2] == (240, 320)
            assert wait_for(lambda: source.connections >= 2)  # the stream ended and was opened again
            assert next_frame(camera, after=first.sequence + 25, timeout_s=10).sequence > first.sequence + 25
            assert camera.health().message_key == "camera.streaming"
        finally:
            camera.close()


def test_network_camera_that_goes_silent_is_reported_lost_then_recovers() -> None:
    with running_mjpeg_camera(MjpegCamera()) as source:
        camera = build_camera(CameraSettings(driver="real", source=source.url))
        camera.start()
        try:
            next_frame(camera, timeout_s=10)
            source.silent.set()  # connection open, no more frames: a hung camera or a dead link
            assert wait_for(lambda: camera.health().message_key == "camera.stream_lost", 15)
            with pytest.raises(StreamLost) as lost:
                next_frame(camera, after=10**9, timeout_s=0.2)
            assert "重新連線" in lost.value.message("zh-TW") and "reconnecting" in lost.value.message("en")
            source.silent.clear()
            assert wait_for(lambda: camera.health().message_key == "camera.streaming", 15)
        finally:
            camera.close()


def test_slow_reader_gets_the_newest_frame_not_a_backlog(tmp_path: Path) -> None:
    for index in range(4):
        cv2.imwrite(str(tmp_path / f"{index}.png"), np.full((120, 160, 3), index * 60, np.uint8))
    camera = build_camera(CameraSettings(driver="real", source=str(tmp_path), fps=60))
    camera.start()
    try:
        first = next_frame(camera, timeout_s=10)
        time.sleep(0.5)  # a decoder busy for half a second
        newest = next_frame(camera, after=first.sequence)
        assert newest.sequence > first.sequence + 5  # frames captured meanwhile were dropped, not queued
        assert time.monotonic() - newest.timestamp < 0.2
    finally:
        camera.close()


def test_waiting_on_a_missing_camera_raises_camera_not_found(tmp_path: Path) -> None:
    camera = build_camera(CameraSettings(driver="real", source=str(tmp_path / "no-such.avi")))
    camera.start()
    try:
        assert wait_for(lambda: camera.health().message_key == "camera.not_found", 5)
        with pytest.raises(CameraNotFound) as missing:
            next_frame(camera, timeout_s=0.2)
        assert missing.value.message("zh-TW") == "找不到攝影機" and missing.value.message("en") == "No camera found"
    finally:
        camera.close()


def test_simulated_camera_shows_a_receipt_the_decoder_reads_and_an_empty_desk_after() -> None:
    from counter_core.datacode import damm_check_digit
    from hardware.camera.simulated import SimulatedCamera
    from hardware.decode.pipeline import decode_frame

    code = "460118273905512" + damm_check_digit("460118273905512")
    camera = build_camera(CameraSettings(driver="simulated", fps=30))
    assert isinstance(camera, SimulatedCamera)
    camera.start()
    try:
        empty = next_frame(camera, timeout_s=5)
        assert decode_frame(empty.image) is None
        camera.show(code)
        shown = next_frame(camera, after=next_frame(camera).sequence, timeout_s=5)
        found = decode_frame(shown.image)
        assert found is not None and found.code == code
        camera.show(None)
        assert decode_frame(next_frame(camera, after=next_frame(camera).sequence, timeout_s=5).image) is None
    finally:
        camera.close()
