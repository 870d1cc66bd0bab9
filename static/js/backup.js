// Emergency answer backup: when answers cannot reach the server (offline at the deadline, or for
// minutes), the page encrypts what its journal still holds to the batch's public key and offers
// it as a file ("下载作答备份") for the candidate to hand to the organizers. Only the server holds
// the private key (exams/services/backups.py describes the format and how it is checked).
//
//   RSA-OAEP (SHA-256) wraps a fresh AES-256-GCM key; GCM's additional data binds the file to its
//   attempt and key, so a changed byte or a file moved to another attempt is refused on import.

export const FORMAT = "exam-backup/1";

function toBase64(bytes) {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let text = "";
  for (let i = 0; i < view.length; i += 0x8000) text += String.fromCharCode(...view.subarray(i, i + 0x8000));
  return btoa(text);
}

function fromBase64(text) {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i += 1) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

export function canEncrypt() {
  return Boolean(window.crypto && window.crypto.subtle && window.isSecureContext !== false);
}

// key: {keyId, spki (base64 DER)}; payload: the plain backup (attempt, entries with client times...).
export async function encryptBackup({ attemptId, key, payload }) {
  const subtle = window.crypto.subtle;
  const publicKey = await subtle.importKey(
    "spki", fromBase64(key.spki), { name: "RSA-OAEP", hash: "SHA-256" }, false, ["encrypt"],
  );
  const aesKey = await subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt"]);
  const rawKey = await subtle.exportKey("raw", aesKey);
  const wrapped = await subtle.encrypt({ name: "RSA-OAEP" }, publicKey, rawKey);
  const iv = window.crypto.getRandomValues(new Uint8Array(12));
  const additionalData = new TextEncoder().encode(`${FORMAT}:${attemptId}:${key.keyId}`);
  const plain = new TextEncoder().encode(JSON.stringify(payload));
  const ciphertext = await subtle.encrypt({ name: "AES-GCM", iv, additionalData }, aesKey, plain);
  return {
    format: FORMAT,
    key_id: key.keyId,
    attempt: attemptId,
    wrapped_key: toBase64(wrapped),
    iv: toBase64(iv),
    ciphertext: toBase64(ciphertext),
  };
}

function stamp(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
}

// The journal's unsent entries as a downloaded, encrypted file; resolves to its file name.
// entries: [{question, value, seq, t (client ms), o (clock offset ms when recorded)}].
export async function downloadBackup({ attemptId, key, entries, clockOffsetMs, deadline }) {
  const payload = {
    attempt: attemptId,
    made_at: Date.now(),
    clock_offset_ms: Number.isFinite(clockOffsetMs) ? clockOffsetMs : 0,
    deadline: deadline || null,
    entries,
  };
  const file = await encryptBackup({ attemptId, key, payload });
  const name = `作答备份-${attemptId}-${stamp(new Date())}.json`;
  const url = URL.createObjectURL(new Blob([JSON.stringify(file)], { type: "application/json" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
  return name;
}

// Wire a backup offer (a box with a button and a status line) to a journal.
export class BackupOffer {
  constructor({ box, text, button, status, strings, attemptId, key, journal, clockOffset, deadline }) {
    Object.assign(this, { box, text, button, status, S: strings, attemptId, key, journal, clockOffset, deadline });
    this.button.addEventListener("click", () => this.download());
  }

  get available() {
    return Boolean(this.key && this.key.spki) && this.journal.size > 0;
  }

  show(message) {
    if (!this.available) return false;
    this.text.textContent = message;
    this.box.hidden = false;
    return true;
  }

  hide() {
    this.box.hidden = true;
  }

  async download() {
    if (!canEncrypt()) {
      this.status.textContent = this.S["backup.failed"];
      return;
    }
    this.button.disabled = true;
    try {
      const name = await downloadBackup({
        attemptId: this.attemptId,
        key: this.key,
        entries: this.journal.pending(),
        clockOffsetMs: this.clockOffset(),
        deadline: this.deadline(),
      });
      this.status.textContent = (this.S["backup.saved"] || "").replace("{name}", name);
    } catch (error) {
      console.warn("backup failed", error);
      this.status.textContent = this.S["backup.failed"];
    } finally {
      this.button.disabled = false;
    }
  }
}
