"""Encoded images: JPEG, PNG and WebP bytes in, a grey frame out, refusing what is too big.

The width and height are read from the file's header before anything is decoded, so a small
file that would decode to a huge image (a decompression bomb) is refused cheaply, and a big frame
can be decoded straight to a smaller size (``max_decode_pixels``): a JPEG is then scaled down
inside the decoder, so the full-size image never exists in memory.
"""

from __future__ import annotations

import struct

import cv2
import numpy as np
import numpy.typing as npt

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_MAX_PIXELS", "ImageError", "decode_image", "image_size"]

Image = npt.NDArray[np.uint8]

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000


class ImageError(ValueError):
    """An encoded image that is corrupt, empty, or larger than the limits allow."""


_REDUCED = {
    1: cv2.IMREAD_GRAYSCALE,
    2: cv2.IMREAD_REDUCED_GRAYSCALE_2,
    4: cv2.IMREAD_REDUCED_GRAYSCALE_4,
    8: cv2.IMREAD_REDUCED_GRAYSCALE_8,
}


def decode_image(
    data: bytes | bytearray | memoryview,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_decode_pixels: int | None = None,
) -> Image:
    """Decode a JPEG, PNG or WebP image to grey uint8, refusing what is too big before decoding.

    ``max_decode_pixels``: an image with more pixels is decoded at a half, a quarter or an
    eighth of its width and height, the largest of these that fits (JPEG scales while it
    decodes; PNG and WebP are decoded, then shrunk). None decodes at full size.

    Raises ``ImageError`` for empty, oversized (bytes, or header width x height), unknown or
    corrupt input.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ImageError(f"image must be bytes, got {type(data).__name__}")
    buf = bytes(data)
    if not buf:
        raise ImageError("image is empty")
    if len(buf) > max_bytes:
        raise ImageError(f"image is {len(buf)} bytes; the limit is {max_bytes}")
    width, height = image_size(buf)
    if width <= 0 or height <= 0:
        raise ImageError(f"image header gives an empty size {width}x{height}")
    if width * height > max_pixels:
        raise ImageError(
            f"image is {width}x{height} = {width * height} pixels; the limit is {max_pixels}"
        )
    factor = 1
    if max_decode_pixels is not None:
        while factor < 8 and (width // factor) * (height // factor) > max_decode_pixels:
            factor *= 2
    img = cv2.imdecode(np.frombuffer(buf, np.uint8), _REDUCED[factor])
    if img is None or img.size == 0:
        raise ImageError("image could not be decoded: corrupt or truncated")
    out: Image = img
    return out


def image_size(buf: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG, PNG or WebP header, without decoding the pixels.

    Raises ``ImageError`` for other formats and for headers that cannot be parsed.
    """
    try:
        if buf.startswith(b"\x89PNG\r\n\x1a\n"):
            if buf[12:16] != b"IHDR":
                raise ImageError("PNG without an IHDR header")
            w, h = struct.unpack(">II", buf[16:24])
            return int(w), int(h)
        if buf.startswith(b"\xff\xd8"):
            return _jpeg_size(buf)
        if buf[:4] == b"RIFF" and buf[8:12] == b"WEBP":
            return _webp_size(buf)
    except struct.error:
        raise ImageError("image header is truncated") from None
    raise ImageError("not a JPEG, PNG or WebP image")


# JPEG start-of-frame markers carry the size; C4 (DHT), C8 (JPG) and CC (DAC) are not frames.
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg_size(buf: bytes) -> tuple[int, int]:
    i = 2
    while i + 4 <= len(buf):
        if buf[i] != 0xFF:
            raise ImageError("JPEG header is corrupt")
        marker = buf[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            i += 2
            continue
        (length,) = struct.unpack(">H", buf[i + 2 : i + 4])
        if marker in _SOF:
            h, w = struct.unpack(">HH", buf[i + 5 : i + 9])
            return int(w), int(h)
        if marker == 0xDA or length < 2:  # image data before any frame header
            break
        i += 2 + length
    raise ImageError("JPEG header has no frame size: corrupt or truncated")


def _webp_size(buf: bytes) -> tuple[int, int]:
    chunk = buf[12:16]
    if chunk == b"VP8 ":
        if buf[23:26] != b"\x9d\x01\x2a":
            raise ImageError("WebP (VP8) header is corrupt")
        w, h = struct.unpack("<HH", buf[26:30])
        return int(w & 0x3FFF), int(h & 0x3FFF)
    if chunk == b"VP8L":
        if buf[20] != 0x2F:
            raise ImageError("WebP (VP8L) header is corrupt")
        (bits,) = struct.unpack("<I", buf[21:25])
        return int((bits & 0x3FFF) + 1), int(((bits >> 14) & 0x3FFF) + 1)
    if chunk == b"VP8X":
        w = int.from_bytes(buf[24:27], "little") + 1
        h = int.from_bytes(buf[27:30], "little") + 1
        return w, h
    raise ImageError("WebP header is corrupt")
