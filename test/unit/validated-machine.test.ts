/** A definition is validated once: a definition that passed is recorded by hash and built without validation after; one that fails is never recorded. */

import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import "../../workflows/engine/polyfill.ts";
import { loadRegistry } from "../../core/registry.ts";
import { buildDefinition } from "../../workflows/definition.ts";
import { withTimerRange } from "../../workflows/engine/local-engine.ts";
import { cacheDir, definitionHash, validatedMachine } from "../../workflows/engine/validated-machine.ts";

test("a valid definition is recorded by its hash; an invalid one throws every time and is never recorded", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "affiant-cache-"));
  const before = process.env.AFFIANT_CACHE_DIR;
  process.env.AFFIANT_CACHE_DIR = dir;
  try {
    assert.equal(cacheDir(), dir);
    const definition = withTimerRange(buildDefinition({ registry: loadRegistry() }));
    validatedMachine(definition);
    assert.ok(existsSync(path.join(dir, "valid-definitions", definitionHash(definition))));
    validatedMachine(definition); // recorded: built without validating again
    // A Next that names no state: asl-validator refuses it, so no marker is written.
    const broken = structuredClone(definition);
    const first = Object.values(broken.States).find((s) => typeof (s as { Next?: string }).Next === "string") as unknown as {
      Next: string;
    };
    first.Next = "NoSuchState";
    for (let i = 0; i < 2; i++) assert.throws(() => validatedMachine(broken), /NoSuchState|Next|invalid/i);
    assert.deepEqual(readdirSync(path.join(dir, "valid-definitions")), [definitionHash(definition)]);
  } finally {
    if (before === undefined) delete process.env.AFFIANT_CACHE_DIR;
    else process.env.AFFIANT_CACHE_DIR = before;
  }
});
