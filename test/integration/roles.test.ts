/**
 * Who did what, on the real VAWA sample: the role legend Redact writes from case.json, the
 * legend and the placeholder findings in the real prompts planned for Draft and Rewrite, and
 * the CheckPlaceholders routing on drafts written here by hand (scripted model output): back
 * to rewrite while rounds are left, a named Affiant.PlaceholderCheckFailed after.
 */

import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { getJson, LocalBlobStore, putJson } from "../../core/blob-store.ts";
import { type CaseElements, elementsFor, elementsKey } from "../../core/legal-elements.ts";
import { type RoleLegend, rolesKey } from "../../core/roles.ts";
import { planStage } from "../../core/stages/plan-stage.ts";
import { buildIndex } from "../../functions/build-index.ts";
import { checkDraftPlaceholders } from "../../functions/check-placeholders.ts";
import { makeTestHome, preparedState, stageInputOf } from "../helpers.ts";
import { redactedCase } from "../reinject-fixture.ts";
import { draftOf, legend } from "../roles-fixture.ts";

test("Redact writes the role legend from case.json: placeholders, roles and status, no names", async () => {
  const { state, env } = await preparedState();
  const store = new LocalBlobStore(path.join(env.AFFIANT_HOME!, "blobs"));
  const written = await getJson<RoleLegend>(store, rolesKey(state.runKey));
  assert.equal(written.declarant, "[PERSON_1]");
  const abuser = written.parties.find((p) => p.role === "abuser");
  assert.ok(abuser && /^\[PERSON_\d+\]$/.test(abuser.placeholder), JSON.stringify(written.parties));
  assert.equal(abuser.status, "U.S. citizen");
  assert.ok(written.parties.some((p) => p.role === "witness"));
  assert.ok(written.placeholders.includes(abuser.placeholder));
  const text = JSON.stringify(written);
  for (const name of ["Elena", "Derek", "Samplefield", "Rosa", "Exampleton"]) assert.ok(!text.includes(name), `${name} in the legend`);

  // The legend is in the Draft prompts; a swapped role in the draft reaches the Rewrite prompt.
  const input = stageInputOf("DraftDeclaration", state);
  const countTokens = (t: string) => Math.ceil(t.length / 4);
  const draftJob = await planStage({ stage: "DraftDeclaration", input, store, countTokens, contextLimit: 4096, maxTokens: 256 });
  assert.ok(
    draftJob.calls.every((c) => c.prompt.includes(`Roles:\n[PERSON_1]: declarant ("I")\n${abuser.placeholder}: abuser (U.S. citizen)`)),
  );
  const draft = draftOf({ abuse: `I hit ${abuser.placeholder}.` });
  await putJson(store, `${state.runKey}/draft-0.json`, draft);
  const rewriteJob = await planStage({
    stage: "GuardrailsRewrite",
    input: { ...input, stage: "GuardrailsRewrite", draftKey: `${state.runKey}/draft-0.json`, judgeKeys: [] },
    store,
    countTokens,
    contextLimit: 4096,
    maxTokens: 256,
  });
  const abusePrompt = rewriteJob.calls.find((c) => c.id === "abuse")!.prompt;
  assert.match(abusePrompt, /Placeholders: abuse: \[PERSON_\d+\] is the abuser: the one who did it, not the one it was done to/);
  assert.ok(!rewriteJob.calls.find((c) => c.id === "relationship")!.prompt.includes("Placeholders:"));
});

test("CheckPlaceholders on a scripted draft: back to rewrite while rounds are left, then a named failure for an unknown one, on to review for the rest", async () => {
  const home = makeTestHome();
  const store = new LocalBlobStore(path.join(home.home, "blobs"));
  const runKey = "runs/case-x/exec-1";
  await putJson(store, rolesKey(runKey), legend);
  await putJson(store, `${runKey}/draft-0.json`, draftOf({ abuse: "I pushed [PERSON_2]. [PERSON_9] saw it." }));
  const state = {
    caseId: "case-x",
    caseType: "VAWA",
    runKey,
    executionName: "exec-1",
    rewrites: { n: 0 },
    maxRewrites: 1,
    draft: { outputKey: `${runKey}/draft-0.json` },
  } as unknown as Parameters<typeof checkDraftPlaceholders>[0];
  const first = await checkDraftPlaceholders(state, store);
  assert.deepEqual({ problems: first.problems, rewrite: first.rewrite }, { problems: 2, rewrite: true });
  const stored = await getJson<{ problems: Array<{ kind: string }> }>(store, first.checkKey);
  assert.deepEqual(stored.problems.map((p) => p.kind).sort(), ["unknown", "wrong-slot"]);

  state.rewrites.n = 1;
  await assert.rejects(checkDraftPlaceholders(state, store), (err: Error) => {
    assert.equal(err.name, "Affiant.PlaceholderCheckFailed");
    assert.match(err.message, /unknown ones among them, remain after 1 rewrite\(s\): .*abuse: \[PERSON_2\] is the abuser/);
    assert.match(err.message, /\[PERSON_9\] is not in the case/);
    return true;
  });

  await putJson(store, `${runKey}/draft-1.json`, draftOf({ abuse: "[PERSON_2] pushed me." }));
  state.draft!.outputKey = `${runKey}/draft-1.json`;
  assert.deepEqual((await checkDraftPlaceholders(state, store)).problems, 0);

  // Rounds spent, a swapped role but no unknown placeholder: on to the judges, counted for the gate.
  await putJson(store, `${runKey}/draft-2.json`, draftOf({ abuse: "I pushed [PERSON_2]." }));
  state.draft!.outputKey = `${runKey}/draft-2.json`;
  assert.deepEqual(await checkDraftPlaceholders(state, store), { problems: 1, rewrite: false, checkKey: `${runKey}/placeholders-r1.json` });
});

test("case.json's variant reaches the prompts: Redact writes the checklist, Index and Draft use its elements (VAWA divorced)", async () => {
  const { store, state } = await redactedCase({ executionName: "variant-1", variant: "divorced" });
  const written = await getJson<CaseElements>(store, elementsKey(state.runKey));
  assert.equal(written.variant, "divorced");
  assert.deepEqual(written.elements, elementsFor("VAWA", "divorced"));
  state.index = await buildIndex({ state }, store);
  const input = stageInputOf("DraftDeclaration", state);
  const job = await planStage({
    stage: "DraftDeclaration",
    input,
    store,
    countTokens: (t: string) => Math.ceil(t.length / 4),
    contextLimit: 8192,
    maxTokens: 256,
  });
  assert.deepEqual(
    job.calls.map((c) => c.id),
    elementsFor("VAWA", "divorced").map((e) => e.id),
  );
  assert.ok(job.calls.some((c) => c.prompt.includes("Divorce within two years, connected to the abuse")));
});
