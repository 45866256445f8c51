/**
 * A game day: many cases through the local engine with real worker faults injected into a
 * seeded share of GPU stages. Every case must complete (through fallbacks) and nothing
 * that can leave the account may hold a vault value. The cases are seeded variants of the
 * samples (workflows/samples/sample-cases.ts): other people, numbers and dates in the same stories.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { caseKeys } from "../core/case-file.ts";
import { setEnv } from "../core/config.ts";
import { CircuitOpenError } from "../core/errors.ts";
import { type FaultKind, faultKinds } from "../core/faults.ts";
import { affiantHome, homePaths } from "../core/paths.ts";
import { loadRegistry, modelFilePath } from "../core/registry.ts";
import { gpuStages } from "../core/state-names.ts";
import { readVault } from "../functions/redaction/vault.ts";
import { ingestCase, readCaseFolder } from "./engine/case-intake.ts";
import { LocalEngine } from "./engine/local-engine.ts";
import { startRecordingProviders } from "./recording-providers.ts";
import { caseVariant, sampleCases, writeCase } from "./samples/sample-cases.ts";

/** The shipped registry's priced hosted models, answered by the stand-ins. */
const hostedStandIns = {
  bedrock: "bedrock:anthropic.claude-haiku-4-5-20251001-v1:0",
  openrouter: "openrouter:meta-llama/llama-3.3-70b-instruct",
};

export interface GamedayOptions {
  /** Default: 20. */
  cases?: number;
  /** Share of GPU stages given a fault. Default: 0.4. */
  faultRate?: number;
  /** Default: 1. */
  seed?: number;
  /**
   * Cases running at once on the one engine, as `affiant serve` runs them. Default: 1. The
   * cases and their faults are drawn from the seed before any starts, so a seed picks the
   * same game day at any concurrency.
   */
  concurrency?: number;
  onCase?: (done: number, total: number, status: string) => void;
  /**
   * Put stand-in Bedrock and OpenRouter endpoints first in every stage's fallback chain, and
   * check every request they received for vault values. Default: true.
   */
  hosted?: boolean;
}

export interface GamedayReport {
  cases: number;
  completed: number;
  failed: number;
  /** Stages given a fault whose worker ran with it. */
  faultsInjected: number;
  /**
   * Stages given a fault that the circuit breaker skipped before any worker started (the
   * model had failed too often in earlier cases): their fault never ran.
   */
  faultsSkipped: number;
  fallbacksByReason: Record<string, number>;
  worstFaultCostSeconds: number;
  leaks: number;
  /** How many vault values the leak check looked for, by placeholder type (never values). */
  leakCheckedByType: Record<string, number>;
  failures: Array<{ executionId: string; error: string }>;
  /** Requests the stand-in hosted endpoints received (0 with `hosted: false`). */
  hostedRequests: number;
}

/** mulberry32: a small seeded PRNG, so a game day can be replayed exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const f = path.join(dir, n);
    return statSync(f).isDirectory() ? filesUnder(f) : [f];
  });
}

export async function runGameday(options: GamedayOptions = {}): Promise<GamedayReport> {
  const total = options.cases ?? 20;
  const rate = options.faultRate ?? 0.4;
  const seed = options.seed ?? 1;
  const random = seededRandom(seed);
  // A stream of its own: the faults a seed picks do not depend on how variants are drawn.
  const identities = seededRandom((Math.imul(seed, 0x9e3779b1) ^ 0x5bd1e995) >>> 0);
  const workDir = path.join(homePaths.blobs(), "..", "gameday");
  rmSync(workDir, { recursive: true, force: true });
  const report: GamedayReport = {
    cases: total,
    completed: 0,
    failed: 0,
    faultsInjected: 0,
    faultsSkipped: 0,
    fallbacksByReason: {},
    worstFaultCostSeconds: 0,
    leaks: 0,
    leakCheckedByType: {},
    failures: [],
    hostedRequests: 0,
  };
  mkdirSync(workDir, { recursive: true });
  const hosted = options.hosted === false ? undefined : await startRecordingProviders();
  let restoreEnv = () => {};
  if (hosted) {
    // Every stage's chain starts with a hosted model (alternating providers), served by the
    // recording stand-ins: a fault sends the stage's redacted prompt out of the "account".
    const registry = loadRegistry();
    // The copy lives elsewhere: model files are pinned to where they are now.
    for (const id of Object.keys(registry.models)) registry.models[id]!.file = modelFilePath(registry, id);
    gpuStages.forEach((stage, i) => {
      const entry = registry.stages[stage];
      if (entry) entry.fallback = [i % 2 ? hostedStandIns.bedrock : hostedStandIns.openrouter, ...entry.fallback];
    });
    const registryFile = path.join(workDir, "registry.json");
    writeFileSync(registryFile, JSON.stringify(registry, null, 2));
    restoreEnv = setEnv({ ...hosted.env, AFFIANT_REGISTRY: registryFile });
  }
  const engine = new LocalEngine();
  try {
    // Every case and its faults, drawn in order from the seed before any runs.
    const planned: Array<{ caseId: string; dir: string; faults: Record<string, FaultKind> }> = [];
    for (let i = 0; i < total; i++) {
      // Variants of the samples: the same stories with other people, numbers and dates, so
      // each case is redacted, and checked for leaks, on values of its own.
      const caseId = `gameday-${seed}-${i}`;
      const dir = path.join(workDir, `case-${i}`);
      await writeCase(caseVariant(sampleCases[i % sampleCases.length]!, identities, caseId), dir);
      const faults: Record<string, FaultKind> = {};
      for (const stage of gpuStages) if (random() < rate) faults[stage] = faultKinds[Math.floor(random() * faultKinds.length)]!;
      planned.push({ caseId, dir, faults });
    }
    const finished: Array<{ caseId: string; executionId: string }> = [];
    let next = 0;
    let done = 0;
    const lane = async () => {
      for (let i = next++; i < planned.length; i = next++) {
        const { caseId, dir, faults } = planned[i]!;
        await ingestCase(readCaseFolder(dir), engine.store);
        const summary = await engine.run({ caseId, caseDir: dir, faults, approve: { via: "gameday" } });
        for (const s of summary.states) {
          // A stage's breaker refusal is on its Admit state (the GPU state never started).
          const admitted = s.name.endsWith("Admit") ? s.name.slice(0, -"Admit".length) : undefined;
          if (admitted && faults[admitted] && s.error === CircuitOpenError.errorName) {
            // Skipped ahead of time by the circuit breaker: no worker ran, so no fault did.
            report.faultsSkipped++;
          } else if (faults[s.name] && (s.status === "FAILED" || s.status === "SUCCEEDED")) {
            // A worker ran with the fault (a `slow` one may still finish inside its timeout).
            report.faultsInjected++;
            if (s.status === "FAILED")
              report.worstFaultCostSeconds = Math.max(
                report.worstFaultCostSeconds,
                (Date.parse(s.endedAt ?? s.startedAt) - Date.parse(s.startedAt)) / 1000,
              );
          }
          if (s.fallbackReason) report.fallbacksByReason[s.fallbackReason] = (report.fallbacksByReason[s.fallbackReason] ?? 0) + 1;
        }
        if (summary.status === "SUCCEEDED") report.completed++;
        else {
          report.failed++;
          report.failures.push({ executionId: summary.executionId, error: summary.error ?? "unknown" });
        }
        finished.push({ caseId, executionId: summary.executionId });
        options.onCase?.(++done, total, summary.status);
      }
    };
    const lanes = Math.max(1, Math.min(options.concurrency ?? 1, total));
    await Promise.all(Array.from({ length: lanes }, lane));
    // Cases ran side by side, so a request cannot be told apart by when it came: every
    // request the stand-ins received is checked for every case's values.
    const sent = hosted?.requests.map((r) => r.body) ?? [];
    report.hostedRequests = sent.length;
    for (const { caseId, executionId } of finished)
      report.leaks += await countLeaks(engine, caseId, executionId, sent, report.leakCheckedByType);
  } finally {
    engine.dispose();
    await hosted?.close();
    restoreEnv();
  }
  report.worstFaultCostSeconds = Math.round(report.worstFaultCostSeconds * 100) / 100;
  return report;
}

/**
 * Vault values found in anything that may leave the account or be read by operators: every
 * request the hosted stand-ins received during the case, every blob of the run under runs/
 * (placeholders only: the outputs with real values are under the run's private/ prefix, and
 * the pre-redaction text is sealed like the vault), the history database and the logs. Every type redaction knows is looked for, the second round's
 * identifiers (ITIN, I-94, incident, case, badge, licence, plate) and file names included.
 */
async function countLeaks(
  engine: LocalEngine,
  caseId: string,
  executionId: string,
  sent: string[],
  checked: Record<string, number>,
): Promise<number> {
  const vaultKey = caseKeys.vault(caseId, executionId);
  if (!(await engine.store.exists(vaultKey))) return 0;
  const entries = [...(await readVault(engine.store, vaultKey))].filter(([, v]) => v.length >= 4);
  // Counted by type (never by value), so a report shows which kinds the check looked for.
  for (const [placeholder] of entries) {
    const type = placeholder.replace(/^\[|_\d+\]$/g, "");
    checked[type] = (checked[type] ?? 0) + 1;
  }
  const runDir = path.join(homePaths.blobs(), ...caseKeys.run(caseId, executionId).split("/"));
  const files = [...filesUnder(runDir), homePaths.database(), homePaths.logFile()];
  const matchers = entries.map(([placeholder, v]) => ({ type: placeholder.replace(/^\[|_\d+\]$/g, ""), value: v, found: valueMatcher(v) }));
  let leaks = 0;
  const report = (type: string, where: string) => {
    leaks++;
    // The type and the place, never the value: this line is itself read by operators.
    process.stderr.write(`gameday: a ${type} value of ${caseId} was found in ${where}\n`);
  };
  sent.forEach((body, i) => {
    for (const m of matchers) if (m.found(body)) report(m.type, `hosted request ${i + 1}`);
  });
  for (const f of files) {
    if (!existsSync(f)) continue;
    const text = readFileSync(f, "latin1");
    for (const m of matchers) if (m.found(text)) report(m.type, path.relative(affiantHome(), f));
  }
  return leaks;
}

/**
 * Whether a text holds a value as a value, not as part of a longer run of digits or letters:
 * a four-digit badge number inside a millisecond timestamp, or a ZIP code inside a duration,
 * is a coincidence, not a leak; "Badge 0761", "IL62704" and "Haddad's" are leaks.
 */
export function valueMatcher(value: string): (text: string) => boolean {
  const edge = (c: string | undefined) => (c === undefined ? "" : /\d/.test(c) ? "\\d" : /\p{L}/u.test(c) ? "\\p{L}" : "");
  const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const before = edge(value[0]);
  const after = edge(value.at(-1));
  const pattern = new RegExp(`${before ? `(?<!${before})` : ""}${escaped}${after ? `(?!${after})` : ""}`, "u");
  return (text) => text.includes(value) && pattern.test(text);
}
