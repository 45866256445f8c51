/**
 * A case run through the real Extract and Redact handlers, plus a draft written the way the
 * DraftDeclaration worker writes it, so Reinject can run for real without a model. The scanned
 * page is left out: these tests are about what happens after OCR.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { LocalBlobStore, putJson } from "../core/blob-store.ts";
import type { Draft } from "../core/declaration.ts";
import type { PipelineState } from "../core/pipeline-state.ts";
import { extractDocuments } from "../functions/extract-documents.ts";
import { redactCase } from "../functions/redact-pii.ts";
import { ingestCase, readCaseFolder } from "../workflows/engine/case-intake.ts";
import { writePdf } from "../workflows/samples/pdf-writer.ts";
import { copyCase, makeTestHome, samples, type TestHome } from "./helpers.ts";

export interface ReinjectFixture {
  home: TestHome;
  store: LocalBlobStore;
  state: PipelineState;
}

/** The draft's text uses placeholders the VAWA sample's redaction always produces. */
export const sampleDraft: Draft = {
  caseType: "VAWA",
  round: 0,
  paragraphs: [
    {
      element: "relationship",
      title: "Qualifying relationship",
      text: "I, [PERSON_1], married my husband in 2016. My A-number is [A_NUMBER_1].",
      sources: ["intake-notes.pdf#1"],
      citations: ["intake-notes.pdf p.1"],
    },
    {
      element: "abuse",
      title: "Battery or extreme cruelty",
      text: "He pushed me against a wall and hurt my wrist.",
      sources: ["personal-statement.pdf#1"],
      citations: ["personal-statement.pdf p.1", "shelter-letter.pdf p.1"],
    },
    { element: "good-moral-character", title: "Good moral character", text: "", sources: [], citations: [] },
  ],
};

export interface RedactedCaseOptions {
  /** Default: "reinject-1". */
  executionName?: string;
  /** Default: `sampleDraft`. */
  draft?: Draft;
  /** More PDFs for the case: file name → pages of lines. */
  addDocuments?: Record<string, string[][]>;
  /** case.json's language. Default: the sample's ("en"). */
  language?: "en" | "es";
  /** case.json's variant. Default: none (the case type's default). */
  variant?: string;
  /** More of case.json (`signing`, `parties` …), over the sample's. Default: none. */
  caseJson?: Record<string, unknown>;
  /** What Score recorded of the draft. Default: a clean pass of the gate. */
  score?: { value: number; passed: boolean; failures: string[] };
}

/** Runs Extract and Redact with the environment as it is (the caller sets KMS, Comprehend or not). */
export async function redactedCase(options: RedactedCaseOptions = {}): Promise<ReinjectFixture> {
  const { executionName = "reinject-1", draft = sampleDraft } = options;
  const home = makeTestHome();
  Object.assign(process.env, home.env);
  const caseDir = copyCase(samples.vawa, path.join(home.home, "case"));
  rmSync(path.join(caseDir, "police-report-scan.pdf"));
  for (const [file, pages] of Object.entries(options.addDocuments ?? {})) await writePdf(path.join(caseDir, file), pages);
  const caseJson = JSON.parse(readFileSync(path.join(caseDir, "case.json"), "utf8"));
  writeFileSync(
    path.join(caseDir, "case.json"),
    JSON.stringify({
      ...caseJson,
      // The scan is left out, so case.json lists the rest (a role for a missing file is refused).
      documents: (caseJson.documents as Array<{ file: string }>).filter((d) => d.file !== "police-report-scan.pdf"),
      ...(options.language ? { language: options.language } : {}),
      ...(options.variant ? { variant: options.variant } : {}),
      ...options.caseJson,
    }),
  );
  const store = new LocalBlobStore(path.join(home.home, "blobs"));
  await ingestCase(readCaseFolder(caseDir), store);
  const state = await extractDocuments({ input: { caseId: "vawa-sample-0001" }, executionName }, store);
  state.redact = await redactCase({ state }, store);
  const outputKey = `${state.runKey}/draft-0.json`;
  await putJson(store, outputKey, draft);
  const score = options.score ?? { value: 0.9, passed: true, failures: [] };
  const scoreKey = `${state.runKey}/score-r0.json`;
  await putJson(store, scoreKey, score);
  state.score = { value: score.value, passed: score.passed, rewrite: false, scoreKey };
  state.draft = {
    outputKey,
    stage: "DraftDeclaration",
    model: "stories-260k",
    provider: "local",
    fallbackReason: null,
    tokensIn: 10,
    tokensOut: 20,
    loadMs: 1,
    promptMs: 1,
    genMs: 1,
    costUsd: 0,
  };
  return { home, store, state };
}
