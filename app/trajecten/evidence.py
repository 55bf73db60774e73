"""Evidence files: checked on the way in, stored outside the web root, served only to who may see them.

The type is decided by the file's first bytes, not by its name or the browser's claim, so a renamed
executable is refused. Files are stored under their SHA-256, so a stored file is never overwritten.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from app import uploads
from app.db import session
from app.models.trajecten import EvidenceFile
from contracts.messages import DomainError

# (media type, leading bytes, extensions that may carry it)
ACCEPTED_TYPES = (
    ("application/pdf", b"%PDF-", (".pdf",)),
    ("image/png", b"\x89PNG\r\n\x1a\n", (".png",)),
    ("image/jpeg", b"\xff\xd8\xff", (".jpg", ".jpeg")),
)
ACCEPTED_EXTENSIONS = ", ".join(ext for _t, _m, exts in ACCEPTED_TYPES for ext in exts)


class EvidenceError(DomainError):
    """A file that cannot serve as evidence (type, size, content); shown at the file field."""

    code = "invalid_evidence"


def _media_type(head: bytes, filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    for media_type, magic, extensions in ACCEPTED_TYPES:
        if head.startswith(magic):
            if suffix not in extensions:
                raise EvidenceError(str(_l("De inhoud van het bestand past niet bij de extensie %(ext)s.",
                                           ext=suffix or "—")), "evidence")
            return media_type
    raise EvidenceError(str(_l("Alleen PDF, PNG of JPEG als bewijs (%(ext)s).", ext=ACCEPTED_EXTENSIONS)), "evidence")


def _directory() -> Path:
    path = Path(current_app.config["EVIDENCE_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def store(upload: FileStorage, traject_id: int, user_id: int) -> EvidenceFile:
    """Check and keep an upload; the row joins the caller's transaction, the bytes are written at once
    (a file without a row is harmless: it is never served)."""
    if not upload.filename:  # the name decides the extension the content must match; never drop such a file
        raise EvidenceError(str(_l("Dit bestand is zonder naam verstuurd en is niet opgeslagen. Kies het bestand "
                                   "opnieuw.")), "evidence")
    limit = current_app.config["EVIDENCE_MAX_BYTES"]
    data = upload.stream.read(limit + 1)
    if not data:
        raise EvidenceError(str(_l("Het bestand is leeg.")), "evidence")
    if len(data) > limit:
        size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit} bytes"
        raise EvidenceError(str(_l("Het bestand is groter dan %(size)s.", size=size)), "evidence")
    uploads.charge(user_id, len(data), "evidence", "evidence")
    evidence = evidence_file(data, upload.filename or "", traject_id, user_id)
    session.add(evidence)
    return evidence


def evidence_file(data: bytes, filename: str, traject_id: int, user_id: int | None) -> EvidenceFile:
    """Write checked bytes to the store and describe them; the caller adds the row to its session."""
    filename = secure_filename(filename) or "bewijs"
    media_type = _media_type(data[:16], filename)
    digest = hashlib.sha256(data).hexdigest()
    target = _directory() / digest
    if not target.exists():
        target.write_bytes(data)
    return EvidenceFile(traject_id=traject_id, filename=filename[:200], media_type=media_type, size=len(data),
                        sha256=digest, uploaded_by_id=user_id)


def path_of(evidence: EvidenceFile) -> Path:
    return _directory() / evidence.sha256
