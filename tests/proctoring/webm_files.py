"""WebM files for the recording tests: one recorded by headless Chromium's MediaRecorder (fake
camera and microphone, VP8 + Opus, half a second) and small ones built element by element."""

from __future__ import annotations

from pathlib import Path

RECORDED = (Path(__file__).parent / "fixtures" / "chunk.webm").read_bytes()


def element(element_id: int, payload: bytes) -> bytes:
    """An EBML element: its id (marker bits included) and an 8-byte size."""
    return element_id.to_bytes((element_id.bit_length() + 7) // 8, "big") + (
        (1 << 56) | len(payload)
    ).to_bytes(8, "big") + payload


def built(*, doc_type: str = "webm", codecs: tuple[str, ...] = ("V_VP8", "A_OPUS"), cluster: bool = True,
          padding: int = 0) -> bytes:
    header = element(0x1A45DFA3, element(0x4286, b"\x01") + element(0x4282, doc_type.encode()))
    tracks = element(0x1654AE6B, b"".join(
        element(0xAE, element(0xD7, bytes([n + 1])) + element(0x86, codec.encode()))
        for n, codec in enumerate(codecs)
    ))
    media = element(0x1F43B675, element(0xE7, b"\x00") + element(0xA3, b"\x81\x00\x00\x80" + bytes(padding)))
    return header + element(0x18538067, tracks + (media if cluster else b""))
