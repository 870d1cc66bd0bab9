"""A recording chunk's container check: a WebM file whose tracks use allowed codecs.

Only the structure is read (EBML header, the Segment's Tracks, the start of a Cluster); no
frame is decoded. Each chunk the page uploads is a complete file (its MediaRecorder is
restarted every chunk), so the header must be at its start. The walk is bounded: a file that
would make it loop or read past its end is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

EBML = 0x1A45DFA3
DOC_TYPE = 0x4282
SEGMENT = 0x18538067
TRACKS = 0x1654AE6B
TRACK_ENTRY = 0xAE
CODEC_ID = 0x86
CLUSTER = 0x1F43B675
VOID = 0xEC

ALLOWED_CODECS = frozenset({"V_VP8", "V_VP9", "A_OPUS"})
MAX_ELEMENTS = 2000


class NotWebm(ValueError):
    """Why the bytes are not an acceptable recording chunk (English, for the log)."""


@dataclass(frozen=True)
class WebmInfo:
    doc_type: str
    codecs: tuple[str, ...]


def _vint(data: bytes, pos: int, *, keep_marker: bool) -> tuple[int, int, bool]:
    """An EBML variable-length integer at ``pos``: (value, next position, all ones = unknown)."""
    if pos >= len(data):
        raise NotWebm("truncated")
    first = data[pos]
    length = 1
    mask = 0x80
    while length <= 8 and not first & mask:
        mask >>= 1
        length += 1
    if length > 8 or pos + length > len(data):
        raise NotWebm("bad variable-length integer")
    value = first if keep_marker else first & (mask - 1)
    for byte in data[pos + 1 : pos + length]:
        value = (value << 8) | byte
    unknown = not keep_marker and value == (1 << (7 * length)) - 1
    return value, pos + length, unknown


def _element(data: bytes, pos: int) -> tuple[int, int, int | None]:
    """(element id, start of its body, size or None when unknown)."""
    element_id, pos, _unused = _vint(data, pos, keep_marker=True)
    size, pos, unknown = _vint(data, pos, keep_marker=False)
    return element_id, pos, None if unknown else size


def _children(data: bytes, start: int, end: int, budget: list[int]) -> Iterator[tuple[int, int, int | None]]:
    pos = start
    while pos < end:
        budget[0] -= 1
        if budget[0] < 0:
            raise NotWebm("too many elements")
        element_id, body, size = _element(data, pos)
        if size is None:
            if element_id not in (SEGMENT, CLUSTER):
                raise NotWebm("unknown size")
            yield element_id, body, None
            return
        if body + size > end:
            raise NotWebm("element past the end")
        yield element_id, body, size
        pos = body + size


def webm_inspect(data: bytes) -> WebmInfo:
    """Check ``data`` is a WebM file with tracks of allowed codecs and at least one cluster;
    raises ``NotWebm`` otherwise."""
    budget = [MAX_ELEMENTS]
    if len(data) < 4 or int.from_bytes(data[:4], "big") != EBML:
        raise NotWebm("no EBML header")
    element_id, body, size = _element(data, 0)
    if size is None or body + size > len(data):
        raise NotWebm("bad EBML header")
    doc_type = ""
    for child, child_body, child_size in _children(data, body, body + size, budget):
        if child == DOC_TYPE and child_size is not None:
            doc_type = data[child_body : child_body + child_size].rstrip(b"\0").decode("ascii", "replace")
    if doc_type != "webm":
        raise NotWebm(f"doc type {doc_type!r}")
    segment_id, segment_body, segment_size = _element(data, body + size)
    if segment_id != SEGMENT:
        raise NotWebm("no segment")
    segment_end = len(data) if segment_size is None else segment_body + segment_size
    if segment_end > len(data):
        raise NotWebm("segment past the end")
    codecs: list[str] = []
    has_tracks = has_cluster = False
    for child, child_body, child_size in _children(data, segment_body, segment_end, budget):
        if child == TRACKS and child_size is not None:
            has_tracks = True
            for entry, entry_body, entry_size in _children(data, child_body, child_body + child_size, budget):
                if entry != TRACK_ENTRY or entry_size is None:
                    continue
                codec = ""
                for field, field_body, field_size in _children(
                    data, entry_body, entry_body + entry_size, budget
                ):
                    if field == CODEC_ID and field_size is not None:
                        codec = data[field_body : field_body + field_size].rstrip(b"\0").decode(
                            "ascii", "replace"
                        )
                codecs.append(codec)
        elif child == CLUSTER:
            has_cluster = True
            break
    if not has_tracks or not codecs:
        raise NotWebm("no tracks")
    refused = [codec for codec in codecs if codec not in ALLOWED_CODECS]
    if refused:
        raise NotWebm(f"codec {refused[0]!r} not allowed")
    if not has_cluster:
        raise NotWebm("no media")
    return WebmInfo(doc_type=doc_type, codecs=tuple(codecs))
