/**
 * Warm model workers against today's cold path, in one run (`AFFIANT_BENCH_ONLY=warm npm
 * run bench` runs these rows alone). The same cases go through `backfill` in two engines,
 * one with warm model workers off (each GPU state a process that loads its model and
 * exits) and one with them on; each engine gets its own data folder and fresh case copies.
 *
 * - model loads in the backfill, against distinct models × pool size
 * - share of GPU-state time spent loading, warm vs cold
 * - per-GPU-state overhead (wall minus model time) on a warm worker, at concurrency 1
 * - cases per hour at concurrency 2, warm vs cold (replaces the old speed-up row, whose
 *   target was derived from the busy share it measured and so could not fail)
 * - GPU-seconds per case with warm idle time included, and that idle time's share
 *
 * The issue asks for a 20-case backfill; `AFFIANT_BENCH_WARM_CASES=20` runs that many at
 * concurrency 2 (default 4: both modes of 20 cases take most of an hour on a 2-core box).
 */
import path from "node:path";
import { config, setEnv } from "../core/config.ts";
import { registryPath } from "../core/registry.ts";
import type { ExecutionSummary, StateSummary } from "../workflows/engine/summary.ts";

export interface Row {
  figure: string;
  value: string;
  target: string;
  pass: boolean;
}

const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : Number.NaN);
const ms = (a: string, b: string | null) => (b ? Date.parse(b) - Date.parse(a) : 0);

/** `home`: the bench's data folder; `caseSet(tag, n)`: writes n distinct cases, returns the folder. */
export async function warmRows(
  home: string,
  caseSet: (tag: string, n: number) => Promise<string>,
  cases = config().AFFIANT_BENCH_WARM_CASES ?? 4,
): Promise<Row[]> {
  const { LocalEngine } = await import("../workflows/engine/local-engine.ts");
  const { backfill } = await import("../workflows/backfill.ts");
  const { gpuStages } = await import("../core/state-names.ts");
  const { readFileSync, writeFileSync } = await import("node:fs");
  const rows: Row[] = [];
  // Throughput, not stall detection, is measured here: two cases at once run up to six
  // workers on a small box, so heartbeats get the slack a loaded host needs.
  const relaxed = JSON.parse(readFileSync(registryPath(), "utf8"));
  for (const s of Object.values<Record<string, unknown>>(relaxed.stages)) Object.assign(s, { heartbeatSeconds: 60, watchdogSeconds: 30 });
  // Warm workers wait out the gap between one case's last GPU state and the next case's
  // first (its Extract, Redact and Index take longer than the default 30 s on a loaded
  // 2-core box): an operator running a backfill sets idleSeconds above that gap.
  // Locally every stage is stories-260k, so one model's pool must hold the three judges of
  // each of two cases at once: poolSize 6 (the production profile's judges are three models).
  // For the same reason one model gets every GPU state of the backfill (about 130 in 22
  // cases), which maxTasks 16 would recycle at least eight times whatever the pool did; the
  // production profile spreads 20 cases' ~160 states over five to eight models, each under
  // its pool's 3 × 16. maxTasks 64 keeps that ratio here, and the loads row shows maxTasks.
  relaxed.workers = { ...relaxed.workers, maxTasks: 64, idleSeconds: 120, maxRssGrowthMb: 512, poolSize: 6 };
  const registry = path.join(home, "registry-warm.json");
  writeFileSync(registry, JSON.stringify(relaxed));
  const restore = setEnv({ AFFIANT_REGISTRY: registry });
  type Mode = { summaries: ExecutionSummary[]; wallMs: number; failed: number; why: string[]; seqSummaries: ExecutionSummary[] };
  const runMode = async (warm: boolean): Promise<Mode> => {
    const tag = warm ? "warm" : "cold";
    const restoreHome = setEnv({ AFFIANT_HOME: path.join(home, `warm-bench-${tag}`) });
    const engine = new LocalEngine({ warmWorkers: warm });
    const seq = await backfill({ dir: await caseSet(`${tag}-seq`, 2), engine, concurrency: 1 });
    const two = await backfill({ dir: await caseSet(`${tag}-c2`, cases), engine, concurrency: 2 });
    const all = [...seq.results, ...two.results];
    const failed = all.filter((r) => r.outcome !== "succeeded").length;
    const summaries = all.map((r) => engine.summary(r.executionId!)!).filter((s) => s?.status === "SUCCEEDED");
    // Why cases failed, by state and error name (never a message): a failing row says where to look.
    const why = new Set<string>();
    for (const r of all.filter((x) => x.outcome !== "succeeded")) {
      const failedStates = r.executionId ? (engine.summary(r.executionId)?.states ?? []).filter((x) => x.status === "FAILED") : [];
      for (const x of failedStates) why.add(`${x.name} ${x.error ?? "?"}`);
      if (!failedStates.length) why.add(r.outcome);
    }
    const seqIds = new Set(seq.results.map((r) => r.executionId));
    engine.dispose();
    restoreHome();
    return {
      summaries,
      wallMs: two.wallMs,
      failed,
      why: [...why].slice(0, 4),
      seqSummaries: summaries.filter((s) => seqIds.has(s.executionId)),
    };
  };
  const cold = await runMode(false);
  const warm = await runMode(true);
  restore();

  const gpuOf = (s: ExecutionSummary): StateSummary[] =>
    s.states.filter((x) => (gpuStages as readonly string[]).includes(x.name) && x.provider === "local" && x.loadMs !== null);
  const loads = (m: Mode) => m.summaries.flatMap(gpuOf).filter((x) => !x.modelReused).length;
  const gpuStates = (m: Mode) => m.summaries.flatMap(gpuOf).length;
  const models = new Set(warm.summaries.flatMap(gpuOf).map((x) => x.model));
  // The registry's pool size (workers.poolSize, what the acquire Lambda caps a model's ECS
  // tasks at, and the local Acquire too): a model loaded more often than that fails the row.
  const { loadRegistry } = await import("../core/registry.ts");
  const poolSize = loadRegistry(registry).workers.poolSize;
  rows.push({
    figure: `model loads, ${warm.summaries.length} cases through backfill with warm model workers (cold path: ${loads(cold)} loads for ${gpuStates(cold)} GPU states; ${models.size} distinct model(s) × pool size ${poolSize}; maxTasks ${loadRegistry(registry).workers.maxTasks})`,
    value: String(loads(warm)),
    target: `≤ ${models.size * poolSize}`,
    pass: loads(warm) <= models.size * poolSize && warm.failed === 0,
  });
  const loadShare = (m: Mode) => {
    const gpu = m.summaries.flatMap(gpuOf);
    return (
      gpu.reduce((n, x) => n + (x.loadMs ?? 0), 0) /
      Math.max(
        1,
        gpu.reduce((n, x) => n + ms(x.startedAt, x.endedAt), 0),
      )
    );
  };
  rows.push({
    figure: `share of GPU-state time spent loading the model, warm (cold path: ${loadShare(cold).toFixed(3)}; stories260K loads in milliseconds, a g5's 8–14B model in seconds)`,
    value: loadShare(warm).toFixed(3),
    target: `< cold (${loadShare(cold).toFixed(3)})`,
    pass: loadShare(warm) < loadShare(cold),
  });
  // Read from the concurrency-1 runs: at 2, workers share this box's cores and the figure
  // measures the contention, not the hand-off.
  const overheadOf = (x: StateSummary) => ms(x.startedAt, x.endedAt) - (x.loadMs ?? 0) - (x.promptMs ?? 0) - (x.genMs ?? 0);
  const warmOverhead = warm.seqSummaries
    .flatMap(gpuOf)
    .filter((x) => x.modelReused)
    .map(overheadOf);
  const coldOverhead = cold.seqSummaries.flatMap(gpuOf).map(overheadOf);
  rows.push({
    figure: `per-GPU-state overhead on a warm model worker, wall minus model time (median of ${warmOverhead.length}; cold path ${(median(coldOverhead) / 1000).toFixed(2)} s)`,
    value: `${(median(warmOverhead) / 1000).toFixed(2)} s`,
    target: "≤ 0.2 s",
    pass: warmOverhead.length > 0 && median(warmOverhead) <= 200,
  });
  const perHour = (m: Mode) => (cases / m.wallMs) * 3_600_000;
  rows.push({
    figure: `cases per hour at concurrency 2, warm model workers vs cold path in the same run (${perHour(warm).toFixed(0)} vs ${perHour(cold).toFixed(0)}; ${cold.failed + warm.failed} failed${cold.failed + warm.failed ? `: ${[...new Set([...cold.why, ...warm.why])].join(", ")}` : ""})`,
    value: (perHour(warm) / perHour(cold)).toFixed(2),
    target: "≥ 1.00",
    pass: perHour(warm) >= perHour(cold) && cold.failed + warm.failed === 0,
  });
  // What each state was charged (the worker's gpuSeconds: its wall time plus the warm idle before it).
  const gpuSeconds = (s: ExecutionSummary) => gpuOf(s).reduce((n, x) => n + (x.gpuSeconds ?? 0), 0);
  const idleSeconds = warm.summaries.flatMap(gpuOf).reduce((n, x) => n + (x.warmIdleMs ?? 0), 0) / 1000;
  const totalWarm = warm.summaries.reduce((n, s) => n + gpuSeconds(s), 0);
  const idleShare = idleSeconds / Math.max(totalWarm, 1e-9);
  // Idle time charged is whatever the worker waited between tasks. The target is the issue's
  // rule, that a case pays for the warm idle time it used (non-zero whenever a state reused a
  // worker); no efficiency bound: whether warm workers save GPU-seconds depends on how long a
  // load takes against idleSeconds (stories260K loads in milliseconds, so here they cost more).
  const reused = warm.summaries.flatMap(gpuOf).some((x) => x.modelReused);
  rows.push({
    figure: `GPU-seconds per case incl. warm idle time (median ${median(warm.summaries.map(gpuSeconds)).toFixed(1)} s warm vs ${median(cold.summaries.map(gpuSeconds)).toFixed(1)} s cold, idleSeconds 120); idle share of the warm GPU-seconds`,
    value: idleShare.toFixed(3),
    target: "> 0 (idle time charged)",
    pass: reused && idleSeconds > 0,
  });
  return rows;
}
