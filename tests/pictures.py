"""Pictures the tests need and the repository should not carry."""

from __future__ import annotations

import struct
import zlib


def bomb_png(width: int, height: int) -> bytes:
    """A valid RGB PNG of width x height black pixels, a few hundred KB on disk (zeros compress well),
    built row by row so the test itself never holds it decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer = zlib.compressobj(9)
    row = b"\x00" * (1 + 3 * width)
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
