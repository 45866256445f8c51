/**
 * Whether the Bedrock models a registry names are still offered. Bedrock moves a model from
 * Active to Legacy (new customers refused) and then to end of life (every request fails); a
 * fallback chain that starts with such a model falls through to the next provider, or to
 * NoProviderAvailable. Two sources: a checked-in snapshot of Bedrock's lifecycle pages
 * (models/bedrock-lifecycle.json, dated, with the page each row rests on), which the
 * rehearsal reads offline, and GetFoundationModel's `modelLifecycle.status`, which
 * `affiant models check --bedrock` asks before a deploy.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Registry } from "../registry.ts";

/** GetFoundationModel's `modelLifecycle.status` values. */
export type LifecycleStatus = "ACTIVE" | "LEGACY" | "EOL";

export interface LifecycleSnapshot {
  /** The day the pages were read (YYYY-MM-DD). */
  read: string;
  sources: Record<string, string>;
  models: Record<string, { status: LifecycleStatus; launched?: string; eol?: string; basis: string }>;
}

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const lifecycleSnapshotFile = path.join(projectRoot, "models", "bedrock-lifecycle.json");

export function loadLifecycleSnapshot(file: string = lifecycleSnapshotFile): LifecycleSnapshot {
  return JSON.parse(readFileSync(file, "utf8")) as LifecycleSnapshot;
}

/** Cross-region inference profiles (`us.…`, `global.…`) route to the foundation model after the prefix. */
const inferenceProfile = /^(us|eu|apac|global|us-gov)\.(.+)$/;
export const foundationModelId = (id: string): string => inferenceProfile.exec(id)?.[2] ?? id;

/** Every Bedrock model id the registry may call: fallback chains, hosted pricing, and the embedding model. */
export function registryBedrockIds(registry: Registry): string[] {
  const ids = new Set<string>();
  const add = (ref: string) => ref.startsWith("bedrock:") && ids.add(ref.slice("bedrock:".length));
  for (const entry of Object.values(registry.stages)) for (const ref of entry.fallback) add(ref);
  for (const ref of Object.keys(registry.pricing?.hosted ?? {})) add(ref);
  const embedding = (registry as { embedding?: { bedrock?: { model?: string } } }).embedding?.bedrock?.model;
  if (embedding) ids.add(embedding);
  return [...ids].sort();
}

/** Why a model id may not be deployed on `today` (YYYY-MM-DD), or undefined when it is Active. */
export function lifecycleProblem(snapshot: LifecycleSnapshot, id: string, today: string): string | undefined {
  const row = snapshot.models[foundationModelId(id)];
  if (!row)
    return `${id}: not in the Bedrock lifecycle snapshot (models/bedrock-lifecycle.json, read ${snapshot.read}): add its row from its model card`;
  if (row.status !== "ACTIVE") return `${id}: ${row.status}${row.eol ? `, end of life ${row.eol}` : ""} (${row.basis})`;
  if (row.eol && row.eol <= today) return `${id}: end of life ${row.eol}`;
  return undefined;
}

/** One problem per Bedrock id of the registry that is not Active in the snapshot. */
export function registryLifecycleProblems(registry: Registry, snapshot: LifecycleSnapshot, today: string): string[] {
  return registryBedrockIds(registry)
    .map((id) => lifecycleProblem(snapshot, id, today))
    .filter((p): p is string => p !== undefined);
}
