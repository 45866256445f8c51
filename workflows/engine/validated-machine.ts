/**
 * The local engine's state machine, its definition validated once. aws-local-stepfunctions
 * validates a definition with asl-validator (JSON schemas compiled by ajv) each time a
 * StateMachine is built: about a second of CPU, in every `affiant run`, `serve` and engine.
 * A definition is a pure function of the registry, so a definition that passed is recorded
 * by its hash in the cache folder (`AFFIANT_CACHE_DIR`, default `<home>/cache`: it holds no
 * client data) and built without validation after that. A definition that fails is never
 * recorded, so it fails every time.
 */
import { createHash } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { StateMachine } from "aws-local-stepfunctions";
import { config } from "../../core/config.ts";
import { affiantHome, privateDir } from "../../core/paths.ts";
import type { AslDefinition } from "../definition.ts";

const validationOptions = { checkArn: true, checkPaths: true } as const;
/** Hashes validated in this process (engines built again in one process skip the disk too). */
const validated = new Set<string>();

export function cacheDir(): string {
  return path.resolve(config().AFFIANT_CACHE_DIR ?? path.join(affiantHome(), "cache"));
}

export function definitionHash(definition: AslDefinition): string {
  return createHash("sha256").update(JSON.stringify({ definition, validationOptions })).digest("hex");
}

/** A StateMachine for `definition`, validated unless this exact definition passed before. */
export function validatedMachine(definition: AslDefinition): StateMachine {
  const hash = definitionHash(definition);
  const marker = path.join(cacheDir(), "valid-definitions", hash);
  // The library annotates the object it is given (QueryLanguage…): it gets a copy, so the
  // caller's definition, and its hash, stay as they were.
  if (validated.has(hash) || existsSync(marker))
    return new StateMachine(structuredClone(definition) as never, { validationOptions: { noValidate: true } });
  // Throws on an invalid definition: nothing is recorded.
  const machine = new StateMachine(structuredClone(definition) as never, { validationOptions });
  validated.add(hash);
  try {
    privateDir(path.dirname(marker));
    writeFileSync(marker, "");
  } catch {
    // A cache that cannot be written costs the next process a validation, nothing more.
  }
  return machine;
}
