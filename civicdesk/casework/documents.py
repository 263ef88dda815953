"""Checking a file before a case keeps it. `check_upload` refuses (UploadRefused, with a message
for people) an empty file, one over settings.CIVICDESK_UPLOAD_MAX_MB, one whose first bytes are
not of a type on the allow list or do not match its name (a "lease.pdf" that is a program), and
one the virus scanner refuses.

The scanner is the function settings.CIVICDESK_UPLOAD_SCANNER names. It takes the upload and
returns None (clean) or the reason it refuses the file. A scanner that raises or cannot be
reached refuses the file too: an upload nobody could check is never kept. Two come with
CivicDesk: `signature_scanner` (the default; refuses the EICAR test file) and `clamd_scanner`
(asks ClamAV's daemon, at settings.CIVICDESK_CLAMD, through its INSTREAM command)."""

import hashlib
import logging
import socket
import struct
import zipfile
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .errors import UploadRefused

logger = logging.getLogger(__name__)

MB = 1024 * 1024
CHUNK_SIZE = 64 * 1024
HEAD_SIZE = 8 * 1024  # enough for every signature below and to tell text from binary
CLAMD_TIMEOUT = 30  # seconds: a 20 MB file takes ClamAV well under a second

# The EICAR test file (https://www.eicar.org/download-anti-malware-testfile/): harmless, and
# detected by every virus scanner. Kept in two halves so that this source file is not itself
# reported by the scanner of whoever checks it out.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


class Upload(Protocol):
    """What the checks need of an upload: Django's UploadedFile, or any django File."""

    name: str | None
    size: int

    def chunks(self, chunk_size: int | None = None) -> Any: ...

    def seek(self, offset: int, whence: int = 0) -> int: ...

    def read(self, size: int = -1) -> bytes: ...

    def tell(self) -> int: ...


@dataclass(frozen=True)
class FileType:
    """A kind of file the office accepts: its name for people, its MIME type, its extensions."""

    label: str
    content_type: str
    extensions: tuple[str, ...]


PDF = FileType("PDF", "application/pdf", (".pdf",))
PNG = FileType("PNG", "image/png", (".png",))
JPEG = FileType("JPEG", "image/jpeg", (".jpg", ".jpeg"))
GIF = FileType("GIF", "image/gif", (".gif",))
WEBP = FileType("WebP", "image/webp", (".webp",))
HEIC = FileType("HEIC", "image/heic", (".heic", ".heif"))  # iPhone photos of a signed form
TEXT = FileType("plain text", "text/plain", (".txt",))
DOCX = FileType(
    "Word",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    (".docx",),
)
XLSX = FileType(
    "Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)
)
ODT = FileType("OpenDocument text", "application/vnd.oasis.opendocument.text", (".odt",))
# Agencies still send .doc files. The OLE2 container is not opened to tell a .doc from a .xls:
# either is data, and macros are the virus scanner's business.
DOC = FileType("Word 97-2003", "application/msword", (".doc",))

ACCEPTED = (PDF, PNG, JPEG, GIF, WEBP, HEIC, TEXT, DOCX, XLSX, ODT, DOC)
BY_EXTENSION = {ext: kind for kind in ACCEPTED for ext in kind.extensions}
ACCEPT_ATTRIBUTE = ",".join(BY_EXTENSION)  # for <input type="file" accept="...">

HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Bytes no plain text file holds (NUL and the C0 controls other than tab, newlines, form feed).
BINARY_BYTES = bytes(set(range(32)) - {9, 10, 12, 13})


class ScannerFailed(Exception):
    """The scanner could not give an answer (unreachable, or an answer it does not understand)."""


def accepted_labels() -> str:
    return ", ".join(kind.label for kind in ACCEPTED)


def clean_name(raw: str | None) -> str:
    """The file's own name, as a person sees it: no folders (some browsers send a whole path),
    no control characters, at most 200 characters with the extension kept."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip(" .") or "document"
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem[: 199 - len(ext)]}{dot}{ext}" if dot and len(ext) <= 10 else name[:200]
    return name


def extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return f".{ext.lower()}" if dot and stem else ""


def _size(size: int) -> str:
    return f"{size / MB:.1f} MB" if size >= MB / 10 else f"{max(1, round(size / 1024))} KB"


def _read(upload: Upload) -> tuple[str, bytes]:
    """One pass over the file, a chunk at a time: its sha256 and its first bytes."""
    digest = hashlib.sha256()
    head = b""
    for chunk in upload.chunks(CHUNK_SIZE):
        digest.update(chunk)
        if len(head) < HEAD_SIZE:
            head += chunk[: HEAD_SIZE - len(head)]
    return digest.hexdigest(), head


def _zip_kind(upload: Upload) -> FileType | None:
    """Which office document a ZIP container is, from its table of contents (read from the end
    of the file: nothing is unpacked but ODF's few-byte "mimetype" entry)."""
    try:
        upload.seek(0)
        with zipfile.ZipFile(upload) as archive:  # type: ignore[arg-type]
            names = set(archive.namelist())
            if "mimetype" in names and archive.getinfo("mimetype").file_size < 100:
                if archive.read("mimetype").strip() == ODT.content_type.encode():
                    return ODT
                return None
            if "[Content_Types].xml" in names:
                if "word/document.xml" in names:
                    return DOCX
                if "xl/workbook.xml" in names:
                    return XLSX
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, RuntimeError):
        return None
    finally:
        upload.seek(0)
    return None


def sniff(head: bytes, upload: Upload) -> FileType | None:
    """The accepted type the file's first bytes show, or None for anything else. Text is what
    has no binary bytes in its first 8 KB (a program renamed .txt has them in its header)."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return WEBP
    if head[4:8] == b"ftyp" and head[8:12] in HEIC_BRANDS:
        return HEIC
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(upload)
    if head.startswith(OLE2_MAGIC):
        return DOC
    if head.translate(None, BINARY_BYTES) == head:
        return TEXT
    return None


def check_upload(upload: Upload) -> tuple[str, str]:
    """Refuse (UploadRefused) a file the office must not keep; return its (content type,
    sha256) otherwise. The file is read a chunk at a time: once here, once by the scanner."""
    name = clean_name(upload.name)
    limit_mb = settings.CIVICDESK_UPLOAD_MAX_MB
    if not upload.size:
        raise UploadRefused(_("%(name)s is empty.") % {"name": name})
    if upload.size > limit_mb * MB:
        raise UploadRefused(
            _("%(name)s is %(size)s; the limit is %(limit)s MB.")
            % {"name": name, "size": _size(upload.size), "limit": limit_mb}
        )
    expected = BY_EXTENSION.get(extension(name))
    if expected is None:
        raise UploadRefused(
            _("%(name)s: files of this type are not accepted. Accepted: %(types)s.")
            % {"name": name, "types": accepted_labels()}
        )
    sha256, head = _read(upload)
    found = sniff(head, upload)
    if found is None:
        raise UploadRefused(
            _(
                "%(name)s is not really a %(type)s file: its contents are of a kind that is not "
                "accepted."
            )
            % {"name": name, "type": expected.label}
        )
    if found is not expected:
        raise UploadRefused(
            _(
                "%(name)s is named like a %(expected)s file but is really a %(found)s file. "
                "Give it the right name (%(ext)s) and upload it again."
            )
            % {
                "name": name,
                "expected": expected.label,
                "found": found.label,
                "ext": found.extensions[0],
            }
        )
    _scan(upload, name)
    return found.content_type, sha256


def _scan(upload: Upload, name: str) -> None:
    path = settings.CIVICDESK_UPLOAD_SCANNER
    try:
        reason = import_string(path)(upload)
    except Exception:
        # Fail closed: a file nobody could check is not kept. The log names the scanner, never
        # the file's contents.
        logger.exception("The upload scanner %s failed; the upload was refused.", path)
        raise UploadRefused(
            _(
                "%(name)s could not be checked by the virus scanner, so it was not accepted. Try "
                "again in a few minutes; if it keeps happening, tell your administrator."
            )
            % {"name": name}
        ) from None
    finally:
        upload.seek(0)
    if reason:
        raise UploadRefused(
            _("%(name)s was refused by the virus scanner: %(reason)s")
            % {"name": name, "reason": reason}
        )


# ---------------------------------------------------------------- scanners


def signature_scanner(upload: Upload) -> str | None:
    """The default scanner: refuses a file holding the EICAR test signature, so that an office
    can see the refusal work. It is no virus scanner; offices that have one use clamd_scanner."""
    tail = b""
    for chunk in upload.chunks(CHUNK_SIZE):
        # Keep the end of the previous chunk: the signature may straddle two.
        if EICAR in tail + chunk:
            return "Eicar-Test-Signature"
        tail = chunk[-(len(EICAR) - 1) :]
    return None


def _clamd_socket(address: str) -> socket.socket:
    if address.startswith("tcp://"):
        host, _colon, port = address.removeprefix("tcp://").rpartition(":")
        return socket.create_connection((host.strip("[]"), int(port)), timeout=CLAMD_TIMEOUT)
    path = address.removeprefix("unix://")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(CLAMD_TIMEOUT)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        raise
    return sock


def _clamd_answer(sock: socket.socket) -> str:
    """clamd's reply to a "z"-prefixed command: text up to a NUL byte."""
    answer = b""
    while b"\0" not in answer:
        part = sock.recv(4096)
        if not part:
            break
        answer += part
    return answer.split(b"\0", 1)[0].decode("utf-8", "replace").strip()


def clamd_scanner(upload: Upload) -> str | None:
    """Ask ClamAV's daemon (settings.CIVICDESK_CLAMD: unix:///path or tcp://host:port) with
    INSTREAM: the file goes in chunks, each after its length as 4 bytes big-endian, then a
    zero length. clamd answers "stream: OK", "stream: <virus name> FOUND" or "... ERROR"."""
    with _clamd_socket(settings.CIVICDESK_CLAMD) as sock:
        sock.sendall(b"zINSTREAM\0")
        for chunk in upload.chunks(CHUNK_SIZE):
            if chunk:
                sock.sendall(struct.pack("!L", len(chunk)))
                sock.sendall(chunk)
        sock.sendall(struct.pack("!L", 0))
        answer = _clamd_answer(sock)
    verdict = answer.removeprefix("stream:").strip()
    if verdict == "OK":
        return None
    if verdict.endswith(" FOUND"):
        return verdict.removesuffix(" FOUND").strip() or "FOUND"
    raise ScannerFailed(f"clamd answered {answer[:200]!r}")
