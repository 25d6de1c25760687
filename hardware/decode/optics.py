"""A counter camera's optics and sensor, for the corpus: what happens between the scene and the JPEG.

Modelled from how cameras work rather than from what the decoder undoes:
- **Defocus** is a disc (the aperture's image), not a Gaussian: its spectrum has rings of zeros that no
  Wiener filter brings back. A lens is never perfect either: a little Gaussian blur on every frame.
- **Motion** is the receipt moving in the hand while the camera stays still: a *trajectory* (random
  velocity and turning, sometimes a jerk, Boracchi & Foi's camera-shake model), so kernels are curved and
  uneven, and only the moving object is smeared while the desk stays sharp.
- **Exposure** follows auto-exposure: dim rooms get long exposures and high gain (noise), and the exposure
  time lengthens the smear of a hand that is never quite still; over-exposure clips the paper.
- **Sensor**: the scene is integrated over each pixel (rendered at 2x and averaged), vignetting, lateral
  chromatic aberration, an RGGB Bayer mosaic with shot and read noise, demosaicing, white balance, the
  sRGB tone curve, the camera's own sharpening, then JPEG with 4:2:0 chroma (as webcams send MJPEG).
"""

from __future__ import annotations

import math
import random

import cv2
import numpy as np

from hardware.decode import deblur
from hardware.decode.interface import Image

FULL_WELL = 6000.0  # electrons at a full-scale pixel (small webcam pixels)
READ_NOISE = 4.0  # electrons
MAX_EXPOSURE_MS, MAX_GAIN = 33.0, 16.0  # 30 fps cameras cannot expose longer than a frame
SENSITIVITY = 0.075  # full scale per (ms x radiance x light): ~8 ms for a typical counter


def disc_psf(radius: float) -> Image:
    """Defocus: the aperture's image, a uniformly lit disc (the decoder's own kernel: one definition)."""
    return deblur.disc_kernel(radius)


def gaussian_psf(sigma: float) -> Image:
    size = max(3, int(6 * sigma) | 1)
    column = cv2.getGaussianKernel(size, max(sigma, 1e-3), cv2.CV_32F)
    return (column @ column.T).astype(np.float32)


def shake_psf(rng: random.Random, length: float) -> Image:
    """The path of a moving hand during the exposure, ``length`` px long, as a kernel: random direction,
    velocity that drifts and turns (sometimes a sudden jerk), time spent at each point = its weight."""
    steps = 400
    noise = np.random.default_rng(rng.randrange(2**31))
    curviness = rng.choice([0.0, 0.0, rng.uniform(0.5, 2.5)])  # many smears are nearly straight
    heading = rng.uniform(0, 2 * math.pi) + curviness * np.cumsum(noise.normal(0, 1, steps)) / math.sqrt(steps)
    speed = np.clip(1.0 + 0.4 * cv2.GaussianBlur(noise.normal(0, 1, (1, steps)), (0, 0), 30).ravel() * 6, 0.15, 3)
    if rng.random() < 0.25:  # a jerk: the hand stops, then moves on another way
        at = rng.randrange(steps // 4, 3 * steps // 4)
        heading[at:] += rng.uniform(0.6, 2.0) * rng.choice([-1, 1])
    path = np.cumsum(np.stack([np.cos(heading) * speed, np.sin(heading) * speed], axis=1), axis=0)
    walked = float(np.sum(np.hypot(*np.diff(path, axis=0).T)))
    path = (path - path.mean(axis=0)) * (length / max(walked, 1e-6))
    extent = math.ceil(float(np.abs(path).max())) + 2
    size = 2 * extent + 1
    kernel = np.zeros((size, size), np.float32)
    for x, y in path + extent:  # splat each instant bilinearly
        x0, y0 = int(x), int(y)
        fx, fy = x - x0, y - y0
        kernel[y0, x0] += (1 - fx) * (1 - fy)
        kernel[y0, x0 + 1] += fx * (1 - fy)
        kernel[y0 + 1, x0] += (1 - fx) * fy
        kernel[y0 + 1, x0 + 1] += fx * fy
    return (kernel / kernel.sum()).astype(np.float32)


def convolve(image: Image, kernel: Image) -> Image:
    if kernel.size == 1:
        return image
    return cv2.filter2D(image, -1, kernel, borderType=cv2.BORDER_REFLECT)


def glare(rng: random.Random, size: tuple[int, int], centre: tuple[float, float], reach: float) -> Image:
    """A lamp's reflection on glossy paper or glass: a bright elongated blob (a tube light is a band),
    to be added to the light the object sends; its peak may saturate the sensor."""
    width, height = size
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, math.pi)
    u = (xx - centre[0]) * math.cos(angle) + (yy - centre[1]) * math.sin(angle)
    v = -(xx - centre[0]) * math.sin(angle) + (yy - centre[1]) * math.cos(angle)
    long_axis, short_axis = reach * rng.uniform(0.6, 1.6), reach * rng.uniform(0.15, 0.5)
    core = np.exp(-((u / long_axis) ** 2 + (v / short_axis) ** 2) * 2.0)
    halo = np.exp(-((u / (3 * long_axis)) ** 2 + (v / (3 * short_axis)) ** 2))
    return (core * rng.uniform(0.8, 2.5) + halo * rng.uniform(0.05, 0.3)).astype(np.float32)


def light_field(rng: random.Random, size: tuple[int, int], *, shadow: bool) -> Image:
    """How much light falls where: a smooth gradient across the counter; ``shadow``: a soft-edged shadow
    (a hand, the clerk's head) across part of the frame, 20-45 % of the light inside."""
    width, height = size
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * math.pi)
    ramp = ((xx / width - 0.5) * math.cos(angle) + (yy / height - 0.5) * math.sin(angle)) * rng.uniform(0.1, 0.5)
    field_ = 1.0 + ramp
    if shadow:
        edge_angle = rng.uniform(0, 2 * math.pi)
        offset = rng.uniform(-0.15, 0.15)
        distance = (xx / width - 0.5) * math.cos(edge_angle) + (yy / height - 0.5) * math.sin(edge_angle) - offset
        softness = rng.uniform(0.01, 0.08)
        inside = 1.0 / (1.0 + np.exp(-distance / softness))
        field_ *= 1.0 - inside * (1.0 - rng.uniform(0.2, 0.45))
    return field_.astype(np.float32)


def auto_exposure(mean_radiance: float, light: float, bias_ev: float) -> tuple[float, float]:
    """(exposure ms, analogue gain) a camera picks to bring the frame's mean to ~18 % grey, as a product
    of light and time; dim rooms run out of exposure time, then gain, and stay dark."""
    wanted = 0.18 * 2**bias_ev / max(mean_radiance * light * SENSITIVITY, 1e-9)  # in "ms at gain 1"
    exposure = min(wanted, MAX_EXPOSURE_MS)
    gain = min(MAX_GAIN, max(1.0, wanted / MAX_EXPOSURE_MS))
    return exposure, gain


def _lateral_chromatic(image: Image, amount: float) -> Image:
    """Red and blue focus at slightly different magnifications: colour fringes towards the corners."""
    height, width = image.shape[:2]
    out = image.copy()
    for channel, scale in ((0, 1 - amount), (2, 1 + amount)):
        matrix = cv2.getRotationMatrix2D((width / 2, height / 2), 0, scale)
        out[..., channel] = cv2.warpAffine(image[..., channel], matrix, (width, height), borderMode=cv2.BORDER_REFLECT)
    return out


_LEVELS = np.linspace(0, 1, 4096, dtype=np.float32)
_SRGB = np.where(_LEVELS <= 0.0031308, 12.92 * _LEVELS, 1.055 * np.power(_LEVELS, 1 / 2.4) - 0.055).astype(np.float32)


def _srgb(linear: Image) -> Image:
    """The sRGB tone curve (through a table: it runs on every pixel of 4K frames)."""
    return _SRGB[(np.clip(linear, 0, 1) * 4095).astype(np.int32)]


def sensor(
    rng: random.Random, radiance: Image, supersample: int, exposure: float, gain: float, light_colour: Image
) -> Image:
    """Integrate ``radiance`` (float32 BGR at ``supersample`` x the sensor) into a BGR uint8 frame as a
    webcam's sensor and image processor make it (before JPEG)."""
    height, width = radiance.shape[0] // supersample, radiance.shape[1] // supersample
    pixels = cv2.resize(radiance, (width, height), interpolation=cv2.INTER_AREA) if supersample > 1 else radiance
    pixels = _lateral_chromatic(pixels, rng.uniform(0.0, 0.0015))
    mosaic = np.empty((height, width), np.float32)  # RGGB: which colour each photosite sees (BGR order)
    mosaic[0::2, 0::2] = pixels[0::2, 0::2, 2]
    mosaic[0::2, 1::2] = pixels[0::2, 1::2, 1]
    mosaic[1::2, 0::2] = pixels[1::2, 0::2, 1]
    mosaic[1::2, 1::2] = pixels[1::2, 1::2, 0]
    yy, xx = np.mgrid[0:36, 0:64].astype(np.float32)  # smooth: computed small, then enlarged
    r2 = ((xx - 31.5) ** 2 + (yy - 17.5) ** 2) / (31.5**2 + 17.5**2)
    vignetting = cv2.resize(1.0 - rng.uniform(0.15, 0.4) * r2, (width, height))  # cos⁴ falloff, roughly
    electrons = cv2.multiply(mosaic, vignetting, scale=exposure * FULL_WELL)  # photons collected
    electrons = np.minimum(electrons, FULL_WELL / gain * 1.5, out=electrons)  # past saturation nothing matters
    noise = np.random.default_rng(rng.randrange(2**31))
    spread = cv2.sqrt(electrons + READ_NOISE**2)
    electrons = electrons + noise.standard_normal(mosaic.shape, dtype=np.float32) * spread
    raw16 = np.clip(electrons * (gain / FULL_WELL * 65535), 0, 65535).astype(np.uint16)  # ADC after gain
    colour = cv2.cvtColor(raw16, cv2.COLOR_BayerBG2BGR)  # OpenCV names RGGB "BG"
    # auto white balance (the light's colour, give or take what the camera misjudges), tone curve, 8 bits
    balance = light_colour.mean() / light_colour * np.array([rng.uniform(0.93, 1.07) for _ in range(3)])
    tone = np.empty((height, width, 3), np.uint8)
    for channel in range(3):
        table = _srgb(np.arange(65536, dtype=np.float32) / 65535 * float(balance[channel]))
        tone[..., channel] = (table * 255 + 0.5).astype(np.uint8)[colour[..., channel]]
    soft = cv2.GaussianBlur(tone, (0, 0), rng.uniform(0.8, 1.4))
    amount = rng.uniform(0.2, 0.9)  # every webcam sharpens (halos included)
    return cv2.addWeighted(tone, 1 + amount, soft, -amount, 0)  # type: ignore[no-any-return]


def jpeg(image: Image, quality: int) -> Image:
    """As the camera sends it: JPEG (4:2:0 chroma for colour frames)."""
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
