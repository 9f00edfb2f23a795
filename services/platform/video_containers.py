"""Video files recognised by their own bytes (review videos, shoppable videos), never by their
name or declared type, and their duration where the container states it.

- `video_type(raw)`: an ISO-BMFF `ftyp` box of an MP4 brand (`video/mp4`, `.mp4`) or of
  QuickTime (`qt  `: `video/quicktime`, `.mov`), or an EBML header whose DocType is `webm`
  (`video/webm`, `.webm`); None for anything else (an audio-only brand such as `M4A ` included).
- `container_duration(raw, media_type)`: seconds from the movie header (`moov/mvhd`: duration /
  timescale, version 0 or 1) of an MP4 or MOV file, walked with mutagen's atom parser
  (`mutagen.mp4.Atoms`); for WebM, the Segment Info's `Duration` x `TimecodeScale` (nanoseconds
  per tick; Matroska specification, RFC 9559 section 5.1.2) read with enzyme's Matroska parser,
  which finds Info through the SeekHead (as ffmpeg and mkvmerge write it). None when the file has
  no readable header or states no duration (a browser's MediaRecorder WebM has none): the caller
  then needs a declared duration.
"""

from __future__ import annotations

import io
import struct

MP4_BRANDS = frozenset({b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ",
                        b"dash", b"mmp4"})
ISO_BMFF_TYPES = ("video/mp4", "video/quicktime")


def video_type(raw: bytes) -> tuple[str, str] | None:
    """(media type, extension) of a video container recognised by its magic bytes, or None."""
    if len(raw) >= 12 and raw[4:8] == b"ftyp":
        box = int.from_bytes(raw[:4], "big")
        if 12 <= box <= len(raw) and box % 4 == 0:
            if raw[8:12] == b"qt  ":
                return "video/quicktime", "mov"
            if raw[8:12] in MP4_BRANDS:
                return "video/mp4", "mp4"
    if raw[:4] == b"\x1aE\xdf\xa3" and b"\x42\x82\x84webm" in raw[:64]:  # EBML, DocType "webm"
        return "video/webm", "webm"
    return None


def container_duration(raw: bytes, media_type: str) -> float | None:
    """The duration in seconds the container's movie header states (module docstring), or None."""
    if media_type == "video/webm":
        return _matroska_duration(raw)
    if media_type not in ISO_BMFF_TYPES:
        return None
    from mutagen.mp4 import Atoms, error as MP4Error

    stream = io.BytesIO(raw)
    try:
        atoms = Atoms(stream)
        mvhd = atoms[b"moov", b"mvhd"]
        found, data = mvhd.read(stream)
    except (MP4Error, KeyError, struct.error, ValueError, EOFError):
        return None
    if not found or len(data) < 4:
        return None
    version = data[0]
    layout = (">IIII", 4, 20) if version == 0 else (">QQIQ", 4, 32) if version == 1 else None
    if layout is None or len(data) < layout[2]:
        return None
    _created, _modified, timescale, duration = struct.unpack(layout[0], data[layout[1]:layout[2]])
    if timescale <= 0 or duration in (0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF):  # all ones: "unknown" (ISO 14496-12)
        return None
    return duration / timescale


def _matroska_duration(raw: bytes) -> float | None:
    """Seconds of a WebM's Segment Info (enzyme.MKV; module docstring), or None."""
    import enzyme

    try:
        info = enzyme.MKV(io.BytesIO(raw)).info
    except Exception:  # noqa: BLE001 - untrusted bytes: enzyme fails with its own errors, KeyError, AttributeError,
        return None  # UnicodeDecodeError, OverflowError, TypeError (fuzzed); each means no readable duration
    if info is None or info.duration is None:
        return None
    seconds = info.duration.total_seconds()
    return seconds if 0 < seconds < 10 ** 7 else None
