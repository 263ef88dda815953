"""Documents on a case: the upload checks (size, type by the first bytes, the name), the scan
hook with its two scanners (a fake clamd speaks INSTREAM here: no ClamAV on test machines),
storing, removing."""

import hashlib
import io
import os
import shutil
import socket
import struct
import tempfile
import threading
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from civicdesk.audit.models import AuditEvent
from civicdesk.casework import services
from civicdesk.casework.documents import CHUNK_SIZE, EICAR, clamd_scanner, signature_scanner
from civicdesk.casework.errors import CaseRefused, UploadRefused
from civicdesk.casework.models import ActionKind, CaseAction, CaseDocument
from civicdesk.core.errors import NotAllowed

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(40)
PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(200)


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def office_zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def stored_files(settings) -> list[str]:
    root = settings.MEDIA_ROOT
    return sorted(
        os.path.relpath(os.path.join(folder, name), root)
        for folder, _dirs, names in os.walk(root)
        for name in names
    )


def refusal(case, alice, name: str, content: bytes) -> str:
    with pytest.raises(UploadRefused) as refused:
        services.add_document(case, by=alice, upload=upload(name, content))
    return refused.value.message


# ---------------------------------------------------------------- accepted


def test_a_good_pdf_is_kept_with_its_name_size_type_and_hash(case, alice, settings):
    document = services.add_document(case, by=alice, upload=upload("lease.pdf", PDF))

    document.refresh_from_db()
    assert (document.name, document.size, document.content_type, document.sha256) == (
        "lease.pdf", len(PDF), "application/pdf", hashlib.sha256(PDF).hexdigest(),
    )  # fmt: skip
    assert (document.uploaded_by, document.is_public) == (alice, False)
    with default_storage.open(document.file.name, "rb") as handle:
        assert handle.read() == PDF
    action = CaseAction.objects.get(case=case, kind=ActionKind.DOCUMENT)
    assert (action.subject, action.details, action.is_public) == (
        "Document added: lease.pdf", {"document_id": document.pk}, False,
    )  # fmt: skip


def test_the_stored_file_name_does_not_say_what_the_file_is(case, alice, settings):
    document = services.add_document(case, by=alice, upload=upload("john-smith-dd214.pdf", PDF))

    assert "john" not in document.file.name
    assert document.file.name.startswith("cases/")
    assert document.file.name.endswith(".pdf")


def test_adding_a_document_is_audited_without_its_contents(case, alice):
    document = services.add_document(case, by=alice, upload=upload("lease.pdf", PDF))

    event = AuditEvent.objects.get(action="case.document_added")
    assert event.changes == {"document": [None, {
        "id": document.pk, "name": "lease.pdf", "size": len(PDF),
        "content_type": "application/pdf", "sha256": hashlib.sha256(PDF).hexdigest(),
    }]}  # fmt: skip
    assert "%PDF" not in str(event.changes)


def test_a_windows_path_keeps_only_the_file_name(case, alice):
    document = services.add_document(
        case, by=alice, upload=upload("C:\\Users\\john\\lease.PDF", PDF)
    )

    assert document.name == "lease.PDF"


ACCEPTED_FILES = [
        ("photo.png", PNG, "image/png"),
        ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(30), "image/jpeg"),
        ("photo.jpeg", b"\xff\xd8\xff\xe1\x00\x10Exif\x00" + bytes(30), "image/jpeg"),
        ("scan.gif", b"GIF89a" + bytes(30), "image/gif"),
        ("scan.webp", b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(30), "image/webp"),
        ("IMG_0001.HEIC", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00" + bytes(30), "image/heic"),
        ("notes.txt", "Called the VA — claim in review.\r\n".encode(), "text/plain"),
        ("letter.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "application/msword"),
        (
            "letter.docx",
            office_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "benefits.xlsx",
            office_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<x/>"}),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (
            "letter.odt",
            office_zip({"mimetype": b"application/vnd.oasis.opendocument.text",
                        "content.xml": b"<office/>"}),
            "application/vnd.oasis.opendocument.text",
        ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "content", "content_type"), ACCEPTED_FILES, ids=[f[0] for f in ACCEPTED_FILES]
)
def test_each_accepted_type_is_recognized_by_its_first_bytes(
    case, alice, name, content, content_type
):
    document = services.add_document(case, by=alice, upload=upload(name, content))

    assert document.content_type == content_type


# ---------------------------------------------------------------- refused


def test_an_empty_file_is_refused(case, alice, settings):
    assert refusal(case, alice, "lease.pdf", b"") == "lease.pdf is empty."
    assert (CaseDocument.objects.count(), stored_files(settings)) == (0, [])


def test_a_file_over_the_limit_is_refused_saying_its_size_and_the_limit(case, alice, settings):
    settings.CIVICDESK_UPLOAD_MAX_MB = 1
    services.add_document(case, by=alice, upload=upload("small.pdf", PDF + bytes(900_000)))

    message = refusal(case, alice, "lease.pdf", PDF + bytes(1_600_000))

    assert message == "lease.pdf is 1.5 MB; the limit is 1 MB."
    assert list(CaseDocument.objects.values_list("name", flat=True)) == ["small.pdf"]
    assert len(stored_files(settings)) == 1


def test_the_default_limit_is_20_mb(case, alice, settings):
    message = refusal(case, alice, "lease.pdf", PDF + bytes(32_700_000))

    assert message == "lease.pdf is 31.2 MB; the limit is 20 MB."


def test_a_program_named_pdf_is_refused(case, alice, settings):
    message = refusal(case, alice, "lease.pdf", PROGRAM)

    assert message == (
        "lease.pdf is not really a PDF file: its contents are of a kind that is not accepted."
    )
    assert (CaseDocument.objects.count(), stored_files(settings)) == (0, [])


def test_a_picture_named_pdf_is_refused_saying_what_it_really_is(case, alice):
    message = refusal(case, alice, "lease.pdf", PNG)

    assert message == (
        "lease.pdf is named like a PDF file but is really a PNG file. Give it the right name "
        "(.png) and upload it again."
    )


def test_a_program_named_txt_is_refused(case, alice):
    assert refusal(case, alice, "readme.txt", PROGRAM).startswith("readme.txt is not really a")


def test_a_plain_zip_named_docx_is_refused(case, alice):
    message = refusal(case, alice, "letter.docx", office_zip({"payload.exe": PROGRAM}))

    assert message.startswith("letter.docx is not really a Word file")


def test_a_forbidden_type_is_refused_listing_the_accepted_ones(case, alice):
    message = refusal(case, alice, "setup.exe", PROGRAM)

    assert message == (
        "setup.exe: files of this type are not accepted. Accepted: PDF, PNG, JPEG, GIF, WebP, "
        "HEIC, plain text, Word, Excel, OpenDocument text, Word 97-2003."
    )


def test_a_volunteer_cannot_add_a_document(case, victor, settings):
    with pytest.raises(NotAllowed):
        services.add_document(case, by=victor, upload=upload("lease.pdf", PDF))
    assert (CaseDocument.objects.count(), stored_files(settings)) == (0, [])


# ---------------------------------------------------------------- the scan hook


def broken_scanner(upload) -> str | None:
    raise RuntimeError("signature database missing")


def test_the_eicar_test_file_is_refused_by_the_default_scanner(case, alice, settings):
    message = refusal(case, alice, "eicar.txt", EICAR)

    assert message == "eicar.txt was refused by the virus scanner: Eicar-Test-Signature"
    assert (CaseDocument.objects.count(), stored_files(settings)) == (0, [])


def test_eicar_inside_a_pdf_is_refused(case, alice):
    message = refusal(case, alice, "lease.pdf", PDF + EICAR + PDF)

    assert message == "lease.pdf was refused by the virus scanner: Eicar-Test-Signature"


def test_the_signature_is_found_across_two_chunks():
    content = bytes(CHUNK_SIZE - 10) + EICAR + bytes(100)

    assert signature_scanner(upload("big.txt", content)) == "Eicar-Test-Signature"
    assert signature_scanner(upload("big.txt", bytes(CHUNK_SIZE * 2))) is None


def test_a_scanner_that_fails_refuses_the_file(case, alice, settings):
    settings.CIVICDESK_UPLOAD_SCANNER = f"{__name__}.broken_scanner"

    message = refusal(case, alice, "lease.pdf", PDF)

    assert message == (
        "lease.pdf could not be checked by the virus scanner, so it was not accepted. Try again "
        "in a few minutes; if it keeps happening, tell your administrator."
    )
    assert (CaseDocument.objects.count(), stored_files(settings)) == (0, [])


def test_a_scanner_that_does_not_exist_refuses_the_file(case, alice, settings):
    settings.CIVICDESK_UPLOAD_SCANNER = "civicdesk.casework.documents.no_such_scanner"

    assert "could not be checked by the virus scanner" in refusal(case, alice, "lease.pdf", PDF)


class FakeClamd:
    """clamd's INSTREAM command, as ClamAV speaks it, for one connection at a time."""

    def __init__(self, family: int, address, *, answer: bytes | None = None):
        self.server = socket.socket(family, socket.SOCK_STREAM)
        self.server.bind(address)
        self.server.listen(1)
        self.answer = answer
        self.received: list[tuple[bytes, bytes]] = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    @staticmethod
    def read_exactly(conn: socket.socket, size: int) -> bytes:
        data = b""
        while len(data) < size:
            part = conn.recv(size - len(data))
            if not part:
                raise ConnectionError("client went away")
            data += part
        return data

    def serve(self) -> None:
        while True:
            try:
                conn, _address = self.server.accept()
            except OSError:
                return  # closed: the test is over
            with conn:
                command = b""
                while not command.endswith(b"\0"):
                    command += self.read_exactly(conn, 1)
                data = b""
                while size := struct.unpack("!L", self.read_exactly(conn, 4))[0]:
                    data += self.read_exactly(conn, size)
                self.received.append((command, data))
                verdict = b"stream: Eicar-Test-Signature FOUND" if EICAR in data else b"stream: OK"
                conn.sendall((self.answer or verdict) + b"\0")

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def clamd_tcp(settings):
    server = FakeClamd(socket.AF_INET, ("127.0.0.1", 0))
    settings.CIVICDESK_CLAMD = f"tcp://127.0.0.1:{server.server.getsockname()[1]}"
    settings.CIVICDESK_UPLOAD_SCANNER = "civicdesk.casework.documents.clamd_scanner"
    yield server
    server.close()


@pytest.fixture
def short_tmp():
    """A folder with a short path: a unix socket's path is limited to about 100 bytes."""
    folder = tempfile.mkdtemp(prefix="cd-", dir="/tmp")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_clamd_receives_the_whole_file_in_chunks_and_passes_a_clean_one(clamd_tcp, case, alice):
    content = PDF + bytes(3 * CHUNK_SIZE)

    document = services.add_document(case, by=alice, upload=upload("lease.pdf", content))

    assert document.size == len(content)
    assert clamd_tcp.received == [(b"zINSTREAM\0", content)]


def test_clamd_names_the_virus_it_found(clamd_tcp, case, alice):
    message = refusal(case, alice, "lease.pdf", PDF + EICAR)

    assert message == "lease.pdf was refused by the virus scanner: Eicar-Test-Signature"
    assert CaseDocument.objects.count() == 0


def test_clamd_over_a_unix_socket(settings, short_tmp):
    path = os.path.join(short_tmp, "clamd.sock")
    server = FakeClamd(socket.AF_UNIX, path)
    settings.CIVICDESK_CLAMD = f"unix://{path}"
    try:
        assert clamd_scanner(upload("eicar.txt", EICAR)) == "Eicar-Test-Signature"
        assert clamd_scanner(upload("notes.txt", b"hello")) is None
    finally:
        server.close()


def test_an_error_from_clamd_refuses_the_file(settings, case, alice, short_tmp):
    path = os.path.join(short_tmp, "clamd.sock")
    server = FakeClamd(socket.AF_UNIX, path, answer=b"INSTREAM size limit exceeded. ERROR")
    settings.CIVICDESK_CLAMD = f"unix://{path}"
    settings.CIVICDESK_UPLOAD_SCANNER = "civicdesk.casework.documents.clamd_scanner"
    try:
        message = refusal(case, alice, "lease.pdf", PDF)
    finally:
        server.close()

    assert "could not be checked by the virus scanner" in message
    assert CaseDocument.objects.count() == 0


def test_an_unreachable_clamd_refuses_the_file(settings, case, alice, short_tmp):
    settings.CIVICDESK_CLAMD = f"unix://{short_tmp}/nobody-listens.sock"
    settings.CIVICDESK_UPLOAD_SCANNER = "civicdesk.casework.documents.clamd_scanner"

    assert "could not be checked by the virus scanner" in refusal(case, alice, "lease.pdf", PDF)
    assert CaseDocument.objects.count() == 0


# ---------------------------------------------------------------- removing


def test_removing_a_document_deletes_its_file_after_the_commit(
    case, alice, settings, django_capture_on_commit_callbacks
):
    document = services.add_document(case, by=alice, upload=upload("lease.pdf", PDF))

    with django_capture_on_commit_callbacks(execute=True):
        services.remove_document(document, by=alice)

    assert (CaseDocument.objects.count(), stored_files(settings)) == (0, [])
    assert AuditEvent.objects.get(action="case.document_removed").changes["document"][1] is None
    assert CaseAction.objects.filter(case=case, subject="Document removed: lease.pdf").exists()


def test_a_privacy_releases_signed_form_cannot_be_removed(case, alice, settings):
    release = services.record_release(
        case, by=alice, method="upload", signed_on=case.opened_at.date(),
        upload=upload("release.pdf", PDF),
    )  # fmt: skip

    with pytest.raises(CaseRefused) as refused:
        services.remove_document(release.document, by=alice)

    assert refused.value.message == (
        "release.pdf is the signed form of a privacy release; it is kept with the release and "
        "cannot be removed."
    )
    assert (CaseDocument.objects.count(), len(stored_files(settings))) == (1, 1)


# ---------------------------------------------------------------- settings


@pytest.mark.parametrize(
    ("check", "value"),
    [
        ("checked_upload_max_mb", 0),
        ("checked_upload_max_mb", 2048),
        ("checked_scanner", "clamd_scanner"),
        ("checked_scanner", "civicdesk.no_such_module.scan"),
        ("checked_clamd", "localhost:3310"),
        ("checked_clamd", "tcp://clamav"),
    ],
)
def test_wrong_upload_settings_stop_the_start(check, value):
    from django.core.exceptions import ImproperlyConfigured

    from civicdesk import settings as project_settings

    with pytest.raises(ImproperlyConfigured):
        getattr(project_settings, check)(value)


def test_the_upload_settings_default_to_20_mb_and_the_signature_scanner():
    from civicdesk import settings as project_settings

    assert project_settings.CIVICDESK_UPLOAD_MAX_MB == 20
    assert project_settings.CIVICDESK_UPLOAD_SCANNER == (
        "civicdesk.casework.documents.signature_scanner"
    )
    assert project_settings.checked_clamd("tcp://clamav:3310") == "tcp://clamav:3310"
