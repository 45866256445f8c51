/**
 * The attorney's side of AttorneyReview in the viewer: the decision form for an execution
 * waiting there (POST /executions/{id}/review, the same route and checks as curl and the CLI)
 * and the audit log of every decision (who, when, what, which draft; never the notes).
 */
import { apiPost } from "./api.ts";
import { h } from "./dom.ts";
import { errorText, fmtTime } from "./format.ts";
import type { ExecutionSummary, ReviewAuditEntry } from "./types.ts";

/** The form; `onDecided` runs once the API has accepted the decision (the execution runs on). */
export function renderReviewForm(summary: ExecutionSummary, onDecided: () => void): HTMLElement {
  const review = summary.review;
  const approve = h("input", { type: "radio", name: "decision", value: "approve", id: "review-approve", checked: true });
  const changes = h("input", { type: "radio", name: "decision", value: "changes", id: "review-changes" });
  const notes = h("textarea", {
    id: "review-notes",
    name: "notes",
    rows: 6,
    placeholder: "What to change (required for changes). Names are redacted before any model reads them.",
  });
  // Approving a draft that failed the quality gate needs a reason (the API refuses it without one).
  const overrideReason = h("textarea", {
    id: "review-override-reason",
    name: "overrideReason",
    rows: 2,
    maxlength: 2000,
    placeholder: "Only to approve a draft that failed the quality gate: why it is fit to file.",
  });
  const message = h("p", { id: "review-error", class: "error-text", role: "alert", hidden: true });
  const submit = h("button", { type: "submit", class: "button", id: "review-submit" }, "Send decision");
  const form = h(
    "form",
    {
      id: "review-form",
      class: "review-form",
      onsubmit: (ev) => {
        ev.preventDefault();
        submit.disabled = true;
        message.hidden = true;
        const decision = changes.checked ? "changes" : "approve";
        // The round on screen: a decision on a draft that has since changed is refused (409).
        apiPost(`/executions/${encodeURIComponent(summary.executionId)}/review`, {
          decision,
          round: review?.round,
          notes: notes.value || undefined,
          overrideReason: overrideReason.value || undefined,
          via: "viewer",
        })
          .then(() => onDecided())
          .catch((err: unknown) => {
            const e = errorText(err);
            message.textContent = (e.name ? `${e.name}: ` : "") + (e.message || "the decision was not accepted");
            message.hidden = false;
            submit.disabled = false;
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
    form,
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
              h("td", null, a.decision),
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
