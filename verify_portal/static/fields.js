// Checking what the page shows against what the browser verified, field by field (verify_portal/shown.py renders
// the bindings). A bound element's text (or, for a value shown as its translation, the value it names) must equal
// the value at its path in a verified entry's payload, reached through the verified registrations of the actors it
// names; a review's text must be the content of the attachment its verified payload commits to; a code must be
// the scanned URL's; a warning that the code was never issued must be what issuance.js decided from the verified
// entries. Each element ends verified, mismatch (shown otherwise than verified) or failed (its record did not
// verify); elements the server marked unverified stay so.

import { hex, sha256 } from "./crypto.js";
import { CONSUMER } from "./history.js";

const SALT_SIZE = 16; // an attachment is stored as salt || content (DESIGN §3)
// The page's clock is China Standard Time: UTC+8 all year (no daylight saving since 1991), as the server renders.
const CHINA_STANDARD_TIME = 8 * 3600 * 1000;

function chinaTime(value, length) {
  const moment = typeof value === "string" ? Date.parse(value) : Number.NaN;
  return Number.isNaN(moment) ? undefined : new Date(moment + CHINA_STANDARD_TIME).toISOString().slice(0, length).replace("T", " ");
}

/** How each format writes a verified value as the page shows it (undefined: the value cannot be shown so). */
const FORMATS = {
  text: (v) => (typeof v === "string" || Number.isSafeInteger(v) ? String(v) : undefined),
  money: (v) => (Number.isSafeInteger(v) && v >= 0 ? `${Math.floor(v / 100)}.${String(v % 100).padStart(2, "0")}` : undefined),
  datetime: (v) => chinaTime(v, 16),
  date: (v) => chinaTime(v, 10),
  stars: (v) => (Number.isInteger(v) && v >= 1 && v <= 5 ? "★".repeat(v) + "☆".repeat(5 - v) : undefined),
};

/** The value at a dotted path (array indices as numbers) in a JSON document, or undefined. */
function at(document, path) {
  let value = document;
  for (const key of path === "" ? [] : path.split(".")) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, key)) return undefined;
    value = value[key];
  }
  return value;
}

/** Why a binding holds or not: "verified", "mismatch" or "failed". */
function compare(element, value) {
  const wanted = element.dataset.vValue;
  if (wanted !== undefined) return String(value ?? element.dataset.vDefault) === wanted ? "verified" : "mismatch";
  const format = FORMATS[element.dataset.vFormat ?? "text"];
  const shown = format === undefined ? undefined : format(value);
  return shown !== undefined && shown === element.textContent ? "verified" : "mismatch";
}

/** The document a bound element's path is read from: a verified payload, or an actor's registration reached
 * from it. Returns {state} when it cannot be read, else {document}. */
function source(element, { entries, registry }) {
  const entry = entries.get(element.dataset.vEvent);
  if (entry === undefined) return { state: "mismatch" }; // bound to something the verified history does not hold
  if (!entry.ok) return { state: "failed" };
  let document = entry.payload;
  for (const hop of (element.dataset.vVia ?? "").split(" ").filter(Boolean)) {
    const actor = hop === "signer" ? registry.holderOf(document.actor) : at(document, hop);
    document = typeof actor === "string" && actor !== CONSUMER ? registry.registrationOf(actor) : undefined;
    if (document === undefined) return { state: "mismatch" };
  }
  return { document };
}

function checkEntry(element, verified) {
  const { state, document } = source(element, verified);
  if (state !== undefined) return state;
  const value = at(document, element.dataset.vPath);
  return compare(element, element.dataset.vFormat === "holder" ? verified.registry.holderOf(value) : value);
}

function charsetOf(mediaType) {
  return /;\s*charset="?([^";\s]+)"?/i.exec(String(mediaType))?.[1] ?? "utf-8";
}

/** A review's text: the stored salt || content must hash to the verified payload's digest and size. */
async function checkAttachment(element, verified) {
  const { state, document } = source(element, verified);
  if (state !== undefined) return state;
  const ref = at(document, element.dataset.vPath);
  if (typeof ref?.digest !== "string" || !Number.isSafeInteger(ref?.size)) return "mismatch";
  try {
    const response = await fetch(`/v1/attachments/${ref.digest}`);
    if (!response.ok) return "mismatch"; // the page shows a text the ledger cannot produce
    const stored = new Uint8Array(await response.arrayBuffer());
    if (stored.length !== SALT_SIZE + ref.size || `sha256:${hex(await sha256(stored))}` !== ref.digest) return "mismatch";
    const text = new TextDecoder(charsetOf(ref.media_type)).decode(stored.subarray(SALT_SIZE));
    return text === element.textContent ? "verified" : "mismatch";
  } catch {
    return "mismatch";
  }
}

/** The GS1 elements of the scanned Digital Link: path pairs (/01/<gtin>/10/<lot>...) and the query's 17. */
export function scanned() {
  const elements = new Map(new URLSearchParams(location.search));
  const segments = location.pathname.split("/").slice(1);
  for (let i = 0; i + 1 < segments.length; i += 2) elements.set(segments[i], decodeURIComponent(segments[i + 1]));
  return elements;
}

/**
 * The average (to a tenth, halves up, in integers as the server computes it) and count of the listed reviews,
 * leaving out those the page marks as flagged by risk monitoring (data-flagged), as the server does.
 */
function ratingsOf(verified) {
  const ratings = [];
  for (const item of document.querySelectorAll("li.event[data-kind='review']:not([data-flagged])")) {
    const entry = verified.entries.get(item.dataset.eventId);
    if (!entry?.ok || !Number.isInteger(entry.payload.data.rating)) return null;
    ratings.push(entry.payload.data.rating);
  }
  if (ratings.length === 0) return null;
  const total = ratings.reduce((sum, rating) => sum + rating, 0);
  const tenths = Math.floor((total * 20 + ratings.length) / (2 * ratings.length));
  return { average: `${Math.floor(tenths / 10)}.${tenths % 10}`, count: String(ratings.length) };
}

/**
 * Check every bound element of the page against ``verified`` (verifyBundle's result, with the size of its
 * verified checkpoint and the scanned item's ``issuance``); the checkpoint's size is written from it. Returns
 * [element, state] pairs.
 */
export async function checkFields(verified) {
  const url = scanned();
  const ratings = ratingsOf(verified);
  const checks = [...document.querySelectorAll("[data-v]:not([data-v='none'])")].map(async (element) => {
    const kind = element.dataset.v;
    let state = "mismatch";
    if (kind === "entry") state = checkEntry(element, verified);
    else if (kind === "attachment") state = await checkAttachment(element, verified);
    else if (kind === "url") state = compare(element, url.get(element.dataset.vPath));
    else if (kind === "issuance") state = compare(element, verified.issuance);
    else if (kind === "ratings") state = ratings === null ? "failed" : compare(element, ratings[element.dataset.vPath]);
    else if (kind === "checkpoint" && verified.checkpoint.ok) {
      element.textContent = String(verified.checkpoint.size); // rendered from what was verified: the log grows
      state = "verified";
    } else if (kind === "checkpoint") state = "failed";
    return [element, state];
  });
  return Promise.all(checks);
}
