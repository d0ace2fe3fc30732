"""Bounded extraction of one zip member: what the header says is checked, and never trusted.

``zipfile`` inflates a member as far as its header says and checks the CRC
only at the end; a bomb or a header that lies is caught late or not at all.
``extract`` reads the member's compressed bytes itself and inflates them in
64 KiB steps, stopping as soon as the output passes the declared size, the
per-file limit or the compression ratio (measured on the bytes actually
consumed), so memory stays at a few chunks and the disk at one limit.
Only stored and deflated members (what LMS downloads use) are supported.
"""

import dataclasses
import os
import struct
import zipfile
import zlib

from grader import messages as msg
from grader.ids import terminal

MB = 1024 * 1024
CHUNK = 64 * 1024  # bytes read or inflated at a time: bounds memory, and how far a limit can be passed


@dataclasses.dataclass(frozen=True)
class ArchiveLimits:
    """What one download may extract.

    Attributes
    ----------
    total_bytes : int
        All notebooks extracted together (nothing else is extracted).
    member_bytes : int
        One notebook.
    ratio : int
        Uncompressed size over compressed size of one member, declared and
        while inflating ...
    ratio_floor : int
        ... once it has produced this many bytes (tiny files compress well).
    members : int
        Entries in the archive.
    """

    total_bytes: int = 512 * MB
    member_bytes: int = 50 * MB
    ratio: int = 100
    ratio_floor: int = 1 * MB
    members: int = 10_000


class MemberError(Exception):
    """One member cannot be extracted (bilingual reason)."""


def declared_problem(info, limits):
    """Why the member's header already rules it out, or ``None``.

    Parameters
    ----------
    info : zipfile.ZipInfo
        The member, as the central directory describes it.
    limits : ArchiveLimits
        The limits to check the declared sizes against.

    Returns
    -------
    str or None
        A bilingual reason, or ``None`` when the header is acceptable.
    """
    if info.flag_bits & 0x1:
        return msg.MEMBER_ENCRYPTED
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return msg.MEMBER_COMPRESSION_UNSUPPORTED.format(method=info.compress_type)
    if info.file_size > limits.member_bytes:
        return msg.MEMBER_DECLARED_TOO_LARGE.format(size=info.file_size, limit=limits.member_bytes)
    if info.file_size > limits.ratio_floor and info.file_size > limits.ratio * max(info.compress_size, 1):
        return msg.MEMBER_DECLARED_RATIO.format(ratio=limits.ratio)
    return None


def extract(raw, info, dest, limits):
    """Inflate one member into the new file ``dest`` (mode 0644), checking as it goes.

    Parameters
    ----------
    raw : file
        The zip file, opened in binary mode.
    info : zipfile.ZipInfo
        The member (stored or deflated; see ``declared_problem``).
    dest : str
        A path that does not exist yet (never followed if it is a link).
    limits : ArchiveLimits
        Per-file size and ratio limits.

    Returns
    -------
    int
        The bytes written.

    Raises
    ------
    MemberError
        The member passed a limit, is damaged, or does not match its header;
        ``dest`` may hold a part of it (the caller removes it).
    """
    raw.seek(info.header_offset)
    header = raw.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise MemberError(msg.MEMBER_HEADER_DAMAGED)
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    raw.seek(info.header_offset + 30 + name_len + extra_len)
    inflate = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    left, fed, tail, written, crc = info.compress_size, 0, b"", 0, 0
    with _new_file(dest) as out:
        while True:
            if not tail and left:
                tail = raw.read(min(CHUNK, left))
                if not tail:
                    raise MemberError(msg.MEMBER_TRUNCATED)
                left -= len(tail)
                fed += len(tail)
            if inflate is None:
                if not tail:
                    break
                chunk, tail = tail, b""
            else:
                if inflate.eof:
                    break
                try:
                    chunk = inflate.decompress(tail, CHUNK)
                except zlib.error as exc:
                    raise MemberError(msg.MEMBER_DAMAGED.format(error=terminal(exc))) from None
                tail = inflate.unconsumed_tail
                if not chunk and not tail and not left and not inflate.eof:
                    raise MemberError(msg.MEMBER_TRUNCATED)
            written += len(chunk)
            consumed = max(fed - len(tail), 1)
            _check_stream(info, written, consumed, limits)
            crc = zlib.crc32(chunk, crc)
            out.write(chunk)
    if written != info.file_size or crc != info.CRC:
        raise MemberError(msg.MEMBER_MISMATCH.format(written=written, declared=info.file_size))
    return written


def _check_stream(info, written, consumed, limits):
    """Stop inflating as soon as the bytes produced pass a limit, whatever the header said."""
    if written > info.file_size:
        raise MemberError(msg.MEMBER_HEADER_LIES.format(declared=info.file_size))
    if written > limits.member_bytes:
        raise MemberError(msg.MEMBER_INFLATES_TOO_LARGE.format(limit=limits.member_bytes))
    if written > limits.ratio_floor and written > limits.ratio * consumed:
        raise MemberError(msg.MEMBER_ZIP_BOMB.format(ratio=limits.ratio))


def write_new(path, data):
    """Write ``data`` to the new file ``path`` with mode 0644 (no link followed, no file replaced)."""
    with _new_file(path) as out:
        out.write(data)


def _new_file(path):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    os.fchmod(fd, 0o644)  # whatever the umask or the member's mode
    return os.fdopen(fd, "wb")
