/**
 * The review document in the viewer (GET /executions/{id}/review-document): what the attorney
 * reads beside the declaration, once Reinject has written it — while the execution waits in
 * AttorneyReview and after it has succeeded. Per paragraph its text, exhibits and unsupported
 * sentences; then the judges' notes, facts to confirm, contradictions, documents never cited,
 * elements with nothing drafted or judged not covered and the exhibit list. Text nodes only (dom.ts).
 */
import { apiJson } from "./api.ts";
import { type Child, h } from "./dom.ts";
import { errorText } from "./format.ts";
import type { ReviewDocument } from "./types.ts";

/**
 * Loaded once per execution and review round: the page re-renders every poll, and the
 * document does not change until a rewrite round writes a new one.
 */
const loaded = new Map<string, ReviewDocument>();
/** Executions whose document the user asked to see: it stays open across re-renders. */
const opened = new Set<string>();

/**
 * The section, closed until asked for: the document holds client names and facts, and the
 * viewer shows no case content unless the user asks (as the declaration is only downloaded).
 */
export function renderReviewDocumentSection(executionId: string, round: string): HTMLElement {
  const key = `${executionId}\0${round}`;
  const body = h("div", { id: "review-document-body" });
  const show = h("button", { type: "button", class: "button", id: "review-document-show" }, "Show the review document (client data)");
  const section = h("section", { class: "card", id: "review-document" }, [
    h("div", { class: "card-head" }, [h("h2", null, "Review document"), opened.has(executionId) ? null : show]),
    body,
  ]);
  const load = () => {
    const doc = loaded.get(key);
    if (doc) return body.replaceChildren(renderReviewDocument(doc));
    body.replaceChildren(h("p", { class: "muted" }, "Loading the review document…"));
    apiJson<ReviewDocument>(`/executions/${encodeURIComponent(executionId)}/review-document`)
      .then((d) => {
        loaded.set(key, d);
        body.replaceChildren(renderReviewDocument(d));
      })
      .catch((err: unknown) => {
        const e = errorText(err);
        body.replaceChildren(
          h(
            "p",
            { class: "error-text", id: "review-document-error" },
            (e.name ? `${e.name}: ` : "") + (e.message || "could not load the review document"),
          ),
        );
      });
  };
  show.addEventListener("click", () => {
    opened.add(executionId);
    show.remove();
    load();
  });
  if (opened.has(executionId)) load();
  else
    body.appendChild(
      h(
        "p",
        { class: "muted" },
        "Per paragraph its text, exhibits and unsupported sentences; facts to confirm, contradictions between sources, documents never cited, elements not covered and the exhibit list.",
      ),
    );
  return section;
}

function list(id: string, title: string, items: Child[], none: string): HTMLElement {
  return h("div", { class: "review-part", id }, [
    h("h3", null, title),
    items.length
      ? h(
          "ul",
          null,
          items.map((i) => h("li", null, i)),
        )
      : h("p", { class: "muted" }, none),
  ]);
}

/** After a "changes" round: what the round could touch, and each rewritten paragraph's redline against the last round's. */
function renderChanges(changes: NonNullable<ReviewDocument["changes"]>): HTMLElement {
  const numbers = (status: string) =>
    changes.paragraphs
      .filter((p) => p.status === status)
      .map((p) => p.after ?? p.before ?? "–")
      .join(", ") || "none";
  return h("div", { class: "review-part", id: "review-changes" }, [
    h("h3", null, "Changes since the last round"),
    h(
      "p",
      { class: "redline-summary" },
      `${changes.scoped ? "The notes named paragraphs: only those were rewritten." : "The notes named no paragraph: every paragraph not locked was rewritten."} Rewritten: ${numbers("rewritten")}. Kept as they were: ${numbers("kept")}. Locked as verified: ${numbers("locked")}.`,
    ),
    changes.paragraphs
      .filter((p) => p.status === "rewritten")
      .map((p) =>
        h("article", { class: "review-redline", "data-element": p.element }, [
          h("h4", null, `${p.after ?? p.before ?? "–"}. ${p.heading}`),
          p.note ? h("p", { class: "muted" }, `Attorney's note: ${p.note}`) : null,
          h(
            "p",
            { class: "redline" },
            p.redline.map((r) => (r.op === "equal" ? r.text : h(r.op === "delete" ? "del" : "ins", null, r.text))),
          ),
        ]),
      ),
  ]);
}

export function renderReviewDocument(doc: ReviewDocument): HTMLElement {
  const verdict =
    doc.review.status === "passed"
      ? h("p", { id: "review-document-verdict" }, h("span", { class: "badge badge-succeeded" }, "quality gate passed"))
      : h("p", { id: "review-document-verdict" }, [
          h("span", { class: "badge badge-failed" }, "FAILING REVIEW"),
          ` ${doc.review.failures.join("; ")}`,
        ]);
  const paragraphs = doc.paragraphs.map((p) =>
    h("article", { class: "review-paragraph", "data-element": p.element }, [
      h("h3", null, `${p.number}. ${p.heading}`),
      h("p", { class: "muted" }, p.supports?.length ? `Supports: ${p.supports.join("; ")}` : "Opening paragraph: who the declarant is"),
      p.when ? h("p", { class: "muted review-when" }, `When: ${p.when}`) : null,
      p.sentences
        ? h(
            "ol",
            { class: "review-sentences" },
            p.sentences.map((s) =>
              h("li", null, [`${s.text} `, h("span", { class: "muted" }, `(${s.exhibits.join("; ") || "no exhibit"})`)]),
            ),
          )
        : p.texts.map((t, i) => h("p", { class: "review-text", "data-version": doc.versions[i] ?? "" }, t || "(nothing drafted)")),
      h("p", { class: "review-cites" }, `Cites: ${p.exhibits.join("; ") || "no exhibit"}`),
      p.unsupported.map((u) =>
        h("p", { class: "error-text review-unsupported" }, `Unsupported sentence ${u.sentence} (support ${u.support}): “${u.text}”`),
      ),
    ]),
  );
  const pagesOf = (e: { pages: number[]; citedPages: number[] }) =>
    `pages ${e.pages.join(", ")}${e.citedPages.length ? `; cited: ${e.citedPages.join(", ")}` : "; not cited"}`;
  const quote = (q: ReviewDocument["contradictions"][number]["first"]) => [h("strong", null, q.exhibit), ` (${q.document}): “${q.quote}”`];
  return h("div", { class: "review-document" }, [
    verdict,
    doc.changes ? renderChanges(doc.changes) : null,
    list(
      "review-roles",
      "Who is who",
      (doc.roles ?? []).map((r) => (r.name === r.placeholder ? `${r.placeholder}: ${r.role}` : `${r.name} (${r.placeholder}): ${r.role}`)),
      "no roles recorded",
    ),
    h("p", { class: "muted" }, "Paragraph numbers are the filing version's."),
    h("div", { id: "review-paragraphs" }, paragraphs),
    list(
      "review-judges",
      "Judges' notes",
      doc.judges.map((j) => `${j.stage}: ${j.score} of 5. ${j.reasons}`),
      "none recorded",
    ),
    list(
      "review-facts",
      "Facts to confirm with the client",
      doc.factsToConfirm.map((f) => `“${f.item}”: ${f.why.join("; ")} (${f.where.join("; ")})`),
      "none",
    ),
    list(
      "review-contradictions",
      "Contradictions between sources",
      doc.contradictions.map((c) => [
        c.kind === "cause" ? `Same event (${c.event}) told as an accident in ` : `Same injury dated differently (${c.event}): `,
        ...quote(c.first),
        c.kind === "cause" ? " and as inflicted in " : " against ",
        ...quote(c.second),
      ]),
      "none found",
    ),
    list("review-placeholders", "Placeholder problems left", doc.placeholderProblems, "none"),
    list("review-uncited", "Documents never cited", doc.documentsNeverCited, "none"),
    list("review-not-drafted", "Elements with nothing drafted", doc.elementsNotDrafted, "none: every element has a paragraph"),
    list(
      "review-uncovered",
      "Elements the coverage judge found not covered",
      doc.elementsJudgedNotCovered,
      "none: the judge found every drafted element covered, or did not run",
    ),
    list(
      "review-exhibits",
      "Exhibit list",
      doc.exhibits.map(
        (e) =>
          `Exhibit ${e.letter}: ${e.title} (${pagesOf(e)})${e.needsTranslation ? ". Not in English: file it with a certified English translation (8 CFR 103.2(b)(3))" : ""}`,
      ),
      "none",
    ),
    list(
      "review-unfiled",
      "Sources not filed",
      (doc.unfiledSources ?? []).map(
        (u) =>
          `${u.label}: ${u.title} (${pagesOf(u)}). ${u.role === "interview" ? "The declarant's own account" : "The attorney's work product"}: not filed`,
      ),
      "none",
    ),
    list(
      "review-interview",
      "Sentences resting on the client interview",
      (doc.interviewSentences ?? []).map((x) => `Paragraph ${x.paragraph}, sentence ${x.sentence}: “${x.text}” (${x.sources.join("; ")})`),
      "none",
    ),
    (doc.translationCertificates ?? []).map((c) =>
      h("section", { class: "review-certificate" }, [
        h("h3", null, c.heading),
        h("p", null, c.statement),
        c.blanks.map((b) => h("p", null, `${b}: ______________________________`)),
      ]),
    ),
    doc.notChecked.length ? h("p", { class: "muted" }, `Not checked by Affiant yet: ${doc.notChecked.join("; ")}.`) : null,
  ]);
}
