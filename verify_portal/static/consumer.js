// The consumer's side of the ledger, entirely in the browser: a pseudonymous Ed25519 key made by WebCrypto (the
// private key cannot be exported) and kept in IndexedDB; receipt signatures and reviews built as canonical JSON
// payloads, signed here as DSSE envelopes and posted to the API. A parcel's history is verified against the
// log key pinned in the page before anything is signed. Every text from outside is shown with textContent.

import {
  PAYLOAD_TYPE,
  b64encode,
  canonicalJson,
  concat,
  hex,
  kidOf,
  pae,
  rfc3339Now,
  sha256,
  utf8,
} from "./crypto.js";
import { verifyBundle } from "./history.js";

const DB_NAME = "traceledger-consumer";
const STORE = "keys";
const KEY_RECORD = "consignee";
const REVIEWS_RECORD = "reviews"; // receipt event id -> [review event ids], for the one follow-up review
const SALT_SIZE = 16;
const TEXT_MEDIA_TYPE = "text/plain; charset=utf-8";

const root = document.getElementById("consumer");
const $ = (id) => document.getElementById(id);
const message = (name) => root.dataset[name] ?? "";

// --- IndexedDB: one object store holding the key pair and the reviews written ---------------------------------

function openDatabase() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function stored(name) {
  const db = await openDatabase();
  return new Promise((resolve, reject) => {
    const request = db.transaction(STORE).objectStore(STORE).get(name);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  }).finally(() => db.close());
}

async function store(name, value) {
  const db = await openDatabase();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(STORE, "readwrite");
    transaction.objectStore(STORE).put(value, name);
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error);
  }).finally(() => db.close());
}

// --- the key ---------------------------------------------------------------------------------------------------

let identity = null; // {privateKey, publicKey (raw bytes), encoded (base64), kid}

async function loadIdentity(pair) {
  const publicKey = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  return { privateKey: pair.privateKey, publicKey, encoded: b64encode(publicKey), kid: await kidOf(publicKey) };
}

function showIdentity() {
  $("key-none").hidden = true;
  $("create-key").hidden = true; // one key per phone: a second would orphan the parcels sent to the first
  $("public-key").textContent = identity.encoded;
  $("key-id").textContent = identity.kid;
  $("public-key-qr").src = `/consumer/key.svg?key=${encodeURIComponent(identity.encoded)}`;
  $("key-details").hidden = false;
}

async function createKey() {
  try {
    const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
    await store(KEY_RECORD, pair);
    identity = await loadIdentity(pair);
    showIdentity();
    say($("key-none"), "ok", message("msgKeyCreated"));
  } catch {
    say($("key-none"), "error", message("msgNoWebcrypto"));
  }
}

// --- signing and posting events -------------------------------------------------------------------------------

function say(element, state, ...parts) {
  element.dataset.state = state;
  element.textContent = parts.filter(Boolean).join(" ");
  element.hidden = false;
}

async function signEvent(payload) {
  const body = canonicalJson(payload);
  const sig = new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, identity.privateKey, pae(PAYLOAD_TYPE, body)));
  return { payload: b64encode(body), payloadType: PAYLOAD_TYPE, signatures: [{ keyid: identity.kid, sig: b64encode(sig) }] };
}

function payloadOf(kind, subject, parent, data, attachments = []) {
  return { kind, subject, actor: identity.kid, time: rfc3339Now(), parents: [parent], data, attachments };
}

/** POST one envelope; resolves to {ok, status, eventId} or {ok: false, title, detail} from problem+json. */
async function post(url, init) {
  let response;
  try {
    response = await fetch(url, init);
  } catch {
    return { ok: false, title: message("msgNetwork"), detail: "" };
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (response.ok) return { ok: true, status: response.status, body };
  return { ok: false, status: response.status, title: body?.title ?? `HTTP ${response.status}`, detail: body?.detail ?? "" };
}

async function submit(envelope) {
  const result = await post("/v1/events", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(envelope),
  });
  if (result.ok) result.eventId = result.body?.entries?.[0]?.event_id;
  return result;
}

function showOutcome(element, result, okText) {
  if (result.ok) {
    say(element, "ok", result.status === 201 ? okText : message("msgAlreadyLogged"));
    element.dataset.eventId = result.eventId ?? "";
  } else {
    say(element, "error", message("msgRejected"), result.title, result.detail ? `— ${result.detail}` : "");
    element.dataset.problemTitle = result.title;
    element.dataset.problemDetail = result.detail;
  }
}

// --- the parcel -------------------------------------------------------------------------------------------------

let parcel = null; // {path, head, contents: [subject paths], receipt (our signature event id or null)}

/** A parcel code as typed or scanned: an SSCC, "(00)<sscc>", "00/<sscc>" or a link to the parcel's page. */
function parcelPath(code) {
  let text = code.trim();
  try {
    text = decodeURIComponent(new URL(text).pathname);
  } catch {
    // not a URL: a code typed by hand
  }
  text = text.replace(/^\/+/, "").replace(/\s+/g, "");
  if (/^\d{18}$/.test(text)) return `00/${text}`;
  if (/^\(00\)\d{18}$/.test(text)) return `00/${text.slice(4)}`;
  return text;
}

function verifiedEntries(bundle, result, path) {
  return bundle.entries
    .filter((entry) => entry.subject === path)
    .map((entry) => ({ index: entry.index, eventId: entry.event_id, ...result.entries.get(entry.event_id) }))
    .sort((a, b) => a.index - b.index);
}

async function loadParcel(code) {
  const status = $("parcel-status");
  $("parcel-details").hidden = true;
  $("review-section").hidden = true;
  parcel = null;
  if (identity === null) return say(status, "error", message("msgNoKey"));
  const path = parcelPath(code);
  say(status, "loading", message("msgLoading"));
  let response;
  try {
    const segments = path.split("/").map(encodeURIComponent).join("/");
    response = await fetch(`/v1/subjects/${segments}`, { headers: { Accept: "application/json" } });
  } catch {
    return say(status, "error", message("msgNetwork"));
  }
  if (!response.ok) {
    const problem = await response.json().catch(() => null);
    return say(status, "error", response.status === 404 ? message("msgNotFound") : problem?.title, problem?.detail);
  }
  const bundle = await response.json().catch(() => null); // not JSON: it verifies as nothing
  const vkey = document.querySelector('meta[name="traceledger-log-vkey"]').content;
  const origin = document.querySelector('meta[name="traceledger-origin"]').content;
  const result = await verifyBundle(bundle, { vkey, origin });
  if (!result.ok) return say(status, "error", message("msgNotVerified"));
  const entries = verifiedEntries(bundle, result, bundle.subject);
  const dispatch = entries.find((e) => e.payload.kind === "shipment" && e.payload.data.type === "dispatch");
  if (!dispatch || dispatch.payload.data.consignee_key !== identity.encoded) {
    return say(status, "error", message("msgNotYours"));
  }
  const custody = entries.filter((e) => e.payload.kind === "shipment" || e.payload.kind === "signature");
  const receipt = entries.find(
    (e) => e.payload.kind === "signature" && e.payload.actor === identity.kid && e.payload.data.condition !== "refused",
  );
  const contents = [];
  for (const line of dispatch.payload.data.contents) {
    contents.push(line.batch);
    for (const serial of line.serials ?? []) contents.push(`${line.batch}/21/${serial}`);
  }
  parcel = { path: bundle.subject, head: custody.at(-1).eventId, contents, receipt: receipt?.eventId ?? null };
  showParcel();
  say(status, "ready", message("msgParcelReady"));
}

function showParcel() {
  const list = $("parcel-contents");
  list.replaceChildren(
    ...parcel.contents.map((path) => {
      const item = document.createElement("li");
      item.textContent = path;
      return item;
    }),
  );
  $("parcel-details").hidden = false;
  if (parcel.receipt === null) return;
  const select = $("review-subject");
  const wanted = root.dataset.subject;
  select.replaceChildren(
    ...parcel.contents.map((path) => {
      const option = document.createElement("option");
      option.value = path;
      option.textContent = path;
      option.selected = path === wanted;
      return option;
    }),
  );
  $("review-section").hidden = false;
}

async function signReceipt(condition) {
  if (parcel === null) return;
  const result = await submit(await signEvent(payloadOf("signature", parcel.path, parcel.head, { condition })));
  if (result.ok) await loadParcel(parcel.path); // the new custody head, and the receipt a review follows
  showOutcome($("receipt-result"), result, message("msgSigned"));
}

// --- the review -----------------------------------------------------------------------------------------------

/** Salt || UTF-8 text, and the reference the payload commits to (DESIGN §3 attachments). */
async function sealText(text) {
  const content = utf8(text);
  const stored = concat(crypto.getRandomValues(new Uint8Array(SALT_SIZE)), content);
  const digest = `sha256:${hex(await sha256(stored))}`;
  return { stored, ref: { digest, media_type: TEXT_MEDIA_TYPE, size: content.length } };
}

async function submitReview(subject, rating, text) {
  const out = $("review-result");
  if (parcel === null || parcel.receipt === null) return say(out, "error", message("msgNoReceipt"));
  const reviews = (await stored(REVIEWS_RECORD)) ?? {};
  const earlier = reviews[parcel.receipt] ?? [];
  const parent = earlier.length > 0 ? earlier[0] : parcel.receipt; // the one follow-up follows the first review
  const sealed = text ? await sealText(text) : null;
  const attachments = sealed ? [sealed.ref] : [];
  const envelope = await signEvent(payloadOf("review", subject, parent, { rating }, attachments));
  const result = await submit(envelope);
  showOutcome(out, result, message("msgReviewed"));
  if (!result.ok) return;
  reviews[parcel.receipt] = [...earlier, result.eventId];
  await store(REVIEWS_RECORD, reviews);
  if (sealed) {
    const upload = await post(`/v1/attachments/${sealed.ref.digest}`, {
      method: "PUT",
      headers: { "Content-Type": "application/octet-stream" },
      body: sealed.stored,
    });
    out.dataset.attachment = upload.ok ? "stored" : "failed";
    if (!upload.ok) say(out, "error", message("msgTextFailed"), upload.title, upload.detail);
  }
  $("review-shown-rating").textContent = "★".repeat(rating) + "☆".repeat(5 - rating);
  $("review-shown-text").textContent = text;
  $("review-shown").hidden = false;
}

// --- wiring -----------------------------------------------------------------------------------------------------

async function start() {
  $("create-key").addEventListener("click", createKey);
  $("parcel-form").addEventListener("submit", (event) => {
    event.preventDefault();
    loadParcel($("parcel-code").value);
  });
  $("receipt-form").addEventListener("submit", (event) => {
    event.preventDefault();
    signReceipt(new FormData(event.target).get("condition"));
  });
  $("review-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    submitReview(String(form.get("subject")), Number(form.get("rating")), String(form.get("text") ?? "").trim());
  });
  const pair = await stored(KEY_RECORD).catch(() => undefined);
  if (pair) {
    identity = await loadIdentity(pair);
    showIdentity();
  }
  root.dataset.ready = "true";
}

if (root !== null) start();
