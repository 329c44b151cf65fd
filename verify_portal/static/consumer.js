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
import { BACKUP_RECORD, BackupError, download, exportBackup, importBackup, newKey } from "./backup.js";
import { showProblem } from "./problems.js";
import { scanCamera, scanPhoto } from "./scan.js";

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
  $("share-key").hidden = typeof navigator.share !== "function";
  $("export-key").hidden = false;
  $("import-key-form").hidden = true; // restoring another key would orphan this one's parcels too
}

async function keepKey(made) {
  await store(KEY_RECORD, made.pair);
  await store(BACKUP_RECORD, made.backup);
  identity = await loadIdentity(made.pair);
}

async function createKey() {
  try {
    await keepKey(await newKey());
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
    return { ok: false, network: true, title: message("msgNetwork"), detail: "" };
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (response.ok) return { ok: true, status: response.status, body };
  return {
    ok: false,
    status: response.status,
    type: body?.type ?? "",
    title: body?.title ?? `HTTP ${response.status}`,
    detail: body?.detail ?? "",
  };
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
    showFailure(element, result);
    element.dataset.problemTitle = result.title;
    element.dataset.problemDetail = result.detail;
  }
}

/** A failed request as one translated line (the server's words folded away), or the network's failure. */
function showFailure(element, result) {
  if (result.network) return say(element, "error", message("msgNetwork"));
  showProblem(element, result, message("msgTechnical"));
}

// --- the parcel -------------------------------------------------------------------------------------------------

let parcel = null; // {path, head, contents: [subject paths], receipt (our signature event id or null)}

// 快递单号 prefixes that name their carrier (the rest need the carrier chosen on the page)
const CARRIER_PREFIXES = [
  [/^SF\d/i, "sf"],
  [/^JD[A-Z0-9]/i, "jd"],
  [/^YT\d/i, "yto"],
  [/^JT\d/i, "jtexpress"],
];

/** A parcel code as typed or scanned: an SSCC, "(00)<sscc>", "00/<sscc>", a link to the parcel's page, or a
 * courier's waybill number (快递单号), which names the parcel parcel/<carrier>/<waybill>; null when a waybill
 * number's carrier is not known. */
function parcelPath(code, carrier) {
  let text = code.trim();
  try {
    text = decodeURIComponent(new URL(text).pathname);
  } catch {
    // not a URL: a code typed by hand
  }
  text = text.replace(/^\/+/, "").replace(/\s+/g, "");
  if (/^\d{18}$/.test(text)) return `00/${text}`;
  if (/^\(00\)\d{18}$/.test(text)) return `00/${text.slice(4)}`;
  if (text.includes("/")) return text;
  if (!/^[A-Za-z0-9-]{1,40}$/.test(text)) return text; // the server names what is wrong with it
  const known = carrier || CARRIER_PREFIXES.find(([prefix]) => prefix.test(text))?.[1];
  return known ? `parcel/${known}/${text}` : null;
}

/** Each batch's product name, from its own verified history (the code itself where that fails). */
async function productNames(batches, keys) {
  const names = new Map();
  for (const batch of batches) {
    try {
      const segments = batch.split("/").map(encodeURIComponent).join("/");
      const response = await fetch(`/v1/subjects/${segments}`, { headers: { Accept: "application/json" } });
      const bundle = await response.json();
      const result = await verifyBundle(bundle, keys);
      const production = verifiedEntries(bundle, result, batch).find((e) => e.ok && e.payload.kind === "production");
      if (production) names.set(batch, String(production.payload.data.product));
    } catch {
      // shown by its code
    }
  }
  return names;
}

/** A content line as a shopper reads it: the product's name, then "whole batch" or "item <serial>". */
function describe(path) {
  const [batch, serial] = path.split("/21/");
  const name = parcel.names.get(batch) ?? batch;
  return serial ? `${name} · ${message("msgItem")} ${serial}` : `${name} · ${message("msgWholeBatch")}`;
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
  const path = parcelPath(code, $("parcel-carrier").value);
  if (path === null) return say(status, "error", message("msgChooseCarrier"));
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
    if (response.status === 404) return say(status, "error", message("msgNotFound"));
    return showProblem(status, { status: response.status, ...problem }, message("msgTechnical"));
  }
  const bundle = await response.json().catch(() => null); // not JSON: it verifies as nothing
  const keys = logKeys();
  const result = await verifyBundle(bundle, keys);
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
  const contents = []; // what may be reviewed: each batch, and each item by serial
  const shown = []; // what the parcel holds: its items, or the batch where it names none
  for (const line of dispatch.payload.data.contents) {
    contents.push(line.batch);
    const items = (line.serials ?? []).map((serial) => `${line.batch}/21/${serial}`);
    contents.push(...items);
    shown.push(...(items.length > 0 ? items : [line.batch]));
  }
  const names = await productNames([...new Set(dispatch.payload.data.contents.map((line) => line.batch))], keys);
  const receiptId = receipt?.eventId ?? null;
  parcel = { path: bundle.subject, head: custody.at(-1).eventId, contents, shown, names, receipt: receiptId };
  showParcel();
  say(status, "ready", message("msgParcelReady"));
}

function logKeys() {
  const vkey = document.querySelector('meta[name="traceledger-log-vkey"]').content;
  const origin = document.querySelector('meta[name="traceledger-origin"]').content;
  return { vkey, origin };
}

function showParcel() {
  const list = $("parcel-contents");
  list.replaceChildren(
    ...parcel.shown.map((path) => {
      const item = document.createElement("li");
      item.textContent = describe(path);
      item.dataset.subject = path;
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
      option.textContent = describe(path);
      option.selected = path === wanted;
      return option;
    }),
  );
  $("review-section").hidden = false;
  showComplaint();
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

/** Upload a logged event's sealed text (PUT /v1/attachments); ``out`` says whether it was stored. */
async function uploadText(out, sealed, failedText) {
  const upload = await post(`/v1/attachments/${sealed.ref.digest}`, {
    method: "PUT",
    headers: { "Content-Type": "application/octet-stream" },
    body: sealed.stored,
  });
  out.dataset.attachment = upload.ok ? "stored" : "failed";
  if (!upload.ok) {
    showFailure(out, upload);
    out.prepend(failedText);
  }
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
  if (sealed) await uploadText(out, sealed, message("msgTextFailed"));
  $("review-shown-rating").textContent = "★".repeat(rating) + "☆".repeat(5 - rating);
  $("review-shown-text").textContent = text;
  $("review-shown").hidden = false;
}

// --- the complaint (a verified purchase: it follows the receipt) -------------------------------------------------

function showComplaint() {
  const choices = [...parcel.contents.map((path) => [path, describe(path)]), [parcel.path, message("msgWholeParcel")]];
  $("complaint-subject").replaceChildren(
    ...choices.map(([path, label]) => {
      const option = document.createElement("option");
      option.value = path;
      option.textContent = label;
      return option;
    }),
  );
  $("complaint-section").hidden = false;
}

async function fileComplaint(subject, category, text) {
  const out = $("complaint-result");
  if (parcel === null || parcel.receipt === null) return say(out, "error", message("msgNoReceiptComplaint"));
  const sealed = text ? await sealText(text) : null;
  const data = { category }; // the channel is the default, consumer: a consignee key's own complaint
  const envelope = await signEvent(payloadOf("complaint", subject, parcel.receipt, data, sealed ? [sealed.ref] : []));
  const result = await submit(envelope);
  showOutcome(out, result, message("msgComplained"));
  if (result.ok && sealed) await uploadText(out, sealed, message("msgComplaintTextFailed"));
}

function wireComplaint() {
  $("complaint-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    fileComplaint(String(form.get("subject")), String(form.get("category")), String(form.get("text") ?? "").trim());
  });
}

// --- sharing and backing up the key ---------------------------------------------------------------------------

async function copyKey() {
  try {
    await navigator.clipboard.writeText(identity.encoded);
    say($("key-result"), "ok", message("msgCopied"));
  } catch {
    window.getSelection()?.selectAllChildren($("public-key"));
    say($("key-result"), "error", message("msgCopyFailed"));
  }
}

async function shareKey() {
  try {
    await navigator.share({ text: identity.encoded });
  } catch {
    // the consumer closed the share sheet
  }
}

const BACKUP_MESSAGES = {
  short: "msgBackupShort",
  unavailable: "msgBackupUnavailable",
  wrong: "msgBackupWrong",
  format: "msgBackupFormat",
};

function backupFailed(error) {
  const name = error instanceof BackupError ? BACKUP_MESSAGES[error.code] : "msgBackupFormat";
  say($("backup-result"), "error", message(name));
}

async function exportKey() {
  try {
    const reviews = (await stored(REVIEWS_RECORD)) ?? {};
    const text = await exportBackup(await stored(BACKUP_RECORD), identity, $("backup-passphrase").value, { reviews });
    download(`traceledger-key-${identity.kid.slice(0, 8)}.json`, text);
    say($("backup-result"), "ok", message("msgBackupSaved"));
  } catch (error) {
    backupFailed(error);
  }
}

async function importKey() {
  const file = $("backup-file").files?.[0];
  if (!file) return say($("backup-result"), "error", message("msgBackupNoFile"));
  try {
    const restored = await importBackup(await file.text(), $("backup-passphrase").value);
    await keepKey(restored);
    if (restored.extra.reviews) await store(REVIEWS_RECORD, restored.extra.reviews);
    showIdentity();
    say($("backup-result"), "ok", message("msgBackupRestored"));
  } catch (error) {
    backupFailed(error);
  }
}

// --- scanning a parcel's code ----------------------------------------------------------------------------------

function scanned(text) {
  if (!text) return say($("parcel-status"), "error", message("msgScanNone"));
  $("parcel-code").value = text;
  loadParcel(text);
}

async function scanWithCamera() {
  const scan = scanCamera($("scan-video"));
  $("scan-stop").hidden = false;
  $("scan-stop").onclick = scan.stop;
  try {
    const text = await scan.done;
    if (text !== null) scanned(text);
  } catch {
    say($("parcel-status"), "error", message("msgNoCamera"));
  } finally {
    $("scan-stop").hidden = true;
  }
}

async function scanFromPhoto(event) {
  const file = event.target.files?.[0];
  if (!file) return;
  scanned(await scanPhoto(file).catch(() => null));
  event.target.value = "";
}

// --- wiring -----------------------------------------------------------------------------------------------------

async function start() {
  $("create-key").addEventListener("click", createKey);
  $("copy-key").addEventListener("click", copyKey);
  $("share-key").addEventListener("click", shareKey);
  $("export-key").addEventListener("click", exportKey);
  $("import-key").addEventListener("click", importKey);
  $("scan-camera").addEventListener("click", scanWithCamera);
  $("scan-photo").addEventListener("change", scanFromPhoto);
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
  wireComplaint();
  const pair = await stored(KEY_RECORD).catch(() => undefined);
  if (pair) {
    identity = await loadIdentity(pair);
    showIdentity();
  }
  root.dataset.ready = "true";
}

if (root !== null) start();
