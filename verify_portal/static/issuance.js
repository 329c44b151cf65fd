// Whether the scanned item's code was ever issued, decided from verified entries only, so a server cannot hide
// that a code is fake. The rule is ledger/rules/serials.py's, mirrored: a batch of N issues the serials its labels
// carry, 1 to N zero-padded to max(4, digits of N) ("0001" to "0200" for 200), and an item is out in the world
// once a verified dispatch of the subject's history names it by serial.

const MIN_SERIAL_WIDTH = 4;

/** Whether the labels of a batch of ``quantity`` carry ``serial`` (ledger.rules.serials.issued). */
export function issued(serial, quantity) {
  const width = Math.max(MIN_SERIAL_WIDTH, String(quantity).length);
  return (
    Number.isSafeInteger(quantity) &&
    typeof serial === "string" &&
    serial.length === width &&
    /^[0-9]+$/.test(serial) &&
    Number(serial) >= 1 &&
    Number(serial) <= quantity
  );
}

/** Whether a batch subject path (01/<gtin>/10/<percent-encoded lot>) is the scanned code's batch. */
function ofScannedBatch(subject, scanned) {
  const parts = String(subject).split("/");
  if (parts.length !== 4 || parts[0] !== "01" || parts[2] !== "10" || parts[1] !== scanned.get("01")) return false;
  try {
    return decodeURIComponent(parts[3]) === scanned.get("10");
  } catch {
    return false;
  }
}

/**
 * What the verified ``payloads`` of the page's own history say about the scanned item (``scanned``: its GS1
 * elements): "issued"; "outside" (no verified production of its batch issued its serial); "undispatched" (issued,
 * but no verified dispatch names it); or null when the page is not an item's.
 */
export function issuance(payloads, scanned) {
  const serial = scanned.get("21");
  if (serial === undefined) return null;
  const production = payloads.find((p) => p.kind === "production" && ofScannedBatch(p.subject, scanned));
  if (production === undefined || !issued(serial, production.data?.quantity)) return "outside";
  const names = (content) => content?.batch === production.subject && Array.isArray(content.serials) &&
    content.serials.includes(serial);
  const dispatched = payloads.some(
    (p) => p.kind === "shipment" && p.data?.type === "dispatch" && (p.data.contents ?? []).some(names),
  );
  return dispatched ? "issued" : "undispatched";
}
