"""Emergency backup files made the way the exam page makes them (static/js/backup.js)."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT = "exam-backup/1"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def make_backup(*, attempt_id: int, key_id: str, spki: str, entries: list[dict[str, Any]],
                clock_offset_ms: float = 0, made_at: float = 0) -> dict[str, Any]:
    public = serialization.load_der_public_key(base64.b64decode(spki))
    assert isinstance(public, rsa.RSAPublicKey)
    aes_key = AESGCM.generate_key(bit_length=256)
    wrapped = public.encrypt(
        aes_key, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    )
    iv = os.urandom(12)
    payload = {"attempt": attempt_id, "made_at": made_at, "clock_offset_ms": clock_offset_ms,
               "deadline": None, "entries": entries}
    ciphertext = AESGCM(aes_key).encrypt(
        iv, json.dumps(payload).encode(), f"{FORMAT}:{attempt_id}:{key_id}".encode()
    )
    return {"format": FORMAT, "key_id": key_id, "attempt": attempt_id, "wrapped_key": b64(wrapped),
            "iv": b64(iv), "ciphertext": b64(ciphertext)}


def as_bytes(backup: dict[str, Any]) -> bytes:
    return json.dumps(backup).encode()
