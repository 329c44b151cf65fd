// The item page's verifier: fetch this page's history bundle, verify it against the log key pinned in the page,
// and mark the checkpoint, every listed event and the overall verdict verified or failed (textContent only). A
// listed event must be one of the subject's own verified entries, at its log index, of its kind and signed time,
// and every value the page shows bound to the history must be what was verified (fields.js); a mismatch fails
// its event and the verdict. An item whose code its verified history never issued (issuance.js) is never shown
// as all verified, whatever the page says. A browser that has no working Ed25519 at all says it cannot verify:
// never "failed".

import { cryptoBackend } from "./crypto.js";
import { checkFields, scanned } from "./fields.js";
import { verifyBundle } from "./history.js";
import { issuance } from "./issuance.js";

const REASONS = {
  zh: {
    fetch: "无法取得可验证的记录",
    "pinned-key": "页面内置的日志公钥无效",
    "checkpoint-signature": "检查点签名无效",
    "checkpoint-format": "检查点格式错误",
    "checkpoint-origin": "检查点不属于本日志",
    checkpoint: "检查点未经日志签名",
    format: "记录格式错误",
    inclusion: "记录不在已签名的日志中",
    "event-id": "事件编号与内容不符",
    mismatch: "显示的信息与签名内容不符",
    genesis: "创世记录与日志公钥不符",
    "unknown-key": "签名密钥未在日志中登记",
    "key-revoked": "签名密钥已被吊销",
    "key-expired": "签名密钥已过期",
    signature: "签名无效",
    "not-in-bundle": "该事件不在已验证的记录中",
  },
  en: {
    fetch: "the verifiable history could not be fetched",
    "pinned-key": "the log key pinned in this page is invalid",
    "checkpoint-signature": "the checkpoint signature is invalid",
    "checkpoint-format": "the checkpoint is malformed",
    "checkpoint-origin": "the checkpoint is not this log's",
    checkpoint: "the checkpoint is not signed by the log",
    format: "the entry is malformed",
    inclusion: "the entry is not in the signed log",
    "event-id": "the event id does not match its content",
    mismatch: "what is shown differs from what was signed",
    genesis: "the genesis entry does not name the log key",
    "unknown-key": "signed by a key the log never registered",
    "key-revoked": "signed by a revoked key",
    "key-expired": "signed by an expired key",
    signature: "the signature is invalid",
    "not-in-bundle": "this event is not in the verified history",
  },
};

function reason(code) {
  const texts = document.documentElement.lang.toLowerCase().startsWith("zh") ? REASONS.zh : REASONS.en;
  return texts[code] ?? texts.format;
}

/** Mark a shown value; the style sheet draws ``data-v-mark`` beside one that is not verified. */
function markField(element, state, verdict) {
  element.dataset.vState = state;
  if (state === "verified") return;
  element.dataset.vMark = verdict.getAttribute(state === "mismatch" ? "data-text-mismatch" : "data-text-field-failed");
  element.title = reason(state === "mismatch" ? "mismatch" : "format");
}

/** This browser cannot verify: every verdict says so, none says failed. */
function markUnsupported() {
  for (const element of document.querySelectorAll("#verdict, #checkpoint-verdict, .event-verdict")) {
    element.dataset.state = "unsupported";
    const text = element.getAttribute("data-text-unsupported");
    if (text !== null) element.textContent = text;
  }
}

function mark(element, ok, code) {
  if (element === null) return;
  element.dataset.state = ok ? "verified" : "failed";
  const text = element.getAttribute(ok ? "data-text-verified" : "data-text-failed");
  if (text !== null) element.textContent = text;
  if (ok) {
    element.removeAttribute("data-reason");
    element.removeAttribute("title");
  } else {
    element.dataset.reason = reason(code);
    element.title = reason(code);
  }
}

/** Every record verified, but they show that the scanned code was never issued: a warning, never green. */
function markNotIssued(verdict) {
  verdict.dataset.state = "not-issued";
  verdict.textContent = verdict.getAttribute("data-text-not-issued");
}

function pinned(name) {
  return document.querySelector(`meta[name="${name}"]`)?.getAttribute("content") ?? "";
}

/** Whether the page shows an event where the log has it, of the kind and at the time its signer wrote. */
function shownAsSigned(item, entry) {
  const time = item.querySelector("time")?.getAttribute("datetime");
  return (
    Number(item.dataset.leafIndex) === entry.index &&
    item.dataset.kind === entry.payload.kind &&
    time === entry.payload.time
  );
}

/** The bundle this page was drawn from (the page names it, proved against the page's tree size), else the
 * latest one of this page's code. */
async function fetchBundle() {
  const url = pinned("traceledger-bundle") || location.pathname + location.search;
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}

async function run(verdict) {
  const backend = await cryptoBackend();
  if (backend === null) {
    markUnsupported();
    return;
  }
  verdict.dataset.verifier = backend.name;
  let result;
  let history = new Set(); // the subject's own events: a registration in the bundle only vouches for a key
  try {
    const bundle = await fetchBundle();
    result = await verifyBundle(bundle, {
      vkey: pinned("traceledger-log-vkey"),
      origin: pinned("traceledger-origin"),
    });
    history = new Set(bundle.entries.map((entry) => entry.event_id));
  } catch {
    result = { checkpoint: { ok: false, code: "fetch" }, entries: new Map(), ok: false };
  }
  const verifiedHistory = [...history].map((id) => result.entries.get(id)).filter((entry) => entry?.ok);
  result.issuance = issuance(verifiedHistory.map((entry) => entry.payload), scanned());
  const misshown = new Set(); // the events (li) showing a value otherwise than verified
  let fieldFailure = null;
  if (result.registry !== undefined) {
    for (const [element, state] of await checkFields(result)) {
      markField(element, state, verdict);
      if (state === "verified") continue;
      fieldFailure ??= "mismatch";
      const item = element.closest("li.event");
      if (item !== null) misshown.add(item);
    }
  }
  let firstFailure = result.checkpoint.ok ? null : result.checkpoint.code;
  mark(document.getElementById("checkpoint-verdict"), result.checkpoint.ok, result.checkpoint.code);
  for (const item of document.querySelectorAll("li.event[data-event-id]")) {
    const entry = history.has(item.dataset.eventId) ? result.entries.get(item.dataset.eventId) : undefined;
    let code = entry?.code;
    if (entry === undefined) code = result.checkpoint.ok ? "not-in-bundle" : result.checkpoint.code;
    else if (entry.ok && (!shownAsSigned(item, entry) || misshown.has(item))) code = "mismatch";
    const ok = entry?.ok === true && code === undefined;
    firstFailure ??= ok ? null : code;
    mark(item.querySelector(".event-verdict"), ok, code);
  }
  for (const entry of result.entries.values()) firstFailure ??= entry.ok ? null : entry.code;
  firstFailure ??= fieldFailure;
  const ok = result.ok && firstFailure === null;
  if (ok && result.issuance !== null && result.issuance !== "issued") markNotIssued(verdict);
  else mark(verdict, ok, firstFailure ?? "fetch");
  if (ok && verdict.dataset.state === "verified" && verdict.hasAttribute("data-text-verified-warned")) {
    verdict.dataset.warned = "true"; // genuine records of goods the page warns about: never a green "all fine"
    verdict.textContent = verdict.getAttribute("data-text-verified-warned");
  }
}

const verdict = document.getElementById("verdict");
if (verdict !== null) run(verdict);
