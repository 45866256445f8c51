/**
 * Amazon Textract as the OCR engine: the real Extract handler and the real
 * @aws-sdk/client-textract, pointed at a local AWS JSON 1.1 server that plays Textract.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { TextractClient } from "@aws-sdk/client-textract";
import { PDFParse } from "pdf-parse";
import { getJson, LocalBlobStore } from "../../core/blob-store.ts";
import { type ExtractResult, handler as extractHandler } from "../../functions/extract-documents.ts";
import { ocrEngine, openPageReader } from "../../functions/ocr.ts";
import { getSealedJson } from "../../functions/redaction/sealed-json.ts";
import { TextractReader } from "../../functions/textract-reader.ts";
import { ingestCase, readCaseFolder } from "../../workflows/engine/case-intake.ts";
import { AwsErrorReply, fakeAwsEnv, startAwsJsonServer, withEnv } from "../aws-json-server.ts";
import { makeTestHome, samples } from "../helpers.ts";

const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const scanLines = [
  { text: "Incident no. 19-004410. Date: March 22, 2019.", confidence: 99.1 },
  { text: "Victim: Elena Fictitia Marsh. Suspect: Derek Samplefield (husband).", confidence: 97.3 },
  { text: "Reporting officer: Ofc. Morgan Fakerly.", confidence: 88.6 },
];

/** Textract's answer shape: a PAGE block, LINE blocks, and WORD blocks with their own confidences. */
function detectAnswer() {
  const blocks: Array<Record<string, unknown>> = [{ BlockType: "PAGE", Id: "p" }];
  for (const [i, line] of scanLines.entries()) {
    blocks.push({ BlockType: "LINE", Id: `l${i}`, Text: line.text, Confidence: line.confidence });
    for (const [j, word] of line.text.split(" ").entries())
      blocks.push({ BlockType: "WORD", Id: `w${i}.${j}`, Text: word, Confidence: line.confidence });
  }
  return { DocumentMetadata: { Pages: 1 }, Blocks: blocks, DetectDocumentTextModelVersion: "1.0" };
}

const meanWordConfidence = Math.round(
  scanLines.reduce((n, l) => n + l.confidence * l.text.split(" ").length, 0) / scanLines.reduce((n, l) => n + l.text.split(" ").length, 0),
);

async function ingestedHome() {
  const home = makeTestHome();
  await ingestCase(readCaseFolder(samples.vawa), new LocalBlobStore(path.join(home.home, "blobs")));
  return home;
}

test("AFFIANT_OCR picks the engine; Lambda defaults to Textract, elsewhere tesseract", async () => {
  assert.equal(ocrEngine({}), "tesseract");
  assert.equal(ocrEngine({ AWS_LAMBDA_FUNCTION_NAME: "affiant-extract" }), "textract");
  assert.equal(ocrEngine({ AWS_LAMBDA_FUNCTION_NAME: "affiant-extract", AFFIANT_OCR: "tesseract" }), "tesseract");
  assert.equal(ocrEngine({ AFFIANT_OCR: "textract" }), "textract");
  assert.throws(
    () => ocrEngine({ AFFIANT_OCR: "abbyy" }),
    (e: Error) => e.name === "Affiant.InvalidInput" && /AFFIANT_OCR/.test(e.message),
  );
  const reader = await openPageReader("eng", { AFFIANT_OCR: "textract", AWS_REGION: "us-east-1" });
  assert.equal(reader.engine, "textract");
  await reader.dispose();
  await reader.dispose();
});

test("Extract reads the scanned police report with Textract, sends the page image, and reports engine and confidence", async () => {
  const server = await startAwsJsonServer({ DetectDocumentText: () => detectAnswer() });
  const home = await ingestedHome();
  try {
    const state = await withEnv({ ...home.env, ...fakeAwsEnv, AFFIANT_OCR: "textract", AWS_ENDPOINT_URL_TEXTRACT: server.url }, () =>
      extractHandler({ input: { caseId: "vawa-sample-0001" }, executionName: "textract-1" }),
    );
    // One page had no text layer, so Textract got exactly one call, signed, for that page.
    assert.equal(server.requests.length, 1);
    const call = server.requests[0]!;
    assert.equal(call.target, "Textract.DetectDocumentText");
    assert.match(String(call.headers.authorization), /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d+\/us-east-1\/textract\//);
    const sent = Buffer.from((call.body.Document as { Bytes: string }).Bytes, "base64");
    assert.deepEqual(sent.subarray(0, 8), pngSignature, "the request carries a PNG");
    // The very image pdf-parse renders for that page, not some other page or document.
    const parser = new PDFParse({ data: readFileSync(path.join(samples.vawa, "police-report-scan.pdf")) });
    const shot = await parser.getScreenshot({ partial: [1], scale: 2, imageBuffer: true, imageDataUrl: false });
    await parser.destroy();
    assert.ok(Buffer.from(shot.pages[0]!.data).equals(sent), "the page's rendered PNG bytes were sent");

    // Indexes only: file names never enter the state (execution history).
    assert.deepEqual(state.extract.ocrPages, [
      { document: state.extract.ocrPages[0]!.document, page: 1, confidence: meanWordConfidence, engine: "textract" },
    ]);
    assert.doesNotMatch(JSON.stringify(state), /\.pdf/i, "no document file name in the state");
    const { files } = await getJson<{ files: string[] }>(new LocalBlobStore(path.join(home.home, "blobs")), state.extract.documentsKey!);
    assert.equal(files[state.extract.ocrPages[0]!.document], "police-report-scan.pdf");
    // Sealed with that home's key, like the vault: opened the way Redact opens it.
    const extracted = await withEnv(home.env, () =>
      getSealedJson<ExtractResult>(new LocalBlobStore(path.join(home.home, "blobs")), state.extract.extractKey, {
        caseId: state.caseId,
        state: "Redact",
      }),
    );
    const page = extracted.documents.find((d) => d.file === "police-report-scan.pdf")!.pages[0]!;
    assert.equal(page.text, scanLines.map((l) => l.text).join("\n"));
    assert.equal(page.ocrEngine, "textract");
    // Logs carry counts and the engine, never the page's text.
    const logs = readFileSync(home.env.AFFIANT_LOG_FILE!, "utf8");
    assert.match(logs, /"ocrEngine":"textract"/);
    assert.doesNotMatch(logs, /Samplefield|Fakerly/);
  } finally {
    await server.close();
  }
});

test("a page Textract refuses is DocumentUnreadable by file and page; throttling is a named service error after retries", async () => {
  const server = await startAwsJsonServer({
    DetectDocumentText: () => {
      throw new AwsErrorReply("UnsupportedDocumentException", 400, "Request has unsupported document format");
    },
  });
  const home = await ingestedHome();
  const env = { ...home.env, ...fakeAwsEnv, AFFIANT_OCR: "textract", AWS_ENDPOINT_URL_TEXTRACT: server.url };
  try {
    await assert.rejects(
      withEnv(env, () => extractHandler({ input: { caseId: "vawa-sample-0001" }, executionName: "textract-2" })),
      (e: Error & { file?: string; page?: number; provider?: string }) =>
        e.name === "Affiant.DocumentUnreadable" &&
        /^\[DOCUMENT_\d+\]$/.test(e.file ?? "") && // by index, never the file name
        e.page === 1 &&
        e.provider === "textract" &&
        /UnsupportedDocumentException/.test(e.message),
    );
    assert.equal(server.requests.length, 1, "a refused document is not retried");

    server.on("DetectDocumentText", () => {
      throw new AwsErrorReply("ThrottlingException", 400, "Rate exceeded");
    });
    await assert.rejects(
      withEnv(env, () => extractHandler({ input: { caseId: "vawa-sample-0001" }, executionName: "textract-3" })),
      (e: Error & { file?: string; page?: number; provider?: string; state?: string }) =>
        e.name === "Affiant.AwsServiceError" &&
        e.provider === "textract" &&
        e.state === "Extract" &&
        /^\[DOCUMENT_\d+\]$/.test(e.file ?? "") && // by index, never the file name
        e.page === 1 &&
        /ThrottlingException/.test(e.message),
    );
    assert.equal(server.requests.length, 1 + 4, "throttling is retried (4 attempts) before it fails");
  } finally {
    await server.close();
  }
});

test("a Textract answer without text is the same unreadable-page error as tesseract's", async () => {
  const server = await startAwsJsonServer({ DetectDocumentText: () => ({ Blocks: [{ BlockType: "PAGE", Id: "p" }] }) });
  const home = await ingestedHome();
  try {
    await assert.rejects(
      withEnv({ ...home.env, ...fakeAwsEnv, AFFIANT_OCR: "textract", AWS_ENDPOINT_URL_TEXTRACT: server.url }, () =>
        extractHandler({ input: { caseId: "vawa-sample-0001" }, executionName: "textract-4" }),
      ),
      (e: Error & { file?: string; page?: number }) =>
        e.name === "Affiant.DocumentUnreadable" &&
        /^\[DOCUMENT_\d+\]$/.test(e.file ?? "") && // by index, never the file name
        e.page === 1 &&
        /OCR found no text/.test(e.message),
    );
    // A caller-supplied client is used as is and left open for its owner.
    const client = new TextractClient({
      endpoint: server.url,
      region: "us-east-1",
      credentials: { accessKeyId: "x", secretAccessKey: "y" },
    });
    const reader = new TextractReader({ client });
    assert.deepEqual(await reader.read(pngSignature, { file: "a.pdf", page: 3 }), { text: "", confidence: 0 });
    await reader.dispose();
    client.destroy();
  } finally {
    await server.close();
  }
});
