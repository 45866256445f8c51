/**
 * The attorney's side of AttorneyReview in the viewer: the decision form for an execution
 * waiting there (POST /executions/{id}/review, the same route and checks as curl and the CLI:
 * notes, notes aimed at paragraphs, locks, facts from the client, an override reason) and the
 * audit log of every decision (who, when, what, which draft; never the notes).
 */
import { maxOverrideReasonChars, maxReviewNotesBytes, overNotesLimit } from "../../../core/review-limits.ts";
import { apiPost } from "./api.ts";
import { h } from "./dom.ts";
import { errorText, fmtTime } from "./format.ts";
import type { ExecutionSummary, ReviewAuditEntry } from "./types.ts";

/**
 * The quality gate's verdict on the draft under review, beside the decision: an attorney never
 * approves without seeing that the draft failed the gate, and why.
 */
function renderVerdict(summary: ExecutionSummary): HTMLElement {
  const quality = summary.quality;
  const score = summary.review?.score;
  const scoreText = typeof score === "number" ? `Score ${score.toFixed(3)}` : "Not scored";
  if (!quality)
    return h("aside", { class: "review-verdict", id: "review-verdict", "data-status": "unknown" }, [
      h("strong", null, "Quality gate: no verdict recorded for this draft"),
      h("p", { class: "muted small" }, scoreText),
    ]);
  const failing = quality.status === "failing-review";
  return h("aside", { class: `review-verdict ${failing ? "failing" : "passed"}`, id: "review-verdict", "data-status": quality.status }, [
    h("div", null, [
      h("span", { class: `badge ${failing ? "badge-failed" : "badge-succeeded"}` }, failing ? "FAILING REVIEW" : "quality gate passed"),
      h("span", { class: "muted small" }, ` ${scoreText}`),
    ]),
    failing
      ? h(
          "p",
          null,
          "This draft did not pass the quality gate and no rewrite was left. Check every statement against the sources before approving.",
        )
      : null,
    quality.failures.length
      ? h(
          "ul",
          { id: "review-verdict-reasons" },
          quality.failures.map((f) => h("li", null, f)),
        )
      : null,
  ]);
}

/** "2, 3" → [2, 3]; anything else is refused before a request is sent. */
function paragraphNumbers(text: string): number[] | string {
  const parts = text
    .split(/[\s,]+/)
    .map((t) => t.trim())
    .filter(Boolean);
  const numbers = parts.map(Number);
  return numbers.every((n) => Number.isInteger(n) && n >= 1) ? numbers : `lock: "${text}" is not a list of paragraph numbers (e.g. 2, 3)`;
}

/** The form; `onDecided` runs once the API has accepted the decision (the execution runs on). */
export function renderReviewForm(summary: ExecutionSummary, onDecided: () => void): HTMLElement {
  const review = summary.review;
  // Nothing preselected: the attorney chooses, after reading the verdict beside the form.
  const approve = h("input", { type: "radio", name: "decision", value: "approve", id: "review-approve" });
  const changes = h("input", { type: "radio", name: "decision", value: "changes", id: "review-changes" });
  const notes = h("textarea", {
    id: "review-notes",
    name: "notes",
    rows: 5,
    placeholder: "Notes on the whole draft. Names are redacted before any model reads them.",
  });
  const aimed = h("div", { id: "review-paragraph-notes", class: "review-paragraph-notes" });
  const addAimed = () => {
    const n = aimed.children.length;
    aimed.appendChild(
      h("div", { class: "review-aimed", "data-row": n }, [
        h("label", { for: `review-aimed-paragraph-${n}` }, "Paragraph"),
        h("input", { id: `review-aimed-paragraph-${n}`, class: "review-aimed-paragraph", type: "number", min: 2, step: 1 }),
        h("textarea", {
          id: `review-aimed-text-${n}`,
          class: "review-aimed-text",
          rows: 2,
          placeholder: "What to change in this paragraph",
        }),
      ]),
    );
  };
  const addButton = h(
    "button",
    { type: "button", class: "link-button", id: "review-add-paragraph-note", onclick: addAimed },
    "+ a note on one paragraph",
  );
  const lock = h("input", {
    id: "review-lock",
    name: "lock",
    type: "text",
    autocomplete: "off",
    placeholder: "e.g. 2, 3 (never rewritten from now on)",
  });
  // What the client told the attorney: with "changes" only, an interview source the next draft may cite.
  const facts = h("textarea", {
    id: "review-facts",
    name: "facts",
    rows: 4,
    placeholder: "Facts from the client, as you took them (e.g. we married in March 2019). Sent with “Ask for changes”.",
  });
  // Approving a draft that failed the quality gate needs a reason (the API refuses it without one).
  const overrideReason = h("textarea", {
    id: "review-override-reason",
    name: "overrideReason",
    rows: 2,
    maxlength: maxOverrideReasonChars,
    placeholder: "Only to approve a draft that failed the quality gate: why it is fit to file.",
  });
  const message = h("p", { id: "review-error", class: "error-text", role: "alert", hidden: true });
  const submit = h("button", { type: "submit", class: "button", id: "review-submit" }, "Send decision");
  const fail = (text: string) => {
    message.textContent = text;
    message.hidden = false;
    submit.disabled = false;
  };
  const form = h(
    "form",
    {
      id: "review-form",
      class: "review-form",
      onsubmit: (ev) => {
        ev.preventDefault();
        submit.disabled = true;
        message.hidden = true;
        if (!approve.checked && !changes.checked) return fail("Choose a decision: approve this declaration, or ask for changes.");
        const decision = changes.checked ? "changes" : "approve";
        const locked = lock.value.trim() ? paragraphNumbers(lock.value) : [];
        if (typeof locked === "string") return fail(locked);
        const rows = Array.from(aimed.querySelectorAll<HTMLElement>(".review-aimed"))
          .map((row) => ({
            paragraph: Number(row.querySelector<HTMLInputElement>(".review-aimed-paragraph")?.value || Number.NaN),
            text: row.querySelector<HTMLTextAreaElement>(".review-aimed-text")?.value.trim() ?? "",
          }))
          .filter((r) => r.text || !Number.isNaN(r.paragraph));
        const general = notes.value.trim();
        // The API's limit, checked here too so a long interview is not sent only to be refused.
        const factsText = facts.value.trim();
        const overFacts = overNotesLimit("facts", new TextEncoder().encode(factsText).length);
        if (overFacts) return fail(overFacts);
        // The round on screen: a decision on a draft that has since changed is refused (409).
        apiPost(`/executions/${encodeURIComponent(summary.executionId)}/review`, {
          decision,
          round: review?.round,
          notes: rows.length ? [...(general ? [{ text: general }] : []), ...rows] : general || undefined,
          lock: locked.length ? locked : undefined,
          // Sent as typed: with an approval the API refuses them (facts go with "changes"), and the form shows why.
          facts: factsText || undefined,
          overrideReason: overrideReason.value || undefined,
          via: "viewer",
        })
          .then(() => onDecided())
          .catch((err: unknown) => {
            const e = errorText(err);
            fail((e.name ? `${e.name}: ` : "") + (e.message || "the decision was not accepted"));
          });
      },
    },
    [
      h("fieldset", null, [
        h("legend", null, "Decision"),
        h("label", { for: "review-approve" }, [approve, " Approve this declaration"]),
        h("label", { for: "review-changes" }, [changes, " Ask for changes (a rewrite round with these notes, then review again)"]),
      ]),
      h("label", { for: "review-notes" }, "Notes"),
      notes,
      h(
        "p",
        { class: "muted small" },
        "Paragraphs are numbered as in the filing version. Notes on paragraphs rewrite only those paragraphs.",
      ),
      aimed,
      addButton,
      h("label", { for: "review-facts" }, "Facts from the client"),
      facts,
      h(
        "p",
        { class: "muted small" },
        `With “Ask for changes”: redacted and indexed as an interview (cited, never filed) that the next draft may rest on. Up to ${maxReviewNotesBytes / 1024} KiB.`,
      ),
      h("label", { for: "review-lock" }, "Lock paragraphs as verified"),
      lock,
      h("label", { for: "review-override-reason" }, "Override reason"),
      overrideReason,
      h("p", { class: "muted small", id: "review-identity" }, "Recorded under the holder of the API token this page uses."),
      message,
      submit,
    ],
  );
  return h("section", { class: "card", id: "review" }, [
    h("div", { class: "card-head" }, [
      h("h2", null, "Attorney review"),
      review
        ? h("span", { class: "muted small", id: "review-window" }, `Round ${review.round} · open until ${fmtTime(review.expiresAt)}`)
        : null,
    ]),
    h("p", null, "The execution waits in AttorneyReview. Read the draft, then approve it or ask for changes."),
    h("div", { class: "review-body" }, [form, renderVerdict(summary)]),
  ]);
}

export function renderAuditLog(audit: ReviewAuditEntry[]): HTMLElement {
  return h("section", { class: "card", id: "review-audit" }, [
    h("div", { class: "card-head" }, h("h2", null, "Review audit log")),
    h(
      "div",
      { class: "table-wrap" },
      h("table", { class: "audit" }, [
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            ["When", "Decision", "Reviewer", "Via", "Round", "Draft"].map((t) => h("th", null, t)),
          ),
        ),
        h(
          "tbody",
          null,
          audit.map((a) =>
            h("tr", { class: "audit-entry", "data-decision": a.decision }, [
              h("td", null, fmtTime(a.decidedAt)),
              // A wait ended by an error instead of a decision: its name (when plain), never its cause.
              h("td", null, a.failure ? `${a.decision} (${a.failure.error ?? "an unnamed error"} sent to the gate)` : a.decision),
              h("td", null, a.reviewer),
              h("td", null, a.via),
              h("td", null, String(a.round)),
              h("td", null, h("code", null, a.version)),
            ]),
          ),
        ),
      ]),
    ),
  ]);
}
