// The primitives the browser needs to check a traceledger history and to sign as a consumer (DESIGN §3):
// strict base64, SHA-256 and Ed25519, DSSE PAE, RFC 9162 inclusion proofs, C2SP signed notes and canonical JSON.
// Plain ES module: the consumer's phone runs exactly what we serve. SHA-256 and Ed25519 come from WebCrypto where
// it passes a known-answer test; older webviews lack WebCrypto Ed25519, and pages on plain http have no
// crypto.subtle at all, so there the vendored pure-JS @noble/ed25519 and @noble/hashes (vendor/VENDORED.md) verify.

export const PAYLOAD_TYPE = "application/vnd.traceledger.event+json;version=1";
export const HASH_SIZE = 32;
const ED25519_TYPE = 0x01;
const NOTE_KEY_ID_SIZE = 4;
const SIGNATURE_SIZE = 64;
export const PUBLIC_KEY_SIZE = 32;
const SIG_PREFIX = "\u2014 "; // em dash, space: a signed note's signature line

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

export function utf8(text) {
  return encoder.encode(text);
}

/** Decode UTF-8 bytes, refusing invalid sequences rather than replacing them. */
export function fromUtf8(bytes) {
  return strictDecoder.decode(bytes);
}

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i += 1) diff |= a[i] ^ b[i];
  return diff === 0;
}

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function b64encode(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard padded base64 in its one canonical form (as every signed format here writes it), else null. */
export function b64decode(text) {
  if (typeof text !== "string" || !BASE64.test(text)) return null;
  const binary = atob(text);
  const bytes = Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
  return b64encode(bytes) === text ? bytes : null;
}

// --- which implementation this browser verifies with --------------------------------------------------------------

function fromHex(text) {
  return Uint8Array.from(text.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

// RFC 8032 §7.1 TEST 1 (the empty message) and FIPS 180-2's SHA-256 of "abc": an implementation is used only if it
// verifies this signature, refuses it altered, and hashes "abc" right. Features are tested, never user agents.
const KNOWN_KEY = fromHex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
const KNOWN_SIGNATURE = fromHex(
  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
);
const ABC_SHA256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

async function hashesRight(sha256) {
  try {
    return hex(await sha256(utf8("abc"))) === ABC_SHA256;
  } catch {
    return false;
  }
}

async function verifiesRight({ importKey, verify }) {
  try {
    const key = await importKey(KNOWN_KEY);
    const altered = KNOWN_SIGNATURE.slice();
    altered[0] ^= 0x01;
    const empty = new Uint8Array(0);
    return (await verify(key, empty, KNOWN_SIGNATURE)) === true && (await verify(key, empty, altered)) === false;
  } catch {
    return false;
  }
}

function webCrypto(subtle) {
  return {
    name: "webcrypto",
    sha256: async (bytes) => new Uint8Array(await subtle.digest("SHA-256", bytes)),
    importKey: (publicKey) => subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]),
    verify: (key, message, signature) => subtle.verify({ name: "Ed25519" }, key, signature, message),
  };
}

/** The vendored fallback, loaded only when needed (an engine too old to parse it simply cannot verify). */
async function noble(webSha256) {
  const [ed, sha2] = await Promise.all([import("./vendor/noble-ed25519/index.js"), import("./vendor/noble-hashes/sha2.js")]);
  ed.hashes.sha512 = sha2.sha512;
  return {
    name: "noble",
    sha256: webSha256 ?? (async (bytes) => sha2.sha256(bytes)),
    importKey: async (publicKey) => {
      ed.Point.fromBytes(publicKey, false); // refuses a key off the curve, as a WebCrypto import would
      return publicKey;
    },
    // Strict RFC 8032 / FIPS 186-5 verification (canonical encodings, no small-order key), as the ledger checks.
    verify: async (key, message, signature) => ed.verify(signature, message, key, { zip215: false }),
  };
}

async function chooseBackend() {
  const subtle = globalThis.crypto?.subtle;
  const web = subtle ? webCrypto(subtle) : null;
  const webHashes = web !== null && (await hashesRight(web.sha256));
  if (webHashes && (await verifiesRight(web))) return web;
  let fallback;
  try {
    fallback = await noble(webHashes ? web.sha256 : null);
  } catch {
    return null; // the vendored files did not load or parse
  }
  return (await hashesRight(fallback.sha256)) && (await verifiesRight(fallback)) ? fallback : null;
}

let chosen = null;

/** The implementation this browser verifies with ({name: "webcrypto" or "noble", ...}), or null: it cannot. */
export function cryptoBackend() {
  chosen ??= chooseBackend();
  return chosen;
}

async function backend() {
  const found = await cryptoBackend();
  if (found === null) throw new Error("this browser has no usable SHA-256 and Ed25519");
  return found;
}

export async function sha256(bytes) {
  return (await backend()).sha256(bytes);
}

/** RFC 9162 §2.1.1: the hash of a leaf, SHA-256(0x00 || entry). */
export async function leafHash(entry) {
  return sha256(concat(Uint8Array.of(0x00), entry));
}

/** RFC 9162 §2.1.1: an interior node, SHA-256(0x01 || left || right). */
export async function nodeHash(left, right) {
  return sha256(concat(Uint8Array.of(0x01), left, right));
}

/**
 * RFC 9162 §2.1.3.2, step by step: whether ``proof`` (leaf-adjacent hash first) proves that ``leaf`` sits at
 * ``index`` in the tree of ``size`` leaves whose root is ``root``. Malformed input is simply not a proof.
 */
export async function verifyInclusion(leaf, index, size, proof, root) {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  if (!Array.isArray(proof) || leaf.length !== HASH_SIZE || root.length !== HASH_SIZE) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (!(p instanceof Uint8Array) || p.length !== HASH_SIZE) return false;
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(r, root);
}

/** DSSE pre-authentication encoding: "DSSEv1" SP len(type) SP type SP len(body) SP body (byte lengths). */
export function pae(payloadType, body) {
  const type = utf8(payloadType);
  return concat(utf8(`DSSEv1 ${type.length} `), type, utf8(` ${body.length} `), body);
}

/** A key id of DESIGN §3: lowercase hex of the first 16 bytes of SHA-256(raw public key). */
export async function kidOf(publicKey) {
  return hex((await sha256(publicKey)).subarray(0, 16));
}

/** A raw 32-byte Ed25519 public key as a verifying key (import once, verify many), or null. */
export async function importEd25519(publicKey) {
  if (publicKey.length !== PUBLIC_KEY_SIZE) return null;
  const { importKey } = await backend();
  try {
    return await importKey(publicKey);
  } catch {
    return null; // not a point on the curve: no signature by it verifies
  }
}

/** Whether ``signature`` is a valid Ed25519 signature of ``message`` by ``key`` (from ``importEd25519``). */
export async function verifyEd25519(key, message, signature) {
  if (key === null || signature.length !== SIGNATURE_SIZE) return false;
  const { verify } = await backend();
  try {
    return (await verify(key, message, signature)) === true;
  } catch {
    return false;
  }
}

/** C2SP signed-note key id: SHA-256(name || 0x0A || type || public key)[:4]. */
export async function noteKeyId(name, type, publicKey) {
  return (await sha256(concat(utf8(name), Uint8Array.of(0x0a, type), publicKey))).subarray(0, NOTE_KEY_ID_SIZE);
}

function validKeyName(name) {
  return name.length > 0 && !name.includes("+") && !/\s/u.test(name) && !/[\u0000-\u001f]/u.test(name);
}

/**
 * Parse a C2SP verifier key ``<name>+<hex key id>+<base64(0x01 || public key)>``; throws on anything else.
 * Returns {name, keyId, publicKey (raw bytes), verifyingKey (imported, or null off the curve)}.
 */
export async function parseVkey(vkey) {
  const parts = typeof vkey === "string" ? vkey.split("+") : [];
  if (parts.length < 3) throw new Error("a vkey is <name>+<hex key id>+<base64 key>");
  const [name, idHex] = parts;
  const raw = b64decode(parts.slice(2).join("+"));
  if (!validKeyName(name) || !/^[0-9a-f]{8}$/i.test(idHex)) throw new Error("the vkey's name or key id is malformed");
  if (raw === null || raw.length !== 1 + PUBLIC_KEY_SIZE || raw[0] !== ED25519_TYPE) {
    throw new Error("the vkey does not hold an Ed25519 public key");
  }
  const publicKey = raw.subarray(1);
  const keyId = await noteKeyId(name, ED25519_TYPE, publicKey);
  if (hex(keyId) !== idHex.toLowerCase()) throw new Error("the vkey's key id does not match its name and key");
  return { name, keyId, publicKey, verifyingKey: await importEd25519(publicKey) };
}

/** Split a C2SP signed note into its text and signature lines (syntax only; throws when malformed). */
export function parseNote(note) {
  if (typeof note !== "string" || !note.endsWith("\n")) throw new Error("a note ends with a newline");
  if (/[\u0000-\u0009\u000b-\u001f]/u.test(note)) throw new Error("a note holds no control characters");
  const split = note.lastIndexOf("\n\n");
  if (split < 0) throw new Error("a note has a blank line before its signatures");
  const text = note.slice(0, split + 1);
  const block = note.slice(split + 2);
  if (!block) throw new Error("a note has at least one signature line");
  const signatures = block
    .slice(0, -1)
    .split("\n")
    .map((line) => {
      if (!line.startsWith(SIG_PREFIX)) throw new Error("a signature line starts with an em dash and a space");
      const parts = line.slice(SIG_PREFIX.length).split(" ");
      const raw = parts.length === 2 ? b64decode(parts[1]) : null;
      if (raw === null || !validKeyName(parts[0]) || raw.length <= NOTE_KEY_ID_SIZE) {
        throw new Error("a signature line is '\u2014 <key name> <base64 key id and signature>'");
      }
      return { name: parts[0], keyId: raw.subarray(0, NOTE_KEY_ID_SIZE), signature: raw.subarray(NOTE_KEY_ID_SIZE) };
    });
  return { text, signatures };
}

/**
 * Verify a signed note under one trusted key (from ``parseVkey``) and return its text. Lines by other keys
 * (witness cosignatures) are ignored, as C2SP signed-note requires; every line by the trusted key must verify.
 */
export async function openNote(note, verifier) {
  const parsed = parseNote(note);
  const message = utf8(parsed.text);
  let signed = false;
  for (const line of parsed.signatures) {
    if (line.name !== verifier.name || !equalBytes(line.keyId, verifier.keyId)) continue;
    if (!(await verifyEd25519(verifier.verifyingKey, message, line.signature))) {
      throw new Error("the log's signature on the note does not verify");
    }
    signed = true;
  }
  if (!signed) throw new Error("the note carries no signature by the log's key");
  return parsed.text;
}

/** The body of a C2SP tlog-checkpoint: origin, decimal tree size, base64 root hash (extension lines allowed). */
export function parseCheckpoint(text) {
  const lines = text.split("\n");
  if (lines.length < 4 || lines.at(-1) !== "") throw new Error("a checkpoint has an origin, a size and a root");
  const [origin, sizeText, rootText] = lines;
  const root = b64decode(rootText);
  if (!origin || !/^(0|[1-9][0-9]{0,15})$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    throw new Error("the checkpoint's origin or tree size is malformed");
  }
  if (root === null || root.length !== HASH_SIZE) throw new Error("the checkpoint's root is not a SHA-256 hash");
  return { origin, size: Number(sizeText), root };
}

function canonicalValue(value) {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Error("signed documents hold integers within ±(2^53-1) only");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalValue).join(",")}]`;
  if (typeof value === "object") {
    // RFC 8785 orders keys by UTF-16 code units, which is what the default sort compares.
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalValue(value[key])}`).join(",")}}`;
  }
  throw new Error(`${typeof value} is not a JSON value`);
}

/** RFC 8785 (JCS) canonical JSON of a document without floats, as UTF-8 bytes: what the ledger accepts. */
export function canonicalJson(value) {
  return utf8(canonicalValue(value));
}

/** Now as a signed event's time: RFC 3339 UTC with Z, whole seconds (the ledger's own format). */
export function rfc3339Now(now = new Date()) {
  return now.toISOString().replace(/\.\d{3}Z$/, "Z");
}
