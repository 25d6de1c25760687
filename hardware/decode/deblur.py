"""Deblurring for hard frames: Wiener deconvolution with a point-spread function estimated from the frame.

A hand moving the receipt smears it along a line (motion blur); a camera focused on the desk spreads
every point into a blob (defocus). Sharpening only steepens edges that are still there; deconvolution
undoes the smear when its shape is known. Motion blur leaves a tell-tale negative peak in the image's
cepstrum at the blur's length and direction, so the kernel is measured rather than guessed.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import cv2
import numpy as np

from hardware.decode.interface import Image

NOISE_TO_SIGNAL = 0.01  # Wiener regularisation: larger = smoother, less ringing, less sharpening
MOTION_PEAK = -0.015  # cepstrum value below which a motion-blur peak is taken as real
MAX_BLUR_PX = 40
# a peak with a twin of the same length at right angles is a grid; two more peaks looked at to drop them
GRID_EXTRA, GRID_TURN, GRID_LENGTH = 2, 6.0, 0.5  # (peaks, degrees off 90, px)
MIN_BLUR_PX = 5  # shorter smears are left to sharpening (and module pitch would pass for one)
MIN_DISC_PX, MAX_DISC_PX = 1.5, 14.0  # defocus disc radii looked for
DISC_DIP = -0.0007  # ring-averaged cepstrum value below which a disc is taken as real (faded print: faint)
# a smear measured from the edges (``edge_motion``): the most the weakest gradients may be of the strongest,
# the shortest smear looked for (px), the ways either side of theirs looked along (degrees), the dip
EDGE_ANISOTROPY, EDGE_SHORTEST_PX, EDGE_SPREAD, EDGE_DIP = 0.8, 3.0, 4, -0.008
# a kernel refitted from a binary guess (``refit``): the guess's neighbourhood (px), the share of pixels
# with the clearest edges it is fitted on, the least-squares damping (share of the mean power), and the
# share of its peak under which a kernel's tap is noise
GUESS_WINDOW, EDGE_SHARE, KERNEL_DAMPING, KERNEL_FLOOR = 31, 0.3, 0.005, 0.05


# how much noisier than usual the frame being decoded is, as a factor on every Wiener filter's
# noise-to-signal ratio (``noisier``): per thread, so live decoding and a benchmark never share it
_NOISE_GAIN: ContextVar[float] = ContextVar("noise_gain", default=1.0)


@contextmanager
def noisier(gain: float) -> Iterator[None]:
    """Within the block, every Wiener filter regularises ``gain`` times as much: a frame whose sensor noise
    is several times the usual (dim light's gain) would have it lifted over the print by the ratios
    chosen for ordinary frames."""
    token = _NOISE_GAIN.set(gain)
    try:
        yield
    finally:
        _NOISE_GAIN.reset(token)


@dataclass(frozen=True)
class MotionBlur:
    length: float  # pixels
    angle: float  # degrees, image coordinates (x right, y down)
    strength: float  # how pronounced the cepstrum peak is (more negative = clearer)


def _taper(image: Image, margin: int = 16) -> Image:
    """Blend the borders into a blurred copy so the FFT's wrap-around does not ring across the crop."""
    f = image.astype(np.float32)
    height, width = f.shape
    strip = 3 * margin  # the blur (sigma margin / 2) reaches 2 margins: the borders' own strips suffice
    if min(height, width) <= 2 * strip:
        soft = cv2.GaussianBlur(f, (0, 0), margin / 2)
    else:  # only the border bands are blended, so only they are blurred (a quarter of the pixels)
        soft = f.copy()
        soft[:margin] = cv2.GaussianBlur(f[:strip], (0, 0), margin / 2)[:margin]
        soft[-margin:] = cv2.GaussianBlur(f[-strip:], (0, 0), margin / 2)[-margin:]
        soft[:, :margin] = cv2.GaussianBlur(f[:, :strip], (0, 0), margin / 2)[:, :margin]
        soft[:, -margin:] = cv2.GaussianBlur(f[:, -strip:], (0, 0), margin / 2)[:, -margin:]
    ramp_y = np.minimum(np.arange(height), np.arange(height)[::-1]).astype(np.float32)
    ramp_x = np.minimum(np.arange(width), np.arange(width)[::-1]).astype(np.float32)
    alpha = np.clip(np.minimum.outer(ramp_y, ramp_x) / margin, 0.0, 1.0)
    return f * alpha + soft * (1.0 - alpha)  # type: ignore[no-any-return]


def _padded_dft(f: Image) -> tuple[Image, tuple[int, int]]:
    height, width = f.shape
    size = (cv2.getOptimalDFTSize(height), cv2.getOptimalDFTSize(width))
    padded = cv2.copyMakeBorder(f, 0, size[0] - height, 0, size[1] - width, cv2.BORDER_REFLECT)
    return cv2.dft(padded, flags=cv2.DFT_COMPLEX_OUTPUT), size  # type: ignore[return-value]


def cepstrum(grey: Image) -> Image:
    """The real cepstrum of ``grey`` (windowed, padded to a fast size): the inverse transform of the log
    spectrum, where a blur's zeros show as a dip at its size. Motion and defocus are both read from it."""
    f = grey.astype(np.float32)
    f -= float(f.mean())
    height, width = f.shape
    window = cv2.createHanningWindow((width, height), cv2.CV_32F)
    spectrum, size = _padded_dft(f * window)
    half = spectrum[:, : size[1] // 2 + 1]  # a real image's spectrum: the other half mirrors it
    log_spectrum = cv2.log(cv2.magnitude(half[..., 0].copy(), half[..., 1].copy()) + 1e-3)
    return np.fft.irfft2(log_spectrum.astype(np.complex64), s=size).astype(np.float32)  # type: ignore[no-any-return]


def _cepstrum_near(grey: Image, reach: int, full: Image | None = None) -> tuple[Image, Image, Image]:
    """The real cepstrum of ``grey`` (or the one given) around its origin, (-reach..reach)², with the
    offsets."""
    full = cepstrum(grey) if full is None else full
    size = full.shape
    reach = min(reach, size[0] // 2 - 1, size[1] // 2 - 1)
    # the cepstrum is periodic: gather the (-reach..reach)² neighbourhood of the origin
    rows = np.r_[size[0] - reach : size[0], 0 : reach + 1]
    cols = np.r_[size[1] - reach : size[1], 0 : reach + 1]
    yy, xx = np.mgrid[-reach : reach + 1, -reach : reach + 1]
    return full[np.ix_(rows, cols)], yy, xx


def estimate_motions(grey: Image, count: int = 3, full: Image | None = None) -> list[MotionBlur]:
    """Up to ``count`` motion blurs that fit ``grey``, the clearest first: the strongest negative
    cepstrum peaks in different directions. A hand's path is rarely a straight line at constant speed,
    so its peak is weaker than a line's and the print's own structure (text lines, module pitch) makes
    peaks too: the first one is not always the smear. ``full``: ``grey``'s cepstrum if already taken."""
    near, yy, xx = _cepstrum_near(grey, MAX_BLUR_PX, full)
    reach = int(yy.max())
    radius = np.hypot(yy, xx)
    masked = np.where((radius < MIN_BLUR_PX) | (radius > reach) | (yy < 0) | ((yy == 0) & (xx < 0)), 0.0, near)
    found: list[MotionBlur] = []
    looked = count + GRID_EXTRA
    for index in np.argsort(masked, axis=None)[: 12 * looked]:
        row, col = np.unravel_index(int(index), masked.shape)
        value = float(masked[row, col])
        if value > MOTION_PEAK or len(found) == looked:
            break
        if not 0 < row < masked.shape[0] - 1 or not 0 < col < masked.shape[1] - 1:
            continue
        dy = float(yy[row, col]) + _vertex(near[row - 1 : row + 2, col])
        dx = float(xx[row, col]) + _vertex(near[row, col - 1 : col + 2])
        blur = MotionBlur(math.hypot(dx, dy), math.degrees(math.atan2(dy, dx)) % 180.0, value)
        if all(abs((blur.angle - other.angle + 90) % 180 - 90) > 12 for other in found):
            found.append(blur)
    return [blur for blur in found if not any(_grid(blur, other) for other in found)][:count]


def edge_motion(grey: Image, full: Image | None = None) -> MotionBlur | None:
    """A smear measured from the edges, or None: its direction is the one the image's gradients are
    weakest along (the structure tensor's minor axis), where they clearly are; its length the first clear
    dip of the cepstrum that way. The cepstrum's deepest peaks can be the print's own rhythm (a receipt's
    text lines, ~24 px apart) rather than the smear, whose direction the edges still show. ``full``:
    ``grey``'s cepstrum if already taken."""
    f = grey.astype(np.float32)
    across, down = cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3)
    mixed = float(np.mean(across * down))
    tensor = np.array([[float(np.mean(across * across)), mixed], [mixed, float(np.mean(down * down))]])
    (weak, strong), axes = np.linalg.eigh(tensor)
    if weak > EDGE_ANISOTROPY * strong:
        return None
    angle = math.degrees(math.atan2(axes[1, 0], axes[0, 0])) % 180.0
    near, _, _ = _cepstrum_near(grey, MAX_BLUR_PX, full)
    middle = near.shape[0] // 2
    lengths = np.arange(EDGE_SHORTEST_PX, middle, 0.5, dtype=np.float32)
    turns = np.radians(angle + np.arange(-EDGE_SPREAD, EDGE_SPREAD + 1, 2, dtype=np.float32))
    xs = (middle + np.outer(np.cos(turns), lengths)).astype(np.float32)
    ys = (middle + np.outer(np.sin(turns), lengths)).astype(np.float32)
    profile = cv2.remap(near, xs, ys, cv2.INTER_LINEAR).min(axis=0)  # the deepest of the nearby ways
    for index in range(1, len(profile) - 1):
        value = float(profile[index])
        if value < EDGE_DIP and profile[index - 1] > value <= profile[index + 1]:
            return MotionBlur(float(lengths[index]), angle, value)
    return None


def _grid(blur: MotionBlur, other: MotionBlur) -> bool:
    """Two peaks of one length at right angles are a grid (JPEG's 8-px blocks, a QR's modules), not a
    smear: a hand moves one way at a time."""
    turn = abs((blur.angle - other.angle) % 180 - 90)
    return turn < GRID_TURN and abs(blur.length - other.length) < GRID_LENGTH


def estimate_motion(grey: Image) -> MotionBlur | None:
    """The clearest motion blur in ``grey``, or None if there is none."""
    found = estimate_motions(grey, 1)
    return found[0] if found else None


def box_across(profile: Image, longest: float = 2 * MAX_BLUR_PX) -> float | None:
    """The length of a smear along a barcode's profile (the motion's component across the bars), up to
    ``longest`` px, from the profile's 1-D cepstrum, or None."""
    f = profile.astype(np.float32) - float(profile.mean())
    window = np.hanning(len(f)).astype(np.float32)
    spectrum = np.fft.rfft(f * window, n=2 * len(f))
    cepstrum = np.fft.irfft(np.log(np.abs(spectrum) + 1e-3))
    lags = cepstrum[MIN_BLUR_PX : min(int(longest) + 1, len(f) // 3)]
    if not len(lags):
        return None
    lag = int(np.argmin(lags))
    if float(lags[lag]) > MOTION_PEAK:
        return None
    return float(lag + MIN_BLUR_PX)


def estimate_disc(grey: Image, full: Image | None = None) -> float | None:
    """The radius of an out-of-focus lens's blur disc, or None if no disc shows. A disc's spectrum has
    rings of zeros spaced by the inverse of its diameter, so the cepstrum, averaged over rings, dips at
    the diameter. (Edge slopes measure it poorly: every webcam sharpens, which steepens them.) ``full``:
    ``grey``'s cepstrum if already taken."""
    near, yy, xx = _cepstrum_near(grey, int(2 * MAX_DISC_PX) + 2, full)
    radius = np.rint(np.hypot(yy, xx)).astype(np.int32)
    rings = np.bincount(radius.ravel(), near.ravel()) / np.maximum(np.bincount(radius.ravel()), 1)
    rings = rings[: int(yy.max()) + 1]
    low = int(2 * MIN_DISC_PX)
    if len(rings) <= low + 1:
        return None
    diameter = low + int(np.argmin(rings[low:]))
    if rings[diameter] > DISC_DIP:
        return None
    return (diameter + _vertex(rings[diameter - 1 : diameter + 2])) / 2


def _vertex(samples: Image) -> float:
    """Sub-pixel offset of a minimum from three samples around it (parabola through them)."""
    if samples.shape[0] != 3:
        return 0.0
    left, middle, right = (float(v) for v in samples)
    curvature = left - 2 * middle + right
    return 0.0 if curvature <= 0 else max(-0.5, min(0.5, 0.5 * (left - right) / curvature))


def _percentile(histogram: Image, share: float) -> int:
    cumulative = np.cumsum(histogram.ravel())
    return int(np.searchsorted(cumulative, share * cumulative[-1]))


def contrast(grey: Image) -> int:
    """Grey levels between the darkest and the lightest 5 % of pixels."""
    levels = cv2.calcHist([grey], [0], None, [256], [0, 256])
    return _percentile(levels, 0.95) - _percentile(levels, 0.05)


def envelopes(image: Image, size: tuple[int, int], *, smooth: bool = True) -> tuple[Image, Image]:
    """The local darkest and lightest of ``image`` (eroded and dilated over a ``size`` = (width, height)
    window), each box-blurred over the same window when ``smooth``, in ``image``'s own dtype."""
    kernel = np.ones((size[1], size[0]), np.uint8)
    low, high = cv2.erode(image, kernel), cv2.dilate(image, kernel)
    if smooth:
        low, high = cv2.blur(low, size), cv2.blur(high, size)
    return low, high


def line_kernel(length: float, angle: float, lean: float = 0.0) -> Image:
    """A straight smear of ``length`` pixels at ``angle`` degrees, anti-aliased, summing to 1. ``lean``
    (-1..1): a hand that slows down or speeds up during the exposure leaves more of the image where it
    lingered, so the weight changes along the smear, by ``1 + lean * t`` from end (t = -1) to end (t = 1).
    The cepstrum sees only the smear's power spectrum, which hides which end is heavier (the phase): a
    uniform smear undoes such a path into double edges, the right lean into clean ones."""
    size = math.ceil(length) + 3 | 1
    kernel = np.zeros((size, size), np.float32)
    centre = size // 2
    half = max(length - 1, 0.0) / 2
    end_x, end_y = math.cos(math.radians(angle)) * half, math.sin(math.radians(angle)) * half
    for t in np.linspace(-1.0, 1.0, 4 * size):
        x, y = centre + t * end_x, centre + t * end_y
        x0, y0 = math.floor(x), math.floor(y)
        fx, fy = x - x0, y - y0
        weight = max(0.0, 1.0 + lean * t)
        kernel[y0, x0] += weight * (1 - fx) * (1 - fy)
        kernel[y0, x0 + 1] += weight * fx * (1 - fy)
        kernel[y0 + 1, x0] += weight * (1 - fx) * fy
        kernel[y0 + 1, x0 + 1] += weight * fx * fy
    return kernel / kernel.sum()  # type: ignore[no-any-return]


def disc_kernel(radius: float) -> Image:
    """Defocus: a uniformly lit disc of ``radius`` px (anti-aliased edge), summing to 1."""
    if radius < 0.5:
        return np.ones((1, 1), np.float32)  # type: ignore[no-any-return]
    size = 2 * math.ceil(radius) + 3
    fine = 8
    yy, xx = np.mgrid[0 : size * fine, 0 : size * fine].astype(np.float32)
    centre = size * fine / 2
    inside = ((xx - centre + 0.5) ** 2 + (yy - centre + 0.5) ** 2 <= (radius * fine) ** 2).astype(np.float32)
    kernel = cv2.resize(inside, (size, size), interpolation=cv2.INTER_AREA)
    return (kernel / kernel.sum()).astype(np.float32)  # type: ignore[no-any-return]


def gaussian_kernel(sigma: float) -> Image:
    size = int(6 * sigma) | 1
    column = cv2.getGaussianKernel(size, sigma, cv2.CV_32F)
    return (column @ column.T).astype(np.float32)  # type: ignore[no-any-return]


def box_kernel_1d(length: float) -> Image:
    """A horizontal smear of ``length`` px (anti-aliased ends), summing to 1."""
    size = math.ceil(length) | 1
    kernel = np.ones(size, np.float32)
    edge = (length - (size - 2)) / 2  # the two end taps carry the fraction left over
    kernel[0] = kernel[-1] = max(0.0, min(1.0, edge))
    return (kernel / kernel.sum()).reshape(1, -1)  # type: ignore[no-any-return]


def gaussian_kernel_1d(sigma: float) -> Image:
    """A horizontal Gaussian: the blur across the bars of an upright barcode."""
    size = max(3, int(6 * sigma) | 1)
    return cv2.getGaussianKernel(size, sigma, cv2.CV_32F).reshape(1, -1)  # type: ignore[no-any-return]


class Deconvolver:
    """One image's spectrum (borders tapered, padded to a fast size), computed once and undone by as many
    kernels as are tried: the image's transform costs more than each deconvolution after it. The image
    is real, so half its spectrum says it all (the rest is the mirror image)."""

    def __init__(self, grey: Image) -> None:
        self.shape = grey.shape
        self.tapered = _taper(grey)  # float32: what the kernels are fitted to (``refit``)
        spectrum, self.size = _padded_dft(self.tapered)
        half = spectrum[:, : self.size[1] // 2 + 1]
        self.spectrum = half[..., 0] + 1j * half[..., 1]

    def wiener_f(self, kernel: Image, noise_to_signal: float = NOISE_TO_SIGNAL) -> Image:
        """The image deconvolved by ``kernel`` (Wiener filter), as float32 (unclipped); ``noise_to_signal``
        times the gain of ``noisier``."""
        noise_to_signal *= _NOISE_GAIN.get()
        transfer = np.fft.rfft2(kernel, s=self.size)  # the kernel at the corner: the result comes out shifted
        # G · conj(H) / (|H|² + k)
        gain = np.conj(transfer) / (transfer.real**2 + transfer.imag**2 + noise_to_signal)
        restored = np.fft.irfft2(self.spectrum * gain, s=self.size)
        restored = np.roll(restored, (kernel.shape[0] // 2, kernel.shape[1] // 2), axis=(0, 1))
        height, width = self.shape
        return restored[:height, :width].astype(np.float32)  # type: ignore[no-any-return]

    def wiener(self, kernel: Image, noise_to_signal: float = NOISE_TO_SIGNAL) -> Image:
        """The image deconvolved by ``kernel`` (Wiener filter), as uint8."""
        return np.clip(self.wiener_f(kernel, noise_to_signal), 0, 255).astype(np.uint8)  # type: ignore[no-any-return]


def _gradients(image: Image) -> tuple[Image, Image]:
    return cv2.Sobel(image, cv2.CV_32F, 1, 0, ksize=1), cv2.Sobel(image, cv2.CV_32F, 0, 1, ksize=1)


def smear_share(grey: Image, angle: float) -> float:
    """The image's gradient energy along ``angle`` (degrees) over that across it: a smear that way
    flattens the edges along its path, so a smeared frame shows well under 1, a sharp one about 1
    (text and modules have edges every way)."""
    across, down = _gradients(grey.astype(np.float32))
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    along = float(np.mean((cos * across + sin * down) ** 2))
    return along / max(float(np.mean((cos * down - sin * across) ** 2)), 1e-6)


def binary_guess(latent: Image) -> tuple[Image, Image]:
    """What a printed symbol under ``latent`` (a deblurred estimate, float) looks like: ink or paper
    and nothing between, each pixel set by whether it is lighter than its neighbourhood, at the
    estimate's own dark and light levels; with a mask of where ``latent`` shows a clear edge, the only
    places where the guess is trusted (Cho & Lee's "salient edges")."""
    dark, light = np.percentile(latent, (5, 95))
    smooth = cv2.GaussianBlur(latent, (0, 0), 0.7)
    lighter = smooth > cv2.blur(smooth, (GUESS_WINDOW, GUESS_WINDOW))
    guess = (dark + (light - dark) * lighter).astype(np.float32)
    across, down = _gradients(smooth)
    slope = cv2.magnitude(across, down)
    edges = (slope > np.percentile(slope, 100 * (1 - EDGE_SHARE))).astype(np.uint8)
    return guess, cv2.dilate(edges, np.ones((3, 3), np.uint8)).astype(np.float32)


def refit(deconvolver: Deconvolver, latent: Image, size: int, height: int | None = None) -> Image | None:
    """The kernel (at most ``size`` px wide and ``height`` px high, both odd; square if no ``height``) that
    best blurs the binary guess of ``latent`` into the image the deconvolver holds, fitted on their
    gradients where edges are clear (least squares, in the Fourier domain), kept to the one connected
    path through its peak, or None. The cepstrum gives a straight smear's length and direction; a hand's
    path curves and changes speed, and fitting it from what a symbol must look like (black and white)
    recovers its shape."""
    guess, mask = binary_guess(latent)
    numerator: Image | float = 0.0
    power: Image | float = 0.0
    for sharp, seen in zip(_gradients(guess), _gradients(deconvolver.tapered), strict=True):
        sharp_f = np.fft.rfft2(sharp * mask, s=deconvolver.size)
        seen_f = np.fft.rfft2(seen * mask, s=deconvolver.size)
        numerator = numerator + np.conj(sharp_f) * seen_f
        power = power + sharp_f.real**2 + sharp_f.imag**2
    fitted = np.fft.irfft2(numerator / (power + KERNEL_DAMPING * np.mean(power) + 1e-6), s=deconvolver.size)
    height = size if height is None else height
    kernel = np.roll(fitted, (height // 2, size // 2), axis=(0, 1))[:height, :size].astype(np.float32)
    kernel[kernel < KERNEL_FLOOR * max(float(kernel.max()), 0.0)] = 0.0
    if not kernel.any():
        return None
    _, labels = cv2.connectedComponents((kernel > 0).astype(np.uint8), connectivity=8)
    peak = np.unravel_index(int(np.argmax(kernel)), kernel.shape)
    kernel[labels != labels[peak]] = 0.0
    return kernel / kernel.sum()  # type: ignore[no-any-return]


def wiener(grey: Image, kernel: Image, noise_to_signal: float = NOISE_TO_SIGNAL) -> Image:
    """``grey`` deconvolved by ``kernel`` (Wiener filter), as uint8."""
    return Deconvolver(grey).wiener(kernel, noise_to_signal)


def wiener_f(grey: Image, kernel: Image, noise_to_signal: float = NOISE_TO_SIGNAL) -> Image:
    """``grey`` deconvolved by ``kernel`` (Wiener filter), as float32 (unclipped)."""
    return Deconvolver(grey).wiener_f(kernel, noise_to_signal)
