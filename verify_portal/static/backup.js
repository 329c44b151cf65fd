// The receipt key's backup. The private key in IndexedDB is a non-extractable CryptoKey, so nothing on the page can
// read it; when it is made, its PKCS#8 bytes are also kept sealed (AES-GCM) under a second non-extractable key, so
// that the consumer can export a backup file encrypted with a passphrase of their own (PBKDF2-SHA-256, AES-GCM) and
// restore it on another phone, or after clearing the browser. The backup file never holds the key in clear.

import { b64encode } from "./crypto.js";

const FORMAT = "traceledger-consumer-key-backup/1";
const ITERATIONS = 600000;
const MIN_PASSPHRASE = 8;
export const BACKUP_RECORD = "backup"; // {wrap: AES-GCM CryptoKey, iv, sealed: the PKCS#8 bytes encrypted}

const ED25519 = { name: "Ed25519" };

function b64decode(text) {
  return Uint8Array.from(atob(String(text)), (c) => c.charCodeAt(0));
}

function b64url(bytes) {
  return b64encode(bytes).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

async function sealLocally(pkcs8) {
  const wrap = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, wrap, pkcs8));
  return { wrap, iv, sealed };
}

/** The key pair to keep (private key non-extractable) and its sealed backup record, from PKCS#8 bytes. */
async function keep(pkcs8, publicRaw) {
  const privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, ED25519, false, ["sign"]);
  const publicKey = await crypto.subtle.importKey("raw", publicRaw, ED25519, true, ["verify"]);
  return { pair: { privateKey, publicKey }, backup: await sealLocally(pkcs8) };
}

/** A new Ed25519 key pair and its sealed backup record. */
export async function newKey() {
  const made = await crypto.subtle.generateKey(ED25519, true, ["sign", "verify"]);
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", made.privateKey));
  const publicRaw = new Uint8Array(await crypto.subtle.exportKey("raw", made.publicKey));
  return keep(pkcs8, publicRaw);
}

async function passphraseKey(passphrase, salt, usage) {
  const material = await crypto.subtle.importKey("raw", new TextEncoder().encode(passphrase), "PBKDF2", false, [
    "deriveKey",
  ]);
  return crypto.subtle.deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations: ITERATIONS },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    [usage],
  );
}

export class BackupError extends Error {
  constructor(code) {
    super(code);
    this.code = code; // short | unavailable | wrong | format
  }
}

/** The backup file's text for ``identity``, encrypted with ``passphrase``; ``extra`` rides along (reviews). */
export async function exportBackup(record, identity, passphrase, extra) {
  if (passphrase.length < MIN_PASSPHRASE) throw new BackupError("short");
  if (!record?.wrap) throw new BackupError("unavailable");
  const pkcs8 = new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv: record.iv }, record.wrap, record.sealed));
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const key = await passphraseKey(passphrase, salt, "encrypt");
  const ciphertext = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, pkcs8));
  const document = {
    format: FORMAT,
    kid: identity.kid,
    public_key: identity.encoded,
    kdf: { name: "PBKDF2", hash: "SHA-256", iterations: ITERATIONS, salt: b64encode(salt) },
    cipher: { name: "AES-GCM", iv: b64encode(iv) },
    ciphertext: b64encode(ciphertext),
    extra,
  };
  return JSON.stringify(document, null, 2);
}

/** The key pair, its new sealed backup record and the extras, from a backup file's text and its passphrase. */
export async function importBackup(text, passphrase) {
  let document;
  try {
    document = JSON.parse(text);
  } catch {
    throw new BackupError("format");
  }
  if (document?.format !== FORMAT || document?.kdf?.name !== "PBKDF2") throw new BackupError("format");
  let pkcs8;
  try {
    const key = await passphraseKey(passphrase, b64decode(document.kdf.salt), "decrypt");
    const iv = b64decode(document.cipher.iv);
    pkcs8 = new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv }, key, b64decode(document.ciphertext)));
  } catch {
    throw new BackupError("wrong");
  }
  const publicRaw = b64decode(document.public_key);
  // the private key must be the public key's own: its JWK form names the public half
  const check = await crypto.subtle.importKey("pkcs8", pkcs8, ED25519, true, ["sign"]).catch(() => null);
  const jwk = check ? await crypto.subtle.exportKey("jwk", check) : null;
  if (jwk?.x !== b64url(publicRaw)) throw new BackupError("format");
  return { ...(await keep(pkcs8, publicRaw)), extra: document.extra ?? {} };
}

/** Offer ``text`` as a file download named ``name``. */
export function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
