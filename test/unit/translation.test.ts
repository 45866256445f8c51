/**
 * TranslateDeclaration (core/stages/translate-declaration.ts) and its checks
 * (core/translation.ts): its plan asks one call per drafted paragraph; its finish keeps the
 * Spanish with the English's placeholders, names unknown and mangled ones in an
 * Affiant.PlaceholderMismatch, and records dropped ones for the review; the definition runs it
 * only for `"language": "es"`, after the quality gate and before Reinject. Model outputs here
 * are written by the test (the stage's finish is what is under test, not a model).
 */

import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { LocalBlobStore, putJson } from "../../core/blob-store.ts";
import type { Draft } from "../../core/declaration.ts";
import { legalElements, variantElements } from "../../core/legal-elements.ts";
import { loadRegistry } from "../../core/registry.ts";
import { elementQuery, rankChunks, retrievalQueries } from "../../core/retrieval.ts";
import { stageModules } from "../../core/stages/index.ts";
import { planStage } from "../../core/stages/plan-stage.ts";
import type { StageInput } from "../../core/stages/task-env.ts";
import { translateDeclaration } from "../../core/stages/translate-declaration.ts";
import { checkTranslatedPlaceholders, placeholderShape, type Translation } from "../../core/translation.ts";
import { placeholderPattern } from "../../functions/redaction/redactor.ts";
import { buildDefinition, neededStateName } from "../../workflows/definition.ts";
import { root } from "../helpers.ts";

async function planned() {
  const store = new LocalBlobStore(mkdtempSync(path.join(os.tmpdir(), "affiant-translate-")));
  const draft: Draft = {
    caseType: "VAWA",
    round: 1,
    paragraphs: [
      {
        element: "relationship",
        title: "Qualifying relationship",
        text: "I, [PERSON_1], married [PERSON_2] on [DATE_1].",
        sources: [],
        citations: [],
      },
      { element: "abuse", title: "Battery or extreme cruelty", text: "", sources: [], citations: [] },
      { element: "residence", title: "Shared residence", text: "We lived at [ADDRESS_1].", sources: [], citations: [] },
    ],
  };
  await putJson(store, "runs/t/draft-1.json", draft);
  await putJson(store, "runs/t/index.json", { chunks: [] });
  const input: StageInput = {
    stage: "TranslateDeclaration",
    executionName: "t-1",
    caseId: "t",
    caseType: "VAWA",
    runKey: "runs/t",
    faults: {},
    indexKey: "runs/t/index.json",
    round: 1,
    draftKey: "runs/t/draft-1.json",
  };
  const job = await planStage({
    stage: "TranslateDeclaration",
    input,
    store,
    countTokens: (t) => Math.ceil(t.length / 4),
    contextLimit: 4096,
    maxTokens: 400,
  });
  return { store, job };
}

test("TranslateDeclaration asks one call per drafted paragraph, each prompt holding that paragraph and asking for Spanish", async () => {
  const { job } = await planned();
  assert.deepEqual(
    job.calls.map((c) => c.id),
    ["relationship", "residence"],
  );
  assert.match(job.calls[0]!.prompt, /I, \[PERSON_1\], married \[PERSON_2\] on \[DATE_1\]\./);
  assert.match(job.calls[0]!.prompt, /Spanish translation:\s*$/);
  assert.equal(job.calls[0]!.maxTokens, 200);
});

test("scripted outputs: a faithful translation is stored with Spanish headings, the empty paragraph kept empty, a dropped placeholder recorded", async () => {
  const { store, job } = await planned();
  const key = await job.finish(["Yo, [PERSON_1], me casé con [PERSON_2] el [DATE_1].", "Vivíamos juntos."]);
  assert.equal(key, "runs/t/translation-1.json");
  const t: Translation = await translateDeclaration.readOutput(store, key);
  assert.equal(t.language, "es");
  assert.equal(t.draftKey, "runs/t/draft-1.json");
  // The headings are the case's elements' Spanish titles (no elements.json here: the default variant, a spouse).
  assert.deepEqual(
    t.paragraphs.map((p) => p.title),
    [
      "Relación que califica: matrimonio con el agresor",
      "Agresión o crueldad extrema durante el matrimonio, contra el autopeticionario o contra su hijo o hija",
      "Residencia compartida con el agresor",
    ],
  );
  assert.deepEqual(
    t.paragraphs.map((p) => p.text),
    ["Yo, [PERSON_1], me casé con [PERSON_2] el [DATE_1].", "", "Vivíamos juntos."],
  );
  assert.deepEqual(
    t.paragraphs.map((p) => p.missingPlaceholders),
    [[], [], ["[ADDRESS_1]"]],
  );
});

test("scripted outputs: an unknown placeholder and a mangled one fail the stage with Affiant.PlaceholderMismatch naming both and the elements", async () => {
  const { job } = await planned();
  await assert.rejects(job.finish(["Yo, [PERSON_1], me casé con [PERSON_3] el [DATE_1].", "Vivíamos en [ADDRESS 1]."]), (err: Error) => {
    assert.equal(err.name, "Affiant.PlaceholderMismatch");
    assert.match(err.message, /relationship: unknown \[PERSON_3\]/);
    assert.match(err.message, /residence: malformed "\[ADDRESS 1\]"/);
    return true;
  });
});

test("placeholder check: each mangled shape is caught, well-formed ones are not", () => {
  const english = "[PERSON_1] met [PERSON_2] and [A_NUMBER_1].";
  for (const bad of ["[PERSON 2]", "PERSON_2]", "[PERSON_2", "[person_2]", "[ PERSON_2 ]"]) {
    const check = checkTranslatedPlaceholders(english, `[PERSON_1] conoció a ${bad} y [A_NUMBER_1].`);
    assert.equal(check.malformed.length, 1, `${bad} is malformed (got ${JSON.stringify(check)})`);
  }
  assert.deepEqual(checkTranslatedPlaceholders(english, "[PERSON_1] conoció a [PERSON_2] y [A_NUMBER_1]."), {
    unknown: [],
    malformed: [],
    missing: [],
  });
  assert.deepEqual(checkTranslatedPlaceholders(english, "[PERSONA_1] conoció a [PERSON_2]."), {
    unknown: ["[PERSONA_1]"],
    malformed: [],
    missing: ["[PERSON_1]", "[A_NUMBER_1]"],
  });
  assert.equal(placeholderShape.source, placeholderPattern.source, "core/translation.ts's pattern is the redactor's");
});

test("the definition runs TranslateDeclaration only for language es, after the quality gate, before Reinject", () => {
  const definition = buildDefinition({ registry: loadRegistry(path.join(root, "models", "registry.json")) });
  const states = definition.States as Record<string, any>;
  assert.equal(states.QualityGate.Default, neededStateName("TranslateDeclaration"));
  const needed = states.TranslateDeclarationNeeded;
  assert.equal(needed.Type, "Choice");
  assert.deepEqual(needed.Choices, [
    {
      And: [
        { Variable: "$.language", IsPresent: true },
        { Variable: "$.language", StringEquals: "es" },
      ],
      Next: "TranslateDeclarationAdmit",
    },
  ]);
  assert.equal(needed.Default, "Reinject");
  assert.equal(states.TranslateDeclaration.Next, "Reinject");
  assert.equal(states.TranslateDeclarationFallback.Next, "Reinject");
  assert.equal(states.TranslateDeclaration.ResultPath, "$.translation");
  const env = states.TranslateDeclaration.Parameters.Environment.map((e: { Name: string }) => e.Name);
  assert.ok(env.includes("AFFIANT_DRAFT_KEY") && !env.includes("AFFIANT_JUDGE_KEYS"));
  assert.deepEqual(
    stageModules.filter((m) => m.phase === "finish").map((m) => m.name),
    ["TranslateDeclaration"],
  );
});

test("retrieval for a case in Spanish: each element's query has Spanish terms, and a Spanish statement ranks first by them", () => {
  for (const caseType of ["VAWA", "T"] as const) {
    const en = retrievalQueries(caseType);
    const es = retrievalQueries(caseType, "es");
    assert.equal(es.length, en.length);
    legalElements[caseType].forEach((element, i) => {
      assert.ok(element.queryEs.split(" ").length >= 4, `${element.id} has Spanish terms`);
      assert.equal(es[i + 1], `${element.query} ${element.queryEs}`);
      assert.equal(en[i + 1], element.query, "English cases keep their queries");
    });
  }
  // Every variant's elements (case.json "variant"), not only the defaults: Spanish terms and a Spanish heading.
  for (const [caseType, variants] of Object.entries(variantElements)) {
    for (const [variant, elements] of Object.entries(variants as Record<string, typeof legalElements.VAWA>)) {
      const es = retrievalQueries(caseType as "VAWA" | "T", "es", elements);
      for (const element of elements) {
        assert.ok(element.queryEs.split(" ").length >= 4, `${caseType} ${variant} ${element.id} has Spanish terms`);
        assert.ok(
          es.includes(`${element.query} ${element.queryEs}`),
          `${caseType} ${variant} ${element.id}: its Spanish query is ranked by`,
        );
        assert.ok(element.titleEs && element.titleEs !== element.title, `${caseType} ${variant} ${element.id} has a Spanish heading`);
      }
    }
  }
  const chunks = [
    { id: "a#p1-1", file: "[DOCUMENT_1]", page: 1, text: "We bought groceries on Tuesday." },
    { id: "b#p1-1", file: "[DOCUMENT_2]", page: 1, text: "Mi esposo me empujó y me golpeó; me amenazó y llamé a la policía." },
  ];
  const abuse = legalElements.VAWA.find((e) => e.id === "abuse")!;
  assert.deepEqual(rankChunks({ chunks, language: "es" }, elementQuery(abuse, "es")).map((c) => c.id)[0], "b#p1-1");
});
