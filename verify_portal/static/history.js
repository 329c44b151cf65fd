// Verifying a history bundle (GET /v1/subjects/<path>) in the browser, DESIGN §2 "The scan path".
//
// The checkpoint must be signed by the log key pinned in the page. Every entry's exact bytes are hashed and proved
// into that checkpoint, the envelope is read out of those same bytes (JSON is never re-encoded), the event id is
// the SHA-256 of the payload bytes, and every signature must verify under a key that the log itself published:
// the operator key of genesis (the pinned key), the registrars genesis names, the keys registered by verified
// registrations (actor.register, actor.keys) and the consignee keys declared by verified dispatches. The ledger
// already enforced the domain rules; the browser checks that nothing it shows was altered or signed by a stranger.

import {
  PAYLOAD_TYPE,
  PUBLIC_KEY_SIZE,
  b64decode,
  equalBytes,
  fromUtf8,
  hex,
  importEd25519,
  kidOf,
  leafHash,
  openNote,
  pae,
  parseCheckpoint,
  parseVkey,
  sha256,
  verifyEd25519,
  verifyInclusion,
} from "./crypto.js";

/** Why an entry or the checkpoint failed: a stable code that the page translates. */
export class Failure extends Error {
  constructor(code, detail) {
    super(detail);
    this.code = code;
  }
}

function fail(code, detail) {
  throw new Failure(code, detail);
}

/** Verify the checkpoint note under the pinned vkey and origin; returns {origin, size, root}. */
export async function verifyCheckpoint(note, vkey, origin) {
  let verifier;
  try {
    verifier = await parseVkey(vkey);
  } catch (error) {
    fail("pinned-key", error.message);
  }
  let text;
  try {
    text = await openNote(note, verifier);
  } catch (error) {
    fail("checkpoint-signature", error.message);
  }
  let checkpoint;
  try {
    checkpoint = parseCheckpoint(text);
  } catch (error) {
    fail("checkpoint-format", error.message);
  }
  if (checkpoint.origin !== origin) {
    fail("checkpoint-origin", `the checkpoint is for ${checkpoint.origin}, not ${origin}`);
  }
  return { ...checkpoint, verifier };
}

/** Read the envelope out of the entry's exact bytes (only after they were proved to be in the log). */
function decodeEntry(bytes) {
  let entry;
  try {
    entry = JSON.parse(fromUtf8(bytes));
  } catch {
    fail("format", "the entry is not UTF-8 JSON");
  }
  const envelope = entry?.envelope;
  const payloadBytes = b64decode(envelope?.payload);
  if (typeof entry?.logged_at !== "string" || typeof envelope?.payloadType !== "string" || payloadBytes === null) {
    fail("format", "the entry holds no DSSE envelope");
  }
  if (!Array.isArray(envelope.signatures) || envelope.signatures.length === 0) fail("format", "no signatures");
  let payload;
  try {
    payload = JSON.parse(fromUtf8(payloadBytes));
  } catch {
    fail("format", "the payload is not UTF-8 JSON");
  }
  if (typeof payload !== "object" || payload === null || typeof payload.data !== "object" || payload.data === null) {
    fail("format", "the payload is not an event");
  }
  return { loggedAt: entry.logged_at, envelope, payloadBytes, payload };
}

/** Who holds a consignee key declared at dispatch: a pseudonymous consumer, not a registered actor. */
export const CONSUMER = "consumer";
const ACTOR_PREFIX = "actor/";

/**
 * The keys of the log's own key registry, built from verified entries in log order, with who holds each key and
 * each actor's latest verified registration (what the page's names and licences must match).
 */
class KeyRing {
  constructor() {
    this.keys = new Map(); // kid -> {publicKey, validUntil, revokedAt, holder, verifying: its import, once used}
    this.registrations = new Map(); // actor id -> the payload of its latest verified registration
  }

  async add(encoded, validUntil = null, holder = null) {
    const publicKey = b64decode(encoded);
    if (publicKey === null || publicKey.length !== PUBLIC_KEY_SIZE) return;
    const kid = await kidOf(publicKey);
    if (!this.keys.has(kid)) {
      this.keys.set(kid, { publicKey, validUntil: validUntil ?? null, revokedAt: null, holder, verifying: null });
    }
  }

  revoke(kid, at) {
    const key = this.keys.get(kid);
    if (key && key.revokedAt === null) key.revokedAt = at;
  }

  /** The verifying key of ``kid`` (a promise, imported once per key) usable at ``loggedAt``, or a Failure. */
  usable(kid, loggedAt) {
    const key = this.keys.get(kid);
    if (!key) fail("unknown-key", `key ${kid} was not published by the log before this entry`);
    const moment = Date.parse(loggedAt);
    if (key.revokedAt !== null && Date.parse(key.revokedAt) <= moment) fail("key-revoked", `key ${kid} was revoked`);
    if (key.validUntil !== null && !(Date.parse(key.validUntil) > moment)) fail("key-expired", `key ${kid} expired`);
    key.verifying ??= importEd25519(key.publicKey);
    return key.verifying;
  }

  /** The actor id holding ``kid``, CONSUMER for a consignee key, or undefined for a key the log never published. */
  holderOf(kid) {
    return this.keys.get(kid)?.holder ?? undefined;
  }

  /** The latest verified registration of an actor: an actor.register payload, or genesis's record of a registrar
   * as ``{data: {id, name, keys}}``; undefined when the bundle verified none. */
  registrationOf(actorId) {
    return this.registrations.get(actorId);
  }

  /** Record the keys a verified entry publishes (DESIGN §4: genesis, registrations, key events, dispatches). */
  async learn(payload, loggedAt) {
    const data = payload.data;
    const grants = (list) => (Array.isArray(list) ? list : []);
    const actor = typeof payload.subject === "string" && payload.subject.startsWith(ACTOR_PREFIX)
      ? payload.subject.slice(ACTOR_PREFIX.length)
      : null;
    if (payload.kind === "genesis") {
      await this.add(data.operator_key);
      for (const registrar of grants(data.registrars)) {
        for (const key of grants(registrar.keys)) await this.add(key, null, String(registrar.id));
        if (!this.registrations.has(String(registrar.id))) this.registrations.set(String(registrar.id), { data: registrar });
      }
    } else if (payload.kind === "actor.register" && actor !== null) {
      for (const grant of grants(data.keys)) await this.add(grant.public_key, grant.valid_until, actor);
      this.registrations.set(actor, payload);
    } else if (payload.kind === "actor.keys" && actor !== null) {
      for (const grant of grants(data.add)) await this.add(grant.public_key, grant.valid_until, actor);
      for (const kid of grants(data.revoke)) this.revoke(kid, loggedAt);
    } else if (payload.kind === "shipment" && typeof data.consignee_key === "string") {
      await this.add(data.consignee_key, null, CONSUMER);
    }
  }
}

function checkGenesis(decoded, logged, checkpoint) {
  const { payload } = decoded;
  if (logged.index !== 0 || payload.kind !== "genesis") fail("genesis", "genesis is entry 0 and only entry 0");
  const operator = b64decode(payload.data.operator_key);
  const pinned = checkpoint.verifier;
  if (operator === null || !equalBytes(operator, pinned.publicKey) || payload.data.origin !== checkpoint.origin) {
    fail("genesis", "genesis does not name the pinned log key");
  }
}

async function verifyEntry(logged, checkpoint, ring) {
  const bytes = b64decode(logged.entry);
  if (bytes === null) fail("format", "the entry is not base64");
  const proof = logged.inclusion_proof?.proof;
  if (logged.inclusion_proof?.tree_size !== checkpoint.size || !Array.isArray(proof)) {
    fail("inclusion", "the proof is not for the checkpoint's tree");
  }
  const hashes = proof.map(b64decode);
  if (hashes.includes(null)) fail("inclusion", "a proof hash is not base64");
  const leaf = await leafHash(bytes);
  if (!(await verifyInclusion(leaf, logged.index, checkpoint.size, hashes, checkpoint.root))) {
    fail("inclusion", "the entry is not in the checkpoint's tree");
  }
  const decoded = decodeEntry(bytes);
  const { payload, envelope, payloadBytes, loggedAt } = decoded;
  if (hex(await sha256(payloadBytes)) !== logged.event_id) fail("event-id", "the event id is not the payload's hash");
  if (payload.kind !== logged.kind || payload.subject !== logged.subject || loggedAt !== logged.logged_at) {
    fail("mismatch", "the listed kind, subject or time differs from the signed entry");
  }
  if (envelope.payloadType !== PAYLOAD_TYPE) fail("format", "the envelope does not hold a traceledger event");
  if (logged.index === 0 || payload.kind === "genesis") {
    checkGenesis(decoded, logged, checkpoint);
    await ring.add(payload.data.operator_key); // the pinned log key signs genesis
  }
  const message = pae(envelope.payloadType, payloadBytes);
  const kids = new Set();
  for (const signature of envelope.signatures) {
    const key = await ring.usable(String(signature?.keyid), loggedAt);
    const sig = b64decode(signature.sig);
    if (sig === null || !(await verifyEd25519(key, message, sig))) {
      fail("signature", `the signature by key ${signature.keyid} does not verify`);
    }
    kids.add(signature.keyid);
  }
  if (!kids.has(payload.actor)) fail("signature", "the event's actor did not sign it");
  await ring.learn(payload, loggedAt);
  return decoded;
}

/**
 * Verify a whole bundle. Returns {checkpoint: {ok, code, detail}, entries: Map(event id -> {ok, code, detail,
 * payload}), registry: who holds which key and each actor's verified registration, ok}. Entries are checked in
 * log order, so a key is trusted only once the entry publishing it is.
 */
export async function verifyBundle(bundle, { vkey, origin }) {
  const ring = new KeyRing();
  const result = { checkpoint: { ok: false }, entries: new Map(), registry: ring, ok: false };
  let checkpoint = null;
  try {
    checkpoint = await verifyCheckpoint(String(bundle?.checkpoint), vkey, origin);
    result.checkpoint = { ok: true, size: checkpoint.size, origin: checkpoint.origin };
  } catch (error) {
    result.checkpoint = { ok: false, code: error.code ?? "checkpoint-format", detail: error.message };
  }
  const all = [...(bundle?.registrations ?? []), ...(bundle?.entries ?? [])];
  all.sort((a, b) => a.index - b.index);
  for (const logged of all) {
    let outcome;
    try {
      if (checkpoint === null) fail("checkpoint", "the checkpoint is not signed by the log");
      const decoded = await verifyEntry(logged, checkpoint, ring);
      outcome = { ok: true, payload: decoded.payload, loggedAt: decoded.loggedAt };
    } catch (error) {
      outcome = { ok: false, code: error.code ?? "format", detail: error.message };
    }
    const id = String(logged?.event_id);
    const earlier = result.entries.get(id);
    result.entries.set(id, earlier && !earlier.ok ? earlier : { ...outcome, index: logged?.index });
  }
  const entriesOk = (bundle?.entries ?? []).length > 0 && [...result.entries.values()].every((entry) => entry.ok);
  result.ok = result.checkpoint.ok && entriesOk;
  return result;
}
