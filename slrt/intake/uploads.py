"""Attachments of a desk visit (KTP, KK, a photo of the house): checked by their content, stored
under random names outside static/, at most a configured number per case; a full disk leaves
nothing half-written."""

from __future__ import annotations

import errno
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from slrt.accounts.models import User
from slrt.accounts.services import ValidationFailed
from slrt.extensions import db
from slrt.intake import models as m
from slrt.intake.visit_form import Errors, add_problem

MAX_UPLOAD = 5 * 1024 * 1024


# Magic bytes: the type is read from the content, never from the name or the browser's word.
SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"%PDF-", "application/pdf", "pdf"),
)


@dataclass
class Upload:
    kind: m.AttachmentKind
    filename: str
    content: bytes


def sniff(content: bytes) -> tuple[str, str] | None:
    for magic, mime, ext in SIGNATURES:
        if content.startswith(magic):
            return mime, ext
    return None


def check_uploads(uploads: list[Upload], errors: Errors) -> list[tuple[Upload, str, str]]:
    checked = []
    for upload in uploads:
        key = f"file_{upload.kind.value}"
        if len(upload.content) > MAX_UPLOAD:
            add_problem(errors, key, _("%(name)s lebih dari 5 MB.", name=upload.filename))
            continue
        kind = sniff(upload.content)
        if kind is None:
            add_problem(errors, key, _("%(name)s bukan JPEG, PNG atau PDF.", name=upload.filename))
            continue
        checked.append((upload, *kind))
    return checked


def store_uploads(case: m.Case, uploads: list[tuple[Upload, str, str]], user: User) -> list[Path]:
    limit = current_app.config["MAX_ATTACHMENTS_PER_CASE"]
    if len(case.attachments) + len(uploads) > limit:
        # Found by the second security review: 30 attachments were accepted on one case.
        first_over = uploads[max(limit - len(case.attachments), 0)][0]
        raise ValidationFailed(
            {
                f"file_{first_over.kind.value}": [
                    _(
                        "Paling banyak %(limit)d lampiran per kasus. Tidak ada yang tersimpan; "
                        "kurangi lampiran lalu kirim lagi.",
                        limit=limit,
                    )
                ]
            }
        )
    folder = Path(current_app.config["UPLOAD_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for upload, mime, ext in uploads:
        stored = f"{secrets.token_hex(16)}.{ext}"
        path = folder / stored
        try:
            path.write_bytes(upload.content)
        except OSError as exc:
            # A full disk (found by tests/test_faults.py: a bare 500, and the files written
            # before it stayed on disk with no case): remove what this visit wrote, keep nothing.
            for done in [*written, path]:
                done.unlink(missing_ok=True)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise ValidationFailed(
                    {
                        None: [
                            _(
                                "Lampiran tidak dapat disimpan karena penyimpanan server penuh. Tidak ada "
                                "yang tersimpan; hubungi administrator, lalu kirim lagi."
                            )
                        ]
                    }
                ) from exc
            raise
        written.append(path)
        db.session.add(
            m.Attachment(
                case=case,
                kind=upload.kind,
                original_name=Path(upload.filename or "berkas").name[:255],
                stored_name=stored,
                content_type=mime,
                size=len(upload.content),
                uploaded_by_id=user.id,
            )
        )
    db.session.flush()
    return written


def attachment_path(attachment: m.Attachment) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / attachment.stored_name
