/**
 * Attorney notes as people type them (lower-case names, spaced and dotted numbers, a missing
 * "A", a lower-case address, names nobody listed) go through AttorneyNotes' redaction and the
 * privacy guard to a recording hosted provider: the request carries placeholders and
 * [REDACTED], none of the values.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { setEnv } from "../../core/config.ts";
import { openrouter } from "../../core/providers/openrouter.ts";
import { privacyGuard } from "../../functions/redaction/privacy-guard.ts";
import { Redactor } from "../../functions/redaction/redactor.ts";
import { redactNotes } from "../../functions/review-notes.ts";
import { startRecordingProviders } from "../../workflows/recording-providers.ts";

const vault = new Map([
  ["[PERSON_1]", "Elena Fictitia Marsh"],
  ["[PERSON_2]", "Derek Samplefield"],
  ["[A_NUMBER_1]", "A123456789"],
  ["[SSN_1]", "321-54-9876"],
  ["[ADDRESS_1]", "4417 Placeholder Ave"],
  ["[PHONE_1]", "(555) 010-4477"],
]);

const notes =
  "paragraph 2: say more about what derek samplefield did to elena in march. her ssn is 321 54 9876 and her a-number 123.456.789; " +
  "she lived at 4417 placeholder ave. her cousin okafor lindqvist (5550104477) and Brennan Tolliver saw it. derek's sister ximena quetzali called too.";
const values = [
  "derek",
  "samplefield",
  "elena",
  "fictitia",
  "321 54 9876",
  "9876",
  "123.456.789",
  "456",
  "placeholder",
  "okafor",
  "lindqvist",
  "5550104477",
  "brennan",
  "tolliver",
  "ximena",
  "quetzali",
];

test("notes as people type them reach a hosted provider with none of their values", async () => {
  const providers = await startRecordingProviders();
  const restore = setEnv(providers.env);
  try {
    const redacted = redactNotes(notes, vault, new Redactor([{ name: "Elena Fictitia Marsh" }, { name: "Derek Samplefield" }]));
    const prompt = `Rewrite the declaration.\nReviewers said:\nAttorney review: ${redacted}`;
    privacyGuard(vault).check("GuardrailsRewriteFallback", prompt);
    const client = await openrouter.client("acme/case-model");
    assert.ok(client, "OpenRouter is configured against the recording endpoint");
    await client.complete({ stage: "GuardrailsRewrite", prompt, maxTokens: 100, temperature: 0 });
    const bodies = providers.requests.map((r) => r.body.toLowerCase());
    assert.equal(bodies.length, 1);
    assert.ok(bodies[0]!.includes("attorney review"), "the notes went");
    assert.match(bodies[0]!, /\[person_2\]/, "as placeholders");
    const leaks = values.filter((v) => bodies.some((b) => b.includes(v.toLowerCase())));
    assert.deepEqual(leaks, []);
  } finally {
    restore();
    await providers.close();
  }
});
