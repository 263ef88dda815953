"""Writes of the interchange: import a House CMS export (a folder, or a ZIP of one), export the
office as one, bring in staged records. Each checks "interchange.run" (`by=None` is the system:
commands and jobs), records its run and its report, and is audited. From a page, an import or
an export is a job (`start_import`, `start_export`); commands call `import_folder` and
`export_folder` directly."""

import re
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from civicdesk import audit
from civicdesk.accounts.models import Membership, Office
from civicdesk.core.access import require
from civicdesk.core.errors import DomainError
from civicdesk.jobs.services import start_job

from . import exporting, importing
from .bringing import bring_in_staged
from .models import InterchangeRun, RunKind, RunState
from .reading import ExportFolder, NotAnExport
from .report import Report

__all__ = [
    "EXPORT_JOB", "IMPORT_JOB", "InterchangeRefused", "bring_in", "download_export",
    "export_folder", "import_folder", "run_export", "run_import", "start_export", "start_import",
]  # fmt: skip

IMPORT_JOB = "interchange.import"
EXPORT_JOB = "interchange.export"
# An export with its letters can be large; a ZIP bomb must not fill the disk.
MAX_UPLOAD_MB = getattr(settings, "CIVICDESK_INTERCHANGE_MAX_MB", 2048)
MAX_UNPACKED_BYTES = 8 * MAX_UPLOAD_MB * 1024 * 1024
MAX_MEMBERS = 1_000_000
Progress = Callable[[int, int], None]


class InterchangeRefused(DomainError):
    """An upload or a folder that is not a House CMS export, or a place an export cannot go."""

    code = "interchange_refused"
    status = 400


# ---------------------------------------------------------------- ZIP files


def _member_parts(name: str) -> list[str] | None:
    """The folders and name of a ZIP member; None for one that would land outside."""
    name = name.replace("\\", "/")  # ZIPs made on Windows
    if re.match(r"^[A-Za-z]:", name) or name.startswith("/"):
        return None
    parts = [part for part in name.split("/") if part not in ("", ".")]
    return None if ".." in parts else parts


def _open_zip(source: IO[bytes] | Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, EOFError):
        raise InterchangeRefused(
            _("That file is not a ZIP file. Upload the export folder packed as a .zip.")
        ) from None


def check_zip(source: IO[bytes] | Path) -> None:
    """Refuse a file that is not a ZIP of a House CMS export, before anything is stored."""
    with _open_zip(source) as archive:
        names = [(_member_parts(info.filename) or [""])[-1] for info in archive.infolist()]
    if not any(name.lower().endswith(".out") for name in names):
        raise InterchangeRefused(
            _(
                "The ZIP holds no House CMS file: an export has files named like 1A.out, 1B.out "
                "… 8E.out, and a documents folder."
            )  # fmt: skip
        )


def unpack(source: IO[bytes] | Path, destination: Path) -> None:
    """Unpack a ZIP safely: no member outside `destination`, no links, a cap on the size."""
    with _open_zip(source) as archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS or sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
            raise InterchangeRefused(_("The ZIP unpacks to more than an export can be."))
        for info in infos:
            parts = _member_parts(info.filename)
            if parts is None:
                raise InterchangeRefused(
                    _("The ZIP holds a file outside its folder (%(name)s): it is not accepted.")
                    % {"name": info.filename[:100]}
                )
            if not parts or stat.S_ISLNK(info.external_attr >> 16):
                continue
            target = destination.joinpath(*parts)
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(info) as packed, target.open("wb") as out:
                    copied = 0
                    while chunk := packed.read(1 << 20):
                        copied += len(chunk)
                        if copied > info.file_size:  # a member lying about its size
                            raise InterchangeRefused(_("The ZIP is damaged."))
                        out.write(chunk)
            except RuntimeError:  # encrypted
                raise InterchangeRefused(
                    _("The ZIP is protected by a password: pack the export without one.")
                ) from None
            except (zipfile.BadZipFile, EOFError, OSError) as exc:
                raise InterchangeRefused(_("The ZIP is damaged: %(why)s") % {"why": exc}) from None


def _folder(source: Path, scratch: Path) -> ExportFolder:
    """The export in a folder, or in a ZIP file (unpacked into `scratch`)."""
    if source.is_file():
        unpack(source, scratch)
        source = scratch
    try:
        return ExportFolder(source)
    except NotAnExport as exc:
        raise InterchangeRefused(str(exc)) from None


# ---------------------------------------------------------------- runs


def _new_run(office: Office, kind: str, *, by: Membership | None, filename: str) -> InterchangeRun:
    return InterchangeRun.objects.create(
        office=office, kind=kind, filename=filename[:255], started_by=by, state=RunState.RUNNING
    )


def _finish(run: InterchangeRun, report: Report) -> None:
    run.state, run.report, run.finished_at = RunState.FINISHED, report.to_dict(), timezone.now()
    run.save(update_fields=["state", "report", "finished_at", "result", "updated_at"])


def _fail(run: InterchangeRun, message: str) -> None:
    run.state, run.error, run.finished_at = RunState.FAILED, message[:2000], timezone.now()
    run.save(update_fields=["state", "error", "finished_at", "updated_at"])


def _started(run: InterchangeRun) -> None:
    run.state = RunState.RUNNING
    run.save(update_fields=["state", "updated_at"])


# ---------------------------------------------------------------- import


def _import(run: InterchangeRun, source: Path, scratch: Path, progress: Progress | None) -> None:
    by = run.started_by
    try:
        folder = _folder(source, scratch)
        report = importing.import_folder(run.office, folder, by=by, run=run, progress=progress)
    except InterchangeRefused as exc:
        _fail(run, exc.message)
        raise
    except Exception:
        _fail(run, _("The import stopped on an error. What was read is kept; import the same "
                     "export again to finish it."))  # fmt: skip
        raise
    _finish(run, report)
    audit.record(
        by,
        "interchange.imported",
        run,
        office=run.office,
        changes={
            "file": run.filename,
            "totals": report.totals(),
            "oddities": sum(report.oddity_counts.values()),
            "orphans": len(report.orphans),
        },
    )


def import_folder(
    office: Office,
    source: str | Path,
    *,
    by: Membership | None,
    progress: Progress | None = None,
) -> InterchangeRun:
    """Import the House CMS export in `source` (a folder, or a ZIP of one) now. Raises
    InterchangeRefused (the run says why) when it is not an export."""
    require(by, "interchange.run", office.pk)
    source = Path(source)
    run = _new_run(office, RunKind.IMPORT, by=by, filename=str(source))
    with tempfile.TemporaryDirectory(prefix="cms-import-") as scratch:
        _import(run, source, Path(scratch), progress)
    return run


def start_import(office: Office, *, by: Membership | None, upload: UploadedFile) -> InterchangeRun:
    """Keep an uploaded ZIP of an export and queue its import (job "interchange.import").
    Refused (InterchangeRefused, nothing kept) when it is not a ZIP of an export."""
    require(by, "interchange.run", office.pk)
    name = (upload.name or "export.zip").replace("\\", "/").rsplit("/", 1)[-1][:200]
    if not upload.size:
        raise InterchangeRefused(_("%(name)s is empty.") % {"name": name})
    if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
        raise InterchangeRefused(
            _("%(name)s is larger than %(limit)s MB: import it with the command instead "
              "(civicdesk interchange import).") % {"name": name, "limit": MAX_UPLOAD_MB}
        )  # fmt: skip
    upload.seek(0)
    check_zip(upload)
    upload.seek(0)
    with transaction.atomic():
        run = InterchangeRun(
            office=office, kind=RunKind.IMPORT, filename=name, started_by=by,
            state=RunState.QUEUED,
        )  # fmt: skip
        run.upload.save(get_valid_filename(name) or "export.zip", upload, save=False)
        run.save()
        run.job = start_job(
            office,
            kind=IMPORT_JOB,
            title=_("Import the House CMS export %(name)s") % {"name": name},
            by=by,
            params={"run_id": run.pk},
        )
        run.save(update_fields=["job", "updated_at"])
        audit.record(by, "interchange.import_started", run, office=office,
                     changes={"file": name, "size": upload.size})  # fmt: skip
    return run


def run_import(run: InterchangeRun, *, progress: Progress | None = None) -> InterchangeRun:
    """The job's work: unpack the run's ZIP and import it."""
    _started(run)
    with tempfile.TemporaryDirectory(prefix="cms-import-") as scratch:
        packed = Path(scratch) / "export.zip"
        with run.upload.open("rb") as source, packed.open("wb") as out:
            shutil.copyfileobj(source, out)
        unpacked = Path(scratch) / "export"
        unpacked.mkdir()
        _import(run, packed, unpacked, progress)
    # Everything of the export is in the staging table now (its documents in storage): the
    # uploaded copy of the constituents' data is not kept twice.
    run.upload.delete(save=False)
    run.save(update_fields=["upload", "updated_at"])
    return run


# ---------------------------------------------------------------- export


def _write(office: Office, target: Path, progress: Progress | None) -> Report:
    """Write the export into a new folder beside `target`, then put it in place: a failed
    export leaves nothing half-written."""
    partial = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        report = exporting.export_office(office, partial, progress=progress)
        if target.exists():
            target.rmdir()  # empty: checked before
        partial.rename(target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return report


def export_folder(
    office: Office, target: str | Path, *, by: Membership | None, progress: Progress | None = None
) -> InterchangeRun:
    """Export the office into the folder `target`, which must not exist yet or be empty."""
    require(by, "interchange.run", office.pk)
    target = Path(target).absolute()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InterchangeRefused(
            _("%(path)s is not an empty folder: export into a new or empty one.") % {"path": target}
        )
    if not target.parent.is_dir():
        raise InterchangeRefused(_("%(path)s does not exist.") % {"path": target.parent})
    run = _new_run(office, RunKind.EXPORT, by=by, filename=str(target))
    try:
        report = _write(office, target, progress)
    except Exception:
        _fail(run, _("The export stopped on an error; nothing was written."))
        raise
    _finish(run, report)
    _audit_export(run, report)
    return run


def _audit_export(run: InterchangeRun, report: Report) -> None:
    audit.record(
        run.started_by,
        "interchange.exported",
        run,
        office=run.office,
        changes={"to": run.filename, "totals": report.totals(), "documents": report.documents},
    )


def start_export(office: Office, *, by: Membership | None) -> InterchangeRun:
    """Queue an export of the office (job "interchange.export"), downloadable as a ZIP."""
    require(by, "interchange.run", office.pk)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    with transaction.atomic():
        run = InterchangeRun.objects.create(
            office=office, kind=RunKind.EXPORT, filename=f"cms-export-{office.slug}-{stamp}.zip",
            started_by=by, state=RunState.QUEUED,
        )  # fmt: skip
        run.job = start_job(
            office, kind=EXPORT_JOB, title=_("Export the office in the House CMS format"), by=by,
            params={"run_id": run.pk},
        )  # fmt: skip
        run.save(update_fields=["job", "updated_at"])
        audit.record(by, "interchange.export_started", run, office=office)
    return run


def _zip_folder(folder: Path, out: Path) -> None:
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder.parent).as_posix())


def run_export(run: InterchangeRun, *, progress: Progress | None = None) -> InterchangeRun:
    """The job's work: write the export, pack it as a ZIP (one folder inside) on the run."""
    _started(run)
    try:
        with tempfile.TemporaryDirectory(prefix="cms-export-") as scratch:
            folder = Path(scratch) / run.filename.removesuffix(".zip")
            report = _write(run.office, folder, progress)
            packed = Path(scratch) / run.filename
            _zip_folder(folder, packed)
            with packed.open("rb") as handle:
                run.result.save(run.filename, File(handle), save=False)
    except Exception:
        _fail(run, _("The export stopped on an error; nothing was written."))
        raise
    _finish(run, report)
    _audit_export(run, report)
    return run


def download_export(run: InterchangeRun, *, by: Membership | None) -> File:
    """The export's ZIP, opened for reading; every download is audited."""
    require(by, "interchange.run", run.office_id)
    handle = run.result.open("rb")
    audit.record(by, "interchange.export_downloaded", run, office=run.office,
                 changes={"file": run.filename})  # fmt: skip
    return handle


# ---------------------------------------------------------------- staged records


def bring_in(office: Office, *, by: Membership | None) -> Report:
    """Bring in the staged records whose type has a handler now (after a module landed)."""
    require(by, "interchange.run", office.pk)
    report = bring_in_staged(office, by=by)
    audit.record(by, "interchange.brought_in", None, office=office,
                 changes={"totals": report.totals()},
                 object_repr=_("Staged House CMS records brought in"))  # fmt: skip
    return report
