"""Shoppable videos: tiny real files (an MP4 whose movie header states its duration, a WebM
header, a PNG thumbnail) and videos uploaded through the API."""

from __future__ import annotations

import io
import struct

from PIL import Image


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def tiny_mp4(seconds: float = 12.0, timescale: int = 1000) -> bytes:
    """A minimal ISO-BMFF file: `ftyp` (isom), `moov` with a version-0 `mvhd` stating `seconds`,
    and an `mdat`; mutagen's atom parser reads it."""
    ftyp = _box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2mp41")
    mvhd = _box(b"mvhd", b"\x00\x00\x00\x00" + struct.pack(">IIII", 0, 0, timescale, int(seconds * timescale))
                + struct.pack(">IH", 0x00010000, 0x0100) + b"\x00" * 10
                + struct.pack(">9I", 0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000) + b"\x00" * 24
                + struct.pack(">I", 2))
    return ftyp + _box(b"moov", mvhd) + _box(b"mdat", b"\x00" * 256)


def tiny_webm() -> bytes:
    """An EBML header of DocType webm (no duration a library here reads)."""
    return b"\x1aE\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm" + b"\x00" * 128


def _ebml(element_id: str, payload: bytes) -> bytes:
    """One EBML element: its id (hex), its size as a variable-length integer (one byte below 127,
    else eight), its payload."""
    size = bytes([0x80 | len(payload)]) if len(payload) < 127 else b"\x01" + len(payload).to_bytes(7, "big")
    return bytes.fromhex(element_id) + size + payload


def webm_with_duration(seconds: float) -> bytes:
    """A WebM laid out as ffmpeg writes one: the EBML header (DocType webm), then a Segment whose
    SeekHead points at its Info (TimecodeScale 1,000,000 ns, Duration in those ticks) and one
    Cluster (Matroska, RFC 9559)."""
    header = _ebml("1A45DFA3", _ebml("4286", b"\x01") + _ebml("42F7", b"\x01") + _ebml("4282", b"webm")
                   + _ebml("4287", b"\x04") + _ebml("4285", b"\x02"))
    info = _ebml("1549A966", _ebml("2AD7B1", (1_000_000).to_bytes(4, "big"))
                 + _ebml("4489", struct.pack(">d", seconds * 1000)) + _ebml("4D80", b"Lavf") + _ebml("5741", b"Lavf"))

    def seek_head(info_at: int) -> bytes:
        return _ebml("114D9B74", _ebml("4DBB", _ebml("53AB", bytes.fromhex("1549A966"))
                                       + _ebml("53AC", info_at.to_bytes(8, "big"))))
    head = seek_head(0)
    return header + _ebml("18538067", seek_head(len(head)) + info + _ebml("1F43B675", b"\x00" * 64))


def png(size=(64, 36), color=(200, 30, 90)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def upload(client, token, fields=None, file=None, thumbnail=None, filename="clip.mp4"):
    """POST /api/v1/videos as multipart; returns (status, json body)."""
    data = {"title": "Glow routine", "category": "trending_her", **(fields or {})}
    if file is not None:
        data["file"] = (io.BytesIO(file), filename)
    if thumbnail is not None:
        data["thumbnail"] = (io.BytesIO(thumbnail), "thumb.png")
    response = client.post("/api/v1/videos", data=data, content_type="multipart/form-data",
                           headers={"Authorization": f"Bearer {token}"} if token else {})
    return response.status_code, response.get_json(silent=True)


def make_video(creator, product_ids=(), published=True, **fields):
    """A published external-URL video of `creator`, linked to `product_ids`, written directly."""
    from models.videos import Video, VideoProduct

    fields = {"title": "Demo", "category": "trending_me", "external_url": "https://cdn.example.com/v.mp4", **fields}
    video = Video.create(creator=creator.id, is_published=published, **fields)
    for n, pid in enumerate(product_ids):
        VideoProduct.create(video=video.id, product=pid, position=n)
    return video
