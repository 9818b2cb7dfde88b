"""Reading image files and uploads safely: size limits, clear errors, never a traceback."""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

__all__ = ["FORMATS", "MAX_FILE_BYTES", "MAX_PIXELS", "ImageReadError", "decode_image", "read_image"]

FORMATS = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "bmp": "BMP", "webp": "WebP", "tif": "TIFF", "tiff": "TIFF"}
"""Accepted file extensions and the format each names; only these formats are decoded."""
MAX_FILE_BYTES = 10 * 1024 * 1024
"""Largest accepted file (10 MB, counting 1 MB as 1024 * 1024 bytes as Streamlit's uploader does)."""
MAX_PIXELS = 50_000_000
"""Largest accepted image area, guarding against decompression bombs."""

_MB = 1024 * 1024
_NAMES = list(dict.fromkeys(FORMATS.values()))
_EXPECTED = f"{', '.join(_NAMES[:-1])} or {_NAMES[-1]} expected"
_UPRIGHT: dict[int, Callable[[np.ndarray], np.ndarray]] = {  # EXIF orientation -> stored pixels turned upright
    2: np.fliplr,
    3: lambda a: np.rot90(a, 2),
    4: np.flipud,
    5: lambda a: np.swapaxes(a, 0, 1),
    6: lambda a: np.rot90(a, -1),
    7: lambda a: np.rot90(np.swapaxes(a, 0, 1), 2),
    8: np.rot90,
}


class ImageReadError(ValueError):
    """A file or upload is not a usable image; the message says why, for the user."""


def _too_big(name: str, size: int) -> ImageReadError:
    megabytes = math.ceil(size * 10 / _MB) / 10  # rounded up: a file just over the limit never reads "10.0 MB"
    return ImageReadError(f"{name}: {megabytes:.1f} MB is over the {MAX_FILE_BYTES // _MB} MB limit")


def _checked_orientation(data: bytes, name: str) -> int:
    """EXIF orientation (1 to 8) after checking the format and pixel count, from the header alone."""
    too_many = ImageReadError(f"{name}: the image has too many pixels (at most {MAX_PIXELS // 1_000_000} megapixels)")
    try:
        header = Image.open(io.BytesIO(data), formats=[n.upper() for n in _NAMES])
    except Image.DecompressionBombError:  # Pillow's own limit, far above MAX_PIXELS
        raise too_many from None
    except Exception as err:  # Pillow raises many kinds of error on a malformed header
        raise ImageReadError(f"{name}: not a readable image ({_EXPECTED})") from err
    if header.width * header.height > MAX_PIXELS:
        raise too_many
    try:  # info["exif"], not getexif(): for a PNG without EXIF, getexif() decodes the whole image
        exif = Image.Exif()
        exif.load(header.info.get("exif", b""))
        orientation = exif.get(0x0112, 1)  # TIFF keeps it in its own tags, and OpenCV applies it there
        return orientation if orientation in _UPRIGHT else 1
    except Exception:  # damaged EXIF: show the pixels as stored
        return 1


def decode_image(data: bytes, name: str = "upload") -> np.ndarray:
    """Decode the bytes of a PNG, JPEG, BMP, WebP or TIFF file (see `FORMATS`) to an upright uint8 image.

    The size and pixel count are checked before anything is decoded, 16-bit images are scaled to
    8 bits, and the EXIF orientation of a photo is applied.

    Parameters
    ----------
    data : bytes
        The file's contents, at most `MAX_FILE_BYTES` long.
    name : str
        The file's name, for the error messages.

    Returns
    -------
    np.ndarray
        uint8 in [0, 255], shape (H, W) grey, (H, W, 3) RGB or (H, W, 4) RGBA, with H * W <= `MAX_PIXELS`.

    Raises
    ------
    ImageReadError
        Too large, empty, not one of `FORMATS`, or not a readable image.
    """
    if len(data) > MAX_FILE_BYTES:
        raise _too_big(name, len(data))
    if not data:
        raise ImageReadError(f"{name}: the file is empty")
    orientation = _checked_orientation(data, name)
    try:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    except cv2.error:
        image = None
    if image is None or image.size == 0:
        raise ImageReadError(f"{name}: not a readable image ({_EXPECTED})")
    if image.dtype != np.uint8:  # 16-bit PNG or TIFF: rounded to 8 bits with no float copy of the image
        image = cv2.convertScaleAbs(image, alpha=1 / 257 if image.dtype == np.uint16 else 1)
    if orientation != 1:
        image = np.ascontiguousarray(_UPRIGHT[orientation](image))
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2RGBA)
    if image.ndim == 3:
        return np.ascontiguousarray(image[..., 0])
    return image


def read_image(path: str | Path) -> np.ndarray:
    """Read an image file (see :func:`decode_image`); unreadable files raise ``ImageReadError``.

    Returns
    -------
    np.ndarray
        uint8 in [0, 255], shape (H, W), (H, W, 3) RGB or (H, W, 4) RGBA, as :func:`decode_image`.
    """
    path = Path(path)
    try:
        if (size := path.stat().st_size) > MAX_FILE_BYTES:
            raise _too_big(str(path), size)
        data = path.read_bytes()
    except OSError as err:
        raise ImageReadError(f"{path}: cannot be read ({err.strerror or err})") from err
    return decode_image(data, str(path))
