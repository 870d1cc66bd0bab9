"""Emergency answer backups: when the network never comes back, the exam page encrypts the
answers it could not send to its batch's public key and offers them as a file ("下载作答备份");
an organizer uploads that file on the attempt, and its entries become late answers to accept.

Each batch has its own RSA key pair, made here on first use. The private key never leaves the
server: it is stored encrypted (PKCS#8, with a key derived from SECRET_KEY) and shown by no page
or API. The file (``FORMAT``), as the page writes it (static/js/backup.js):

    {"format": "exam-backup/1", "key_id": "...", "attempt": 12,
     "wrapped_key": b64(RSA-OAEP-SHA256(AES key)), "iv": b64(12 bytes),
     "ciphertext": b64(AES-256-GCM(payload, additional data "exam-backup/1:<attempt>:<key_id>"))}

    payload: {"attempt": 12, "made_at": client ms, "clock_offset_ms": server - client,
              "deadline": iso, "entries": [{"question", "value", "seq", "t": client ms, "o": offset}]}

An entry counts when ``t + o`` (its page's clock corrected to the server's when it was made; the
file's offset when it has none) is not after the attempt's deadline.

GCM authenticates the payload and, through the additional data, the attempt and key it names:
a changed byte, another attempt's file or another batch's file is refused with a clear message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import secrets
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from exams import rules
from exams.audit import AuditAction
from exams.exceptions import BackupRefused, InvalidAnswer
from exams.models import BackupKey, LateAnswer
from exams.paper_cache import paper_questions
from exams.services.answering import validate_entries
from exams.services.attempts import attempt_audit, attempt_lock

FORMAT = "exam-backup/1"
MAX_FILE_BYTES = 5 * 1024 * 1024
RSA_BITS = 2048


def _sealing_password() -> bytes:
    return hashlib.sha256(b"exam-backup-private-key:" + settings.SECRET_KEY.encode()).digest()


def _new_key(batch_id: int) -> BackupKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    spki = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    sealed = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_sealing_password()),
    )
    return BackupKey(
        batch_id=batch_id, key_id=secrets.token_hex(8), public_key=base64.b64encode(spki).decode(),
        private_key_sealed=sealed.decode(),
    )


def batch_backup_key(*, batch_id: int) -> BackupKey:
    """The batch's key pair, made on first use (two pages at once: one wins, both read it)."""
    key = BackupKey.objects.filter(batch_id=batch_id).first()
    if key is not None:
        return key
    try:
        with transaction.atomic():
            key = _new_key(batch_id)
            key.save()
            return key
    except IntegrityError:
        return BackupKey.objects.get(batch_id=batch_id)


def backup_public_key(*, batch_id: int) -> dict[str, str]:
    """What the exam page needs to encrypt a backup: never the private key. Cached (the exam page
    is loaded by every candidate at the start and stays at one row of the database)."""
    cache_key = f"backup-public-key:{batch_id}"
    public = cache.get(cache_key)
    if public is None:
        key = batch_backup_key(batch_id=batch_id)
        public = {"key_id": key.key_id, "spki": key.public_key}
        cache.set(cache_key, public, timeout=24 * 3600)
    return {"key_id": str(public["key_id"]), "spki": str(public["spki"])}


def _private_key(key: BackupKey) -> rsa.RSAPrivateKey:
    private = serialization.load_pem_private_key(key.private_key_sealed.encode(), password=_sealing_password())
    if not isinstance(private, rsa.RSAPrivateKey):
        raise TypeError("a backup key is an RSA key")
    return private


def _b64(value: Any) -> bytes:
    if not isinstance(value, str):
        raise ValueError("not base64 text")
    return base64.b64decode(value, validate=True)


def _not_a_backup() -> BackupRefused:
    return BackupRefused(_("这不是作答备份文件。请上传考生在考试页面点击“下载作答备份”得到的 .json 文件。"))


def _tampered() -> BackupRefused:
    return BackupRefused(_("备份文件已损坏或被改动，无法解密，未导入任何答案。请让考生重新下载或提供原始文件。"))


def backup_open(*, raw: bytes, attempt_id: int, batch_id: int) -> dict[str, Any]:
    """Decrypt and check a backup file for this attempt; its payload, or BackupRefused."""
    if len(raw) > MAX_FILE_BYTES:
        raise BackupRefused(_("文件过大（最大 5 MB），这不是作答备份文件。"))
    try:
        outer = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _not_a_backup() from None
    if not isinstance(outer, dict) or outer.get("format") != FORMAT:
        raise _not_a_backup()
    key = BackupKey.objects.filter(batch_id=batch_id).first()
    if key is None or outer.get("key_id") != key.key_id:
        raise BackupRefused(_("此备份文件不是用本批次的密钥加密的（可能来自其他批次或其他考试系统），无法导入。"))
    named = outer.get("attempt")
    if named != attempt_id:
        raise BackupRefused(
            _("此备份文件属于作答 #%(other)s，不是当前作答 #%(this)s。请在该考生对应的作答上上传。")
            % {"other": named, "this": attempt_id}
        )
    try:
        wrapped, iv, ciphertext = _b64(outer.get("wrapped_key")), _b64(outer.get("iv")), _b64(outer.get("ciphertext"))
    except (ValueError, binascii.Error):
        raise _tampered() from None
    try:
        aes_key = _private_key(key).decrypt(
            wrapped, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
        )
        plain = AESGCM(aes_key).decrypt(iv, ciphertext, f"{FORMAT}:{attempt_id}:{key.key_id}".encode())
        payload = json.loads(plain.decode("utf-8"))
    except (ValueError, InvalidTag, UnicodeDecodeError):
        raise _tampered() from None
    if not isinstance(payload, dict) or payload.get("attempt") != attempt_id:
        raise _tampered()
    return payload


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def backup_import(*, attempt_id: int, raw: bytes, actor: User | None, now: datetime) -> dict[str, int]:
    """Store a backup's entries made before the deadline (by the page's corrected clock) as late
    answers with ``source="backup"``, for an organizer to accept. Returns the counts."""
    with transaction.atomic():
        attempt = attempt_lock(attempt_id=attempt_id)
        payload = backup_open(raw=raw, attempt_id=attempt.id, batch_id=attempt.session.batch_id)
        offset = _number(payload.get("clock_offset_ms"))
        entries = payload.get("entries")
        if offset is None or not isinstance(entries, list):
            raise _tampered()
        if not entries:
            raise BackupRefused(_("备份文件中没有答案（考生本机的答案都已上传到服务器）。"))
        found = [_number(e.get("t")) if isinstance(e, dict) else None for e in entries]
        # Each entry carries the offset its page had when it was made ("o"); else the file's.
        offsets: list[float] = []
        for e in entries:
            own = _number(e.get("o")) if isinstance(e, dict) else None
            offsets.append(offset if own is None else own)
        times = [t for t in found if t is not None]
        if len(times) != len(found):
            raise BackupRefused(_("备份文件中有答案缺少作答时间，无法核对是否在截止前作答，未导入。"))
        try:
            clean = validate_entries(entries, paper_questions(attempt.session.paper_id))
        except InvalidAnswer as error:
            raise BackupRefused(_("备份文件中的答案与本场试卷不符：%(error)s") % {"error": error.detail}) from None
        held = set(
            LateAnswer.objects.filter(attempt=attempt, source=LateAnswer.BACKUP).values_list("question_id_sent", "seq")
        )
        stored, after_deadline, duplicates = [], 0, 0
        for entry, client_ms, entry_offset in zip(clean, times, offsets, strict=True):
            if not rules.recorded_before_deadline(client_ms, entry_offset, attempt.deadline):
                after_deadline += 1
                continue
            if (entry["question"], entry["seq"]) in held:
                duplicates += 1
                continue
            held.add((entry["question"], entry["seq"]))
            stored.append(LateAnswer(
                attempt=attempt, question_id_sent=entry["question"], value=entry["value"], seq=entry["seq"],
                received_at=now, source=LateAnswer.BACKUP,
                recorded_at=datetime.fromtimestamp((client_ms + entry_offset) / 1000, tz=UTC),
            ))
        LateAnswer.objects.bulk_create(stored)
        counts = {"entries": len(clean), "stored": len(stored), "after_deadline": after_deadline,
                  "duplicates": duplicates}
        attempt_audit(attempt=attempt, action=AuditAction.BACKUP_IMPORT, now=now, actor=actor, details={
            **counts, "clock_offset_ms": offset, "made_at": _number(payload.get("made_at")),
        })
    return counts
