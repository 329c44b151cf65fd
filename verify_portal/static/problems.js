// An API problem (RFC 9457) as one translated line a shopper understands (verify_portal/problem_texts.py, embedded
// in the page as JSON), with the server's own title and detail kept behind a "technical details" toggle for support.

let lines = null;

function texts() {
  if (lines === null) {
    const node = document.getElementById("problem-texts");
    lines = node ? JSON.parse(node.textContent) : {};
  }
  return lines;
}

/** The line for a problem document: by its type's slug, else by its HTTP status class (a type newer than the page). */
export function problemLine(problem) {
  const all = texts();
  const slug = String(problem?.type ?? "").split("/").pop();
  if (all[slug]) return all[slug];
  const status = Number(problem?.status ?? 0);
  return all[status === 409 ? "status:409" : status >= 500 ? "status:5xx" : "status:4xx"];
}

/** Show ``problem`` in ``element``: its line, then its title and detail folded under ``technicalLabel``. */
export function showProblem(element, problem, technicalLabel) {
  const line = document.createElement("span");
  line.className = "problem-line";
  line.textContent = problemLine(problem);
  const parts = [line];
  const technical = [problem?.title, problem?.detail].filter(Boolean).join(" — ");
  if (technical) {
    const details = document.createElement("details");
    details.className = "problem-technical";
    const summary = document.createElement("summary");
    summary.textContent = technicalLabel;
    const text = document.createElement("span");
    text.textContent = technical;
    details.append(summary, text);
    parts.push(details);
  }
  element.dataset.state = "error";
  element.dataset.problemType = String(problem?.type ?? "");
  element.replaceChildren(...parts);
  element.hidden = false;
}
