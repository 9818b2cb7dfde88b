from __future__ import annotations

import cv2
import numpy as np
import pytest

from recognizer.imageio import MAX_FILE_BYTES, ImageReadError, decode_image, read_image


def encode(image: np.ndarray, ext: str = ".png") -> bytes:
    ok, buf = cv2.imencode(ext, image)
    assert ok
    return buf.tobytes()


def test_png_and_jpeg_decode_to_rgb_or_grey() -> None:
    bgr = np.zeros((20, 30, 3), np.uint8)
    bgr[..., 2] = 255  # red in OpenCV's BGR order
    rgb = decode_image(encode(bgr))
    assert rgb.shape == (20, 30, 3) and rgb[0, 0].tolist() == [255, 0, 0]
    assert decode_image(encode(np.full((16, 16), 7, np.uint8), ".jpg")).shape == (16, 16)


def test_a_tiny_image_still_decodes() -> None:
    assert decode_image(encode(np.zeros((4, 4), np.uint8))).shape == (4, 4)


def test_rgba_keeps_its_alpha() -> None:
    bgra = np.zeros((10, 10, 4), np.uint8)
    bgra[..., 3] = 128
    assert decode_image(encode(bgra))[0, 0, 3] == 128


def test_sixteen_bit_png_becomes_uint8() -> None:
    image = decode_image(encode(np.full((10, 10), 65535, np.uint16)))
    assert image.dtype == np.uint8 and image.max() == 255


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"%PDF-1.4 not an image", "not a readable image"),
        (encode(np.zeros((10, 10), np.uint8))[:30], "not a readable image"),
        (b"\0" * (MAX_FILE_BYTES + 1), "10 MB"),
    ],
)
def test_bad_uploads_get_a_clear_message(data: bytes, message: str) -> None:
    with pytest.raises(ImageReadError, match=message):
        decode_image(data, "drawing.png")


def test_too_many_pixels_are_refused_before_decoding() -> None:
    huge = encode(np.zeros((9000, 9000), np.uint8))  # small file, 81 megapixels
    with pytest.raises(ImageReadError, match="too many pixels"):
        decode_image(huge)


def test_read_image_reports_missing_and_oversized_files(tmp_path) -> None:
    with pytest.raises(ImageReadError, match="cannot be read"):
        read_image(tmp_path / "missing.png")
    big = tmp_path / "big.png"
    big.write_bytes(b"\0" * (MAX_FILE_BYTES + 1))
    with pytest.raises(ImageReadError, match="10 MB"):
        read_image(big)
