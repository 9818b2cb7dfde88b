"""Reading image files and uploads safely: size limits, clear errors, never a traceback."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

__all__ = ["MAX_FILE_BYTES", "MAX_PIXELS", "ImageReadError", "decode_image", "read_image"]

MAX_FILE_BYTES = 10 * 1024 * 1024
"""Largest accepted file (10 MB)."""
MAX_PIXELS = 50_000_000
"""Largest accepted image area, guarding against decompression bombs."""


class ImageReadError(ValueError):
    """A file or upload is not a usable image; the message says why, for the user."""


def _decode(buffer: np.ndarray, flags: int) -> np.ndarray | None:
    try:
        return cv2.imdecode(buffer, flags)
    except cv2.error:
        return None


def decode_image(data: bytes, name: str = "upload") -> np.ndarray:
    """Decode PNG/JPEG/... bytes to an RGB(A) or grey uint8 array.

    Returns
    -------
    np.ndarray
        uint8, HxW, HxWx3 (RGB) or HxWx4 (RGBA).

    Raises
    ------
    ImageReadError
        Too large, empty, or not a readable image.
    """
    if len(data) > MAX_FILE_BYTES:
        raise ImageReadError(f"{name}: {len(data) / 1e6:.1f} MB is over the 10 MB limit")
    if not data:
        raise ImageReadError(f"{name}: the file is empty")
    buffer = np.frombuffer(data, np.uint8)
    try:
        # Decode at 1/8 scale first so a huge image is refused before it is decoded in full.
        preview = cv2.imdecode(buffer, cv2.IMREAD_REDUCED_GRAYSCALE_8)
    except cv2.error:  # too small to reduce: decoding it whole is harmless
        preview = _decode(buffer, cv2.IMREAD_GRAYSCALE)
    if preview is None:
        raise ImageReadError(f"{name}: not a readable image (PNG, JPEG, BMP, WebP or TIFF expected)")
    if preview.size * 64 > MAX_PIXELS:
        raise ImageReadError(f"{name}: the image has too many pixels (at most {MAX_PIXELS // 1_000_000} megapixels)")
    image = _decode(buffer, cv2.IMREAD_UNCHANGED)
    if image is None or image.size == 0:
        raise ImageReadError(f"{name}: not a readable image")
    if image.dtype != np.uint8:  # 16-bit PNG or TIFF
        image = (image / 257).astype(np.uint8) if image.dtype == np.uint16 else cv2.convertScaleAbs(image)
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2RGBA)
    if image.ndim == 3:
        return np.ascontiguousarray(image[..., 0])
    return image


def read_image(path: str | Path) -> np.ndarray:
    """Read an image file (see :func:`decode_image`); unreadable files raise ``ImageReadError``."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return decode_image(b"\0" * (MAX_FILE_BYTES + 1), str(path))
        data = path.read_bytes()
    except OSError as err:
        raise ImageReadError(f"{path}: cannot be read ({err.strerror or err})") from err
    return decode_image(data, str(path))
