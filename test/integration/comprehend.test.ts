/**
 * Amazon Comprehend in Redact: the real Redact handler and the real
 * @aws-sdk/client-comprehend against a local AWS JSON 1.1 server that plays DetectPiiEntities
 * (offsets in Unicode code points, as Comprehend gives them).
 */

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { ComprehendClient } from "@aws-sdk/client-comprehend";
import { getJson } from "../../core/blob-store.ts";
import { caseKeys } from "../../core/case-file.ts";
import type { ExtractResult } from "../../functions/extract-documents.ts";
import { ComprehendDetector, chunkText, comprehendEnabled } from "../../functions/redaction/comprehend.ts";
import { readVault } from "../../functions/redaction/vault.ts";
import { AwsErrorReply, fakeAwsEnv, startAwsJsonServer, withEnv } from "../aws-json-server.ts";
import { redactedCase } from "../reinject-fixture.ts";

/** What the fake Comprehend "knows": each occurrence of `text` becomes an entity. */
interface Known {
  text: string;
  type: string;
  score: number;
}

function piiAnswer(known: Known[]) {
  return (body: Record<string, unknown>) => {
    const text = String(body.Text);
    const entities = [];
    for (const k of known) {
      for (let i = text.indexOf(k.text); i >= 0; i = text.indexOf(k.text, i + 1)) {
        const begin = [...text.slice(0, i)].length;
        entities.push({ Type: k.type, Score: k.score, BeginOffset: begin, EndOffset: begin + [...k.text].length });
      }
    }
    return { Entities: entities };
  };
}

// A witness named in a new document with no cue word, not in case.json, and written in lower
// case (a text message, an OCR'd note): the rules and the person finder miss her.
const witnessDoc = {
  "witness-note.pdf": [["lucia falsano saw the bruises on my arm in April 2019.", "Springfield neighbours also noticed."]],
};
const known: Known[] = [
  { text: "lucia falsano", type: "NAME", score: 0.98 },
  { text: "Elena Fictitia", type: "NAME", score: 0.99 }, // overlaps the rules' span: the rules win
  // Longer than, and overlapping, the rules' ADDRESS and ZIP spans: still the rules win.
  { text: "4417 Placeholder Avenue, Apt 2B, Springfield, IL 62704", type: "ADDRESS", score: 0.99 },
  { text: "123456789", type: "BANK_ACCOUNT_NUMBER", score: 0.9 }, // inside the A-number: not a type we take
  { text: "April 2019", type: "DATE_TIME", score: 0.99 }, // an event date: evidence, kept
  { text: "Springfield", type: "ADDRESS", score: 0.55 }, // below the score threshold
];
const env = (url: string, extra: Record<string, string> = {}) => ({
  ...fakeAwsEnv,
  AFFIANT_COMPREHEND: "1",
  AWS_ENDPOINT_URL_COMPREHEND: url,
  ...extra,
});
/** A document's redacted pages: the file name itself is a placeholder the vault resolves. */
const redactedText = (r: ExtractResult, file: string, vault: Map<string, string>) =>
  r.documents
    .find((d) => vault.get(d.file) === file)!
    .pages.map((p) => p.text)
    .join("\n");

test("Comprehend is on with AFFIANT_COMPREHEND=1, on in Lambda by default, and can be turned off there", () => {
  assert.equal(comprehendEnabled({}), false);
  assert.equal(comprehendEnabled({ AFFIANT_COMPREHEND: "1" }), true);
  assert.equal(comprehendEnabled({ AWS_LAMBDA_FUNCTION_NAME: "affiant-redact" }), true);
  assert.equal(comprehendEnabled({ AWS_LAMBDA_FUNCTION_NAME: "affiant-redact", AFFIANT_COMPREHEND: "0" }), false);
  assert.throws(
    () => comprehendEnabled({ AFFIANT_COMPREHEND: "maybe" }),
    (e: Error) => e.name === "Affiant.InvalidInput",
  );
});

test("Redact: a name the rules miss is redacted because Comprehend found it; the rules' spans stand", async () => {
  const server = await startAwsJsonServer({ DetectPiiEntities: piiAnswer(known) });
  try {
    // Without Comprehend the rules alone leave the witness's name in the text.
    const plain = await withEnv({ AFFIANT_COMPREHEND: "0" }, () => redactedCase({ executionName: "plain", addDocuments: witnessDoc }));
    const plainVault = await readVault(plain.store, caseKeys.vault(plain.state.caseId, plain.state.executionName));
    assert.match(
      redactedText(await getJson<ExtractResult>(plain.store, plain.state.redact!.redactedKey), "witness-note.pdf", plainVault),
      /lucia falsano/,
    );

    const { home, store, state } = await withEnv(env(server.url), () =>
      redactedCase({ executionName: "comprehend-1", addDocuments: witnessDoc }),
    );
    const redacted = await getJson<ExtractResult>(store, state.redact!.redactedKey);
    const vault = await readVault(store, caseKeys.vault(state.caseId, state.executionName));
    const witness = redactedText(redacted, "witness-note.pdf", vault);
    assert.doesNotMatch(witness, /lucia|falsano/i);
    const placeholder = [...vault].find(([, v]) => v === "lucia falsano")?.[0];
    assert.match(placeholder ?? "", /^\[PERSON_\d+\]$/, "the witness got a PERSON placeholder");
    assert.ok(witness.includes(`${placeholder} saw the bruises`));
    // Types we do not take, and scores below the threshold, change nothing.
    assert.match(witness, /in April 2019\./);
    assert.match(witness, /^Springfield neighbours/m);
    // The rules still own what they found: the A-number and the declarant keep their placeholders.
    const intake = redactedText(redacted, "intake-notes.pdf", vault);
    assert.match(intake, /Client: \[PERSON_1\]\. A-Number: \[A_NUMBER_1\]\./);
    assert.match(intake, /Address: \[ADDRESS_\d+\], Springfield, IL \[ZIP_\d+\]\./);
    assert.equal(vault.get("[PERSON_1]"), "Elena Fictitia Marsh");
    assert.equal(vault.get("[A_NUMBER_1]"), "A123456789");
    assert.equal(state.redact!.entityCount, plain.state.redact!.entityCount + 1, "Comprehend added exactly the witness");

    // One signed English request per page, to the Comprehend API.
    const pages = redacted.documents.reduce((n, d) => n + d.pages.length, 0);
    assert.equal(server.requests.length, pages);
    for (const r of server.requests) {
      assert.equal(r.target, "Comprehend_20171127.DetectPiiEntities");
      assert.equal(r.body.LanguageCode, "en");
      assert.match(String(r.headers.authorization), /\/us-east-1\/comprehend\/aws4_request/);
    }
    const logs = readFileSync(home.env.AFFIANT_LOG_FILE!, "utf8");
    const done = logs
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .filter((l) => l.event === "redact.done")
      .at(-1);
    assert.equal(done.comprehendAdded, 1);
    assert.equal(done.comprehendCalls, pages);
    assert.doesNotMatch(logs, /lucia|falsano|Elena/i);
  } finally {
    await server.close();
  }
});

test("a Spanish case asks Comprehend in Spanish", async () => {
  const server = await startAwsJsonServer({ DetectPiiEntities: piiAnswer(known) });
  try {
    await withEnv(env(server.url), () => redactedCase({ executionName: "comprehend-es", language: "es" }));
    assert.ok(server.requests.length > 0);
    assert.ok(server.requests.every((r) => r.body.LanguageCode === "es"));
  } finally {
    await server.close();
  }
});

test("Redact told to use Comprehend fails closed when Comprehend fails, naming the page", async () => {
  const server = await startAwsJsonServer({
    DetectPiiEntities: () => {
      throw new AwsErrorReply("TooManyRequestsException", 400, "Rate exceeded");
    },
  });
  try {
    await assert.rejects(
      withEnv(env(server.url), () => redactedCase({ executionName: "comprehend-fail" })),
      (e: Error & { state?: string; provider?: string; file?: string; page?: number }) =>
        e.name === "Affiant.AwsServiceError" &&
        e.state === "Redact" &&
        e.provider === "comprehend" &&
        // The document by its index, never its file name (which carries clients' names).
        /^\[DOCUMENT_\d+\]$/.test(e.file ?? "") &&
        e.page! >= 1 &&
        e.message.includes(`DetectPiiEntities failed for ${e.file} page ${e.page} (400: TooManyRequestsException)`),
    );
    // Throttling was retried (4 attempts for the page that failed) before Redact gave up.
    const first = String(server.requests[0]!.body.Text);
    assert.ok(server.requests.filter((r) => r.body.Text === first).length >= 2, "the throttled page was retried");
    // Nothing less-redacted was written for the next state to pick up.
    const blobs = path.join(process.env.AFFIANT_HOME!, "blobs");
    assert.equal(existsSync(path.join(blobs, "runs", "vawa-sample-0001", "comprehend-fail", "redacted.json")), false);
    assert.equal(existsSync(path.join(blobs, caseKeys.vault("vawa-sample-0001", "comprehend-fail"))), false);
  } finally {
    await server.close();
  }
});

test("long text goes in chunks under the 100 KB UTF-8 limit; code-point offsets land on the right characters", async () => {
  const server = await startAwsJsonServer({ DetectPiiEntities: piiAnswer([{ text: "Lucia Falsano", type: "NAME", score: 0.97 }]) });
  const client = new ComprehendClient({
    endpoint: server.url,
    region: "us-east-1",
    credentials: { accessKeyId: "x", secretAccessKey: "y" },
  });
  const detector = new ComprehendDetector({ client });
  try {
    // Multi-byte text (ñ, ú: 2 bytes; 🙂: 4 bytes, two UTF-16 units) past 200 KB.
    const text = `🙂 Lucia Falsano called. ${"ñandú 🙂 ".repeat(20_000)}Then Lucia Falsano called again.`;
    const found = await detector.detect(text, "en", { file: "long.pdf", page: 1 });
    assert.ok(server.requests.length >= 3, `${server.requests.length} requests`);
    for (const r of server.requests) assert.ok(Buffer.byteLength(String(r.body.Text), "utf8") <= 99_000);
    assert.equal(server.requests.map((r) => String(r.body.Text)).join(""), text, "the chunks cover the text exactly");
    assert.equal(found.length, 2);
    for (const d of found) assert.equal(text.slice(d.start, d.end), "Lucia Falsano");
    assert.deepEqual(
      found.map((d) => d.type),
      ["PERSON", "PERSON"],
    );
    assert.deepEqual(chunkText("", 10), []);
    assert.deepEqual(
      chunkText("abc def ghi", 8).map((c) => c.text),
      ["abc def ", "ghi"],
    );
  } finally {
    detector.dispose();
    detector.dispose();
    client.destroy();
    await server.close();
  }
});

test("a PERSON span Comprehend finds in an agency's place is kept; the same word elsewhere is not", async () => {
  const server = await startAwsJsonServer({ DetectPiiEntities: piiAnswer([{ text: "Houston", type: "NAME", score: 0.95 }]) });
  const client = new ComprehendClient({
    endpoint: server.url,
    region: "us-east-1",
    credentials: { accessKeyId: "x", secretAccessKey: "y" },
  });
  const detector = new ComprehendDetector({ client });
  try {
    const text = "She called the Houston Police Department. Later Houston Marsh answered.";
    const found = await detector.detect(text, "en", { file: "agency.pdf", page: 1 });
    assert.deepEqual(
      found.map((d) => [d.type, d.start]),
      [["PERSON", text.lastIndexOf("Houston")]],
    );
  } finally {
    detector.dispose();
    client.destroy();
    await server.close();
  }
});
