from __future__ import annotations

import io
import struct
import time
import zlib

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image, ImageFile, ImageOps

from recognizer import imageio
from recognizer.imageio import FORMATS, MAX_FILE_BYTES, MAX_PIXELS, ImageReadError, decode_image, read_image


def encode(image: np.ndarray, ext: str = ".png") -> bytes:
    full_colour = [cv2.IMWRITE_JPEG_SAMPLING_FACTOR, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444]  # JPEG: no chroma halving
    ok, buf = cv2.imencode(ext, image, full_colour if ext in (".jpg", ".jpeg") else [])
    assert ok
    return buf.tobytes()


def pillow_bytes(image: Image.Image, fmt: str, orientation: int | None = None, **options) -> bytes:
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        options["exif"] = exif
    buf = io.BytesIO()
    image.save(buf, fmt, **options)
    return buf.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width x height 8-bit grey pixels but holds only a few zero bytes."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = zlib.compress(bytes(64))  # the start of the first row: only the header has to be valid
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if OpenCV or Pillow decodes any pixels."""

    def fail(*args, **kwargs):
        pytest.fail("the image was decoded")

    monkeypatch.setattr(cv2, "imdecode", fail)
    monkeypatch.setattr(ImageFile.ImageFile, "load", fail)


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


# ------------------------------------------------------------ formats


@pytest.mark.parametrize("ext", sorted(FORMATS))
def test_every_listed_format_round_trips(ext: str) -> None:
    bgr = np.kron(np.arange(24, dtype=np.uint8).reshape(4, 6, 1) * 10, np.ones((8, 8, 1), np.uint8))
    bgr = np.concatenate([bgr, 255 - bgr, bgr // 2], axis=2)  # 32x48, three different channels
    rgb = decode_image(encode(bgr, f".{ext}"), f"drawing.{ext}")
    assert rgb.dtype == np.uint8 and rgb.shape == (32, 48, 3)
    np.testing.assert_allclose(rgb, bgr[..., ::-1], atol=4 if FORMATS[ext] == "JPEG" else 0)


def test_the_message_lists_the_accepted_formats() -> None:
    assert "FORMATS" in imageio.__all__
    with pytest.raises(ImageReadError, match=r"not a readable image \(PNG, JPEG, BMP, WebP or TIFF expected\)"):
        decode_image(b"%PDF-1.4 not an image", "notes.pdf")


@pytest.mark.parametrize(("fmt", "options"), [("GIF", {}), ("PPM", {}), ("ICO", {"sizes": [(16, 16)]})])
def test_formats_outside_the_list_get_a_clear_message(fmt: str, options: dict) -> None:
    data = pillow_bytes(Image.new("RGB", (16, 16), "red"), fmt, **options)
    with pytest.raises(ImageReadError, match=r"drawing: not a readable image \(PNG, .* expected\)"):
        decode_image(data, "drawing")


# ------------------------------------------------------------ EXIF orientation

# Pillow's transpose that stores an upright image so that the EXIF orientation turns it upright again.
STORED = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,  # the camera turned a quarter clockwise: stored a quarter anticlockwise
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}
# Upright: 16x24 grey in 8x8 blocks (whole JPEG blocks, so JPEG keeps them), no two blocks alike.
UPRIGHT = np.kron(np.array([[0, 40, 80], [120, 160, 200]], np.uint8), np.ones((8, 8), np.uint8))


def stored_as(upright: Image.Image, orientation: int) -> Image.Image:
    return upright if STORED[orientation] is None else upright.transpose(STORED[orientation])


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize(
    ("fmt", "options"),
    [("JPEG", {"quality": 95}), ("PNG", {}), ("WEBP", {"lossless": True}), ("TIFF", {})],
)
def test_exif_orientation_turns_a_photo_upright(fmt: str, options: dict, orientation: int) -> None:
    data = pillow_bytes(stored_as(Image.fromarray(UPRIGHT), orientation), fmt, orientation, **options)
    atol = 4 if fmt == "JPEG" else 0
    # The test's own table agrees with Pillow's reading of the tag.
    by_pillow = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("L")
    np.testing.assert_allclose(np.asarray(by_pillow), UPRIGHT, atol=atol)
    image = decode_image(data)
    grey = image if image.ndim == 2 else image[..., 0]  # WebP is always stored in colour
    assert image.dtype == np.uint8 and image.flags.c_contiguous
    np.testing.assert_allclose(grey, UPRIGHT, atol=atol)


@settings(max_examples=60, deadline=None)
@given(
    rgba=arrays(np.uint8, st.tuples(st.integers(1, 9), st.integers(1, 9), st.just(4))),
    orientation=st.integers(1, 8),
)
def test_exif_orientation_keeps_colours_and_alpha(rgba: np.ndarray, orientation: int) -> None:
    data = pillow_bytes(stored_as(Image.fromarray(rgba, "RGBA"), orientation), "PNG", orientation)
    np.testing.assert_array_equal(decode_image(data), rgba)


@pytest.mark.parametrize("orientation", [0, 9, 255])
def test_a_meaningless_orientation_leaves_the_pixels_as_stored(orientation: int) -> None:
    data = pillow_bytes(Image.fromarray(UPRIGHT), "PNG", orientation)
    np.testing.assert_array_equal(decode_image(data), UPRIGHT)


# ------------------------------------------------------------ 16 bits


@settings(max_examples=40, deadline=None)
@given(
    image=arrays(np.uint16, st.tuples(st.integers(1, 8), st.integers(1, 8), st.sampled_from([1, 3, 4]))),
    ext=st.sampled_from([".png", ".tiff"]),
)
def test_sixteen_bit_images_are_rounded_to_eight_bits(image: np.ndarray, ext: str) -> None:
    image[0, 0] = [0, 65535, 32767, 128][: image.shape[2]]  # the ends and the middle are always there
    expected = ((image.astype(np.int64) + 128) // 257).astype(np.uint8)  # round(v / 257), exactly
    expected = expected[..., [2, 1, 0, 3][: image.shape[2]]] if image.shape[2] > 1 else expected[..., 0]  # BGR(A)
    decoded = decode_image(encode(image if image.shape[2] > 1 else image[..., 0], ext))
    assert decoded.dtype == np.uint8
    np.testing.assert_array_equal(decoded, expected)


def test_sixteen_bit_rgba_png_becomes_eight_bit_rgba() -> None:
    bgra = np.zeros((10, 10, 4), np.uint16)
    bgra[...] = [0, 257 * 100, 65535, 257 * 128]  # blue 0, green 100, red 255, alpha 128
    image = decode_image(encode(bgra))
    assert image.dtype == np.uint8 and image.shape == (10, 10, 4)
    assert image[5, 5].tolist() == [255, 100, 0, 128]


# ------------------------------------------------------------ limits


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"%PDF-1.4 not an image", "not a readable image"),
        (encode(np.zeros((10, 10), np.uint8))[:30], "not a readable image"),
        (encode(np.zeros((10, 10), np.uint8))[:60], "not a readable image"),  # the header, no pixels
        (b"\0" * (MAX_FILE_BYTES + 1), "10.1 MB is over the 10 MB limit"),
    ],
    ids=["empty", "pdf", "cut-in-header", "cut-after-header", "too-big"],
)
def test_bad_uploads_get_a_clear_message(data: bytes, message: str) -> None:
    with pytest.raises(ImageReadError, match=message):
        decode_image(data, "drawing.png")


@pytest.mark.parametrize(
    ("size", "message"),
    [(12_023_308, "11.5 MB"), (MAX_FILE_BYTES + 1, "10.1 MB"), (2 * MAX_FILE_BYTES, "20.0 MB")],
)
def test_sizes_are_in_the_same_megabytes_as_the_limit(size: int, message: str, tmp_path) -> None:
    with pytest.raises(ImageReadError, match=f"^photo.jpg: {message} is over the 10 MB limit$"):
        decode_image(bytes(size), "photo.jpg")
    big = tmp_path / "photo.jpg"
    with big.open("wb") as file:
        file.truncate(size)  # sparse: nothing is written
    with pytest.raises(ImageReadError, match=f"{message} is over the 10 MB limit$"):
        read_image(big)


@pytest.mark.parametrize(("width", "height"), [(30_000, 30_000), (10_000, 5_001), (MAX_PIXELS + 1, 1)])
def test_a_png_claiming_too_many_pixels_is_refused_from_its_header(width: int, height: int, no_decoding) -> None:
    data = png_header_only(width, height)
    start = time.perf_counter()
    with pytest.raises(ImageReadError, match=r"bomb.png: the image has too many pixels \(at most 50 megapixels\)"):
        decode_image(data, "bomb.png")
    assert time.perf_counter() - start < 0.5


def test_a_jpeg_claiming_too_many_pixels_is_refused_from_its_header(no_decoding) -> None:
    data = bytearray(encode(np.zeros((16, 16, 3), np.uint8), ".jpg"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 9000, 9000)  # height and width
    with pytest.raises(ImageReadError, match="too many pixels"):
        decode_image(bytes(data))


def test_exactly_max_pixels_is_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(cv2, "imdecode", lambda *args: calls.append(args))  # returns None: unreadable
    with pytest.raises(ImageReadError, match="not a readable image"):
        decode_image(png_header_only(10_000, 5_000))
    assert len(calls) == 1


def test_pillow_reads_only_the_header(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: pytest.fail("Pillow decoded the image"))
    assert decode_image(encode(np.zeros((8, 8), np.uint8))).shape == (8, 8)  # PNG without EXIF
    assert decode_image(pillow_bytes(Image.fromarray(UPRIGHT), "JPEG", 6)).shape == (24, 16)


def test_read_image_reports_missing_and_oversized_files(tmp_path) -> None:
    with pytest.raises(ImageReadError, match="cannot be read"):
        read_image(tmp_path / "missing.png")
    big = tmp_path / "big.png"
    big.write_bytes(b"\0" * (MAX_FILE_BYTES + 1))
    with pytest.raises(ImageReadError, match="10 MB"):
        read_image(big)


# ------------------------------------------------------------ fuzz

_PATTERN = np.kron(np.arange(12, dtype=np.uint8).reshape(3, 4) * 20, np.ones((5, 5), np.uint8))
SEEDS = {  # small valid files to damage; the GIF is refused whole, so only its damage is new
    "rgba-png": encode(np.dstack([_PATTERN, 255 - _PATTERN, _PATTERN, _PATTERN // 2])),
    "16-bit-png": encode(_PATTERN.astype(np.uint16) * 257),
    "jpeg": encode(np.dstack([_PATTERN] * 3), ".jpg"),
    "jpeg-with-exif": pillow_bytes(Image.fromarray(_PATTERN), "JPEG", 6),
    "bmp": encode(_PATTERN, ".bmp"),
    "webp": encode(np.dstack([_PATTERN] * 3), ".webp"),
    "tiff": encode(_PATTERN, ".tiff"),
    "gif": pillow_bytes(Image.fromarray(_PATTERN), "GIF"),
}


@st.composite
def damaged_files(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(list(SEEDS.values()))))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        if kind == "flip" and at < len(data):
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        elif kind == "truncate":
            del data[at:]
    return bytes(data)


def assert_usable(image: np.ndarray) -> None:
    assert isinstance(image, np.ndarray) and image.dtype == np.uint8
    assert image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (3, 4))
    assert 0 < image.shape[0] * image.shape[1] <= MAX_PIXELS


@pytest.mark.parametrize("seed", [name for name in SEEDS if name != "gif"])
def test_the_fuzz_seeds_decode_whole(seed: str) -> None:
    assert_usable(decode_image(SEEDS[seed]))


@pytest.mark.filterwarnings("ignore::UserWarning:PIL.TiffImagePlugin")  # Pillow's notes on damaged EXIF and TIFF tags
@settings(max_examples=300, deadline=None)
@given(data=damaged_files())
def test_a_damaged_file_decodes_or_gets_a_clear_message(data: bytes) -> None:
    try:
        image = decode_image(data, "damaged")
    except ImageReadError as err:
        assert str(err).startswith("damaged: ")
    else:
        assert_usable(image)
