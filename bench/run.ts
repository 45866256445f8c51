/**
 * `npm run bench`: the worker's claims as numbers, measured as ratios within one run
 * (these machines are noisy). Prints one table and writes bench/results.md.
 *
 * - tokens/s through the worker's generation loop vs node-llama-cpp's own completion API
 * - seconds from an injected stall to the fallback state's start, vs HeartbeatSeconds
 * - native hang → worker gone, life after the state failed, death → fallback (bench/deadlines.ts)
 *   (the worker's watchdog, and the engine's heartbeat backstop)
 * - 20 cases through `backfill` in one engine: engine RSS before/after, orchestration
 *   overhead (between states, and per GPU state), cost per case
 * - warm model workers vs the cold path (bench/warm.ts): model loads, load share, warm
 *   per-state overhead, cases per hour at concurrency 2, GPU-seconds incl. warm idle
 * - redaction recall and precision per entity type on two labelled sets: one drawn from the
 *   rules' own shapes (an upper bound), one from another generator (narratives, reports);
 *   attorney notes as people type them (values removed); agency names kept, by language
 * - hostile input: `affiant serve`'s RSS under four 1 GB /sfn bodies, seconds to refuse PDF bombs
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { LlamaCompletion } from "node-llama-cpp";
import { config, setEnv } from "../core/config.ts";
import { stageModules } from "../core/stages/index.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const home = mkdtempSync(path.join(os.tmpdir(), "affiant-bench-"));
const heartbeatSeconds = 6;
const watchdogSeconds = 3;

// A bench home: the shipped registry, with the stall stage's heartbeat short enough to measure.
const registry = JSON.parse(readFileSync(path.join(root, "models/registry.json"), "utf8"));
copyFileSync(path.join(root, "models/stories260K.gguf"), path.join(home, "stories260K.gguf"));
// Priced as the deployment would be: the fixture's "local" host class costs nothing, so
// cost per case would read $0; on a g5 a local stage costs its wall time in GPU-seconds.
// Sizes and budgets as the tests' registry (test/helpers.ts): 1024 tokens of context, the
// registry's own for stories260K, which the coverage judge's per-element checklist needs.
for (const m of Object.values<Record<string, unknown>>(registry.models)) Object.assign(m, { contextSize: 1024, hostClass: "g5" });
for (const [name, s] of Object.entries<Record<string, unknown>>(registry.stages)) {
  const module = stageModules.find((m) => m.name === name);
  const structured = module?.outputSchema !== undefined;
  const maxTokens = module?.phase === "judge" ? ("checklist" in module && module.checklist ? 560 : 160) : structured ? 400 : 200;
  Object.assign(s, { heartbeatSeconds, watchdogSeconds, timeoutSeconds: 120, maxTokens });
  // Greedy, as in the tests: a sampled JSON answer may outrun its cap (a real runaway, a fallback).
  if (structured) s.temperature = 0;
}
writeFileSync(path.join(home, "registry.json"), JSON.stringify(registry));
setEnv({
  AFFIANT_HOME: home,
  AFFIANT_REGISTRY: path.join(home, "registry.json"),
  AFFIANT_LOG_FILE: path.join(home, "logs", "affiant.jsonl"),
});
mkdirSync(path.join(home, "logs"), { recursive: true });

const { openLlama, ModelSession } = await import("../containers/llama-worker/model-session.ts");
const { LocalEngine } = await import("../workflows/engine/local-engine.ts");
const { ingestCase, readCaseFolder } = await import("../workflows/engine/case-intake.ts");

interface Row {
  figure: string;
  value: string;
  target: string;
  pass: boolean;
}
const rows: Row[] = [];
const { deadlineRows } = await import("./deadlines.ts");
// `AFFIANT_BENCH_ONLY=deadlines npm run bench`: only the stuck-worker rows, printed, results.md untouched.
if (config().AFFIANT_BENCH_ONLY === "deadlines") {
  const only = await deadlineRows(readCaseFolder(path.join(root, "examples/cases/vawa-sample")), heartbeatSeconds);
  process.stdout.write(`${only.map((r) => `| ${r.figure} | ${r.value} | ${r.target} | ${r.pass ? "pass" : "FAIL"} |`).join("\n")}\n`);
  process.exit(only.every((r) => r.pass) ? 0 : 1);
}
/** n distinct cases (seeded variants of the samples, alternating) under a fresh folder. */
const { caseVariant, sampleCases, writeCase } = await import("../workflows/samples/sample-cases.ts");
const { seededRandom } = await import("../workflows/gameday.ts");
const warmIdentities = seededRandom(2027);
async function warmCaseSet(tag: string, n: number): Promise<string> {
  const dir = path.join(home, `cases-${tag}`);
  for (let i = 0; i < n; i++) {
    const caseId = `${tag}-${String(i).padStart(2, "0")}`;
    await writeCase(caseVariant(sampleCases[i % sampleCases.length]!, warmIdentities, caseId), path.join(dir, caseId));
  }
  return dir;
}
const { warmRows } = await import("./warm.ts");
// `AFFIANT_BENCH_ONLY=warm npm run bench`: only the warm-worker rows, printed, results.md untouched.
if (config().AFFIANT_BENCH_ONLY === "warm") {
  const only = await warmRows(home, warmCaseSet);
  process.stdout.write(`${only.map((r) => `| ${r.figure} | ${r.value} | ${r.target} | ${r.pass ? "pass" : "FAIL"} |`).join("\n")}\n`);
  process.exit(only.every((r) => r.pass) ? 0 : 1);
}
/** Share of the machine's CPU time spent busy from now until the returned function is called. */
function busyShare(): () => number {
  const sample = () =>
    os.cpus().reduce((t, c) => ({ busy: t.busy + c.times.user + c.times.nice + c.times.sys + c.times.irq, idle: t.idle + c.times.idle }), {
      busy: 0,
      idle: 0,
    });
  const start = sample();
  return () => {
    const end = sample();
    const busy = end.busy - start.busy;
    return busy / (busy + end.idle - start.idle);
  };
}
const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : Number.NaN);

// 1. Generation speed: the worker's loop (heartbeat feed, loop detector, budget) vs direct.
{
  const llama = await openLlama();
  const session = await ModelSession.load({
    llama,
    modelPath: path.join(home, "stories260K.gguf"),
    modelId: "stories-260k",
    stage: "bench",
    contextSize: 768,
    threads: 1,
  });
  const context = await session.model.createContext({ contextSize: 768, threads: 1 });
  const sequence = context.getSequence();
  const completion = new LlamaCompletion({ contextSequence: sequence });
  const prompt = "Once upon a time, in a small town by the sea, there lived a girl named Lily who loved boats.";
  const maxTokens = 400;
  const worker: number[] = [];
  const direct: number[] = [];
  // Alternating pairs, compared pair by pair: drift in the machine's speed hits both sides.
  for (let i = 0; i < 9; i++) {
    const w = await session.generate({ prompt, maxTokens, temperature: 0, onToken: () => undefined });
    worker.push(w.tokens.length / (w.genMs / 1000));
    let first = 0;
    let n = 0;
    const t0 = performance.now();
    await completion.generateCompletion(prompt, {
      maxTokens,
      temperature: 0,
      onToken: () => (n++ === 0 ? (first = performance.now()) : 0),
    });
    direct.push((n - 1) / ((performance.now() - (first || t0)) / 1000));
    await sequence.clearHistory();
  }
  const ratio = median(worker.map((w, i) => w / direct[i]!));
  rows.push({
    figure: `worker vs direct node-llama-cpp tokens/s (${median(worker).toFixed(0)} vs ${median(direct).toFixed(0)})`,
    value: ratio.toFixed(3),
    target: "≥ 0.95",
    pass: ratio >= 0.95,
  });
  completion.dispose();
  await context.dispose();
  await session.dispose();
}

// 2. Stall → fallback start: the worker's watchdog, and the engine's heartbeat backstop.
const folder = readCaseFolder(path.join(root, "examples/cases/vawa-sample"));
async function stallToFallbackSeconds(label: string, stageOverrides: Record<string, unknown>): Promise<void> {
  registry.stages.DraftDeclaration = { ...registry.stages.DraftDeclaration, heartbeatSeconds, watchdogSeconds, ...stageOverrides };
  writeFileSync(path.join(home, "registry.json"), JSON.stringify(registry));
  // Each measurement in a fresh data folder, so nothing an earlier row left (history,
  // outcomes, blobs) can shape this one.
  setEnv({ AFFIANT_HOME: path.join(home, `stall-${label.replace(/\W+/g, "-")}`) });
  const engine = new LocalEngine();
  await ingestCase(folder, engine.store);
  const summary = await engine.run({
    caseId: folder.caseFile.caseId,
    faults: { DraftDeclaration: "stall" },
    approve: { via: "bench" },
  });
  setEnv({ AFFIANT_HOME: home });
  engine.dispose();
  const injected = readFileSync(path.join(home, "logs", "affiant.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { event: string; stage?: string; at?: number })
    .filter((l) => l.event === "fault.injected" && l.stage === "DraftDeclaration")
    .at(-1);
  const fallback = summary.states.find((s) => s.name === "DraftDeclarationFallback");
  const seconds = fallback && injected?.at ? (Date.parse(fallback.startedAt) - injected.at) / 1000 : Number.NaN;
  const reason = summary.states.find((s) => s.name === "DraftDeclaration")?.error ?? "?";
  rows.push({
    figure: `stall → fallback start, ${label} (${reason}; HeartbeatSeconds ${heartbeatSeconds})`,
    value: `${seconds.toFixed(2)} s`,
    target: `≤ ${heartbeatSeconds + 2} s (seed: up to 900 s)`,
    pass: seconds <= heartbeatSeconds + 2,
  });
}
await stallToFallbackSeconds("worker watchdog", {});
await stallToFallbackSeconds("engine heartbeat backstop", { watchdogSeconds: 600 });
// Stuck workers never hold a GPU: native hang, life after the state failed, death before answering.
rows.push(...(await deadlineRows(folder, heartbeatSeconds)));

// 3. Twenty cases through backfill in one engine process: backfill speed-up at concurrency
//    2 vs 1, engine RSS before/after, orchestration overhead, cost per case.
{
  const { backfill } = await import("../workflows/backfill.ts");
  const { caseVariant, sampleCases, writeCase } = await import("../workflows/samples/sample-cases.ts");
  const { seededRandom } = await import("../workflows/gameday.ts");
  const identities = seededRandom(2026);
  /** n distinct cases (seeded variants of the samples, alternating) under a fresh folder. */
  const caseSet = async (tag: string, n: number) => {
    const dir = path.join(home, `cases-${tag}`);
    for (let i = 0; i < n; i++) {
      const caseId = `${tag}-${String(i).padStart(2, "0")}`;
      await writeCase(caseVariant(sampleCases[i % sampleCases.length]!, identities, caseId), path.join(dir, caseId));
    }
    return dir;
  };
  // Written before anything is measured: rendering the scans costs CPU too.
  const sets = { warm: await caseSet("warm", 2), c1: await caseSet("c1", 4), c2: await caseSet("c2", 4), more: await caseSet("more", 12) };
  // Throughput, not stall detection, is measured here: two cases at once run up to six
  // workers on this box, so heartbeats get the slack a loaded host needs.
  const relaxed = JSON.parse(readFileSync(path.join(home, "registry.json"), "utf8"));
  for (const s of Object.values<Record<string, unknown>>(relaxed.stages)) Object.assign(s, { heartbeatSeconds: 60, watchdogSeconds: 30 });
  writeFileSync(path.join(home, "registry-throughput.json"), JSON.stringify(relaxed));
  setEnv({ AFFIANT_REGISTRY: path.join(home, "registry-throughput.json") });
  // A fresh data folder for the throughput rows, for the same reason.
  setEnv({ AFFIANT_HOME: path.join(home, "throughput") });
  const engine = new LocalEngine();
  // Warm-up: the first cases load the OCR engine, the pdf renderer and the handlers' modules,
  // two at once, as the measured runs at concurrency 2 do: the allocator keeps what the widest
  // moment needed, and that is not growth.
  await backfill({ dir: sets.warm, engine, concurrency: 2 });
  const settled = () => {
    global.gc?.();
    return process.memoryUsage();
  };
  const before = settled();
  const c1 = busyShare();
  const one = await backfill({ dir: sets.c1, engine, concurrency: 1 });
  const busyOne = c1();
  const c2 = busyShare();
  const two = await backfill({ dir: sets.c2, engine, concurrency: 2 });
  const busyTwo = c2();
  const rest = await backfill({ dir: sets.more, engine, concurrency: 2 });
  const after = settled();
  const [rssBefore, rssAfter] = [before.rss, after.rss];
  const all = [one, two, rest].flatMap((b) => b.results);
  const failed = all.filter((r) => r.outcome !== "succeeded").length;
  for (const r of all.filter((x) => x.outcome !== "succeeded")) process.stderr.write(`bench: ${r.caseId} ${r.outcome}: ${r.error}\n`);
  // No speed-up row here any more: its target was derived from the busy share it measured,
  // so it could not fail. Throughput is compared where it can fail: warm model workers vs
  // the cold path, cases per hour at concurrency 2 in the same run (bench/warm.ts).
  process.stderr.write(
    `bench: 4 cases ${(one.wallMs / 1000).toFixed(1)} s at concurrency 1 (CPU busy ${(busyOne * 100).toFixed(0)}%), ${(two.wallMs / 1000).toFixed(1)} s at 2 (${(busyTwo * 100).toFixed(0)}%)\n`,
  );
  const summaries = all.map((r) => engine.summary(r.executionId!)!).filter((s) => s.status === "SUCCEEDED");
  // Overhead per state is read from the concurrency-1 runs: at 2, six workers share two
  // cores and their start-up measures the contention, not the orchestration.
  const sequentialRuns = new Set(one.results.map((r) => r.executionId));
  const peak = Math.max(...summaries.flatMap((s) => s.states.map((x) => x.peakRssMb ?? 0)));
  rows.push({
    figure: `engine RSS after/before 20 cases (${(rssBefore / 2 ** 20).toFixed(0)} → ${(rssAfter / 2 ** 20).toFixed(0)} MB; JS heap ${(before.heapUsed / 2 ** 20).toFixed(0)} → ${(after.heapUsed / 2 ** 20).toFixed(0)} MB; a worker peaks at ${peak} MB; ${failed} failed)`,
    value: (rssAfter / rssBefore).toFixed(3),
    target: "≤ 1.10",
    pass: rssAfter / rssBefore <= 1.1 && failed === 0,
  });

  // Orchestration overhead: the engine's time between states, and each GPU state's wall
  // time minus its model time (load + prompt + generation: process start-up and hand-off).
  const topLevel = new Set(Object.keys(engine.definition.States));
  const ms = (a: string, b: string | null) => (b ? Date.parse(b) - Date.parse(a) : 0);
  const between: number[] = [];
  const perStage: number[] = [];
  const shares: number[] = [];
  let warmStates = 0;
  for (const s of summaries.filter((x) => sequentialRuns.has(x.executionId))) {
    const wall = ms(s.startedAt, s.endedAt);
    const inStates = s.states.filter((x) => topLevel.has(x.name)).reduce((n, x) => n + ms(x.startedAt, x.endedAt), 0);
    between.push((wall - inStates) / wall);
    const gpu = s.states.filter((x) => x.model && x.loadMs !== null && x.provider === "local");
    warmStates += gpu.filter((x) => x.warmStart).length;
    const overheadOf = (x: (typeof gpu)[number]) => ms(x.startedAt, x.endedAt) - (x.loadMs ?? 0) - (x.promptMs ?? 0) - (x.genMs ?? 0);
    for (const x of gpu) perStage.push(overheadOf(x));
    // Critical path: sequential GPU states, and the slowest in the Parallel branches (the judges).
    const sequential = gpu.filter((x) => topLevel.has(x.name)).reduce((n, x) => n + overheadOf(x), 0);
    const judges = Math.max(0, ...gpu.filter((x) => !topLevel.has(x.name)).map(overheadOf));
    shares.push((wall - inStates + sequential + judges) / wall);
  }
  rows.push({
    figure: "orchestration overhead: engine time between states, share of the run (median)",
    value: median(between).toFixed(3),
    target: "≤ 0.05",
    pass: median(between) <= 0.05,
  });
  const sorted = [...perStage].sort((a, b) => a - b);
  rows.push({
    figure: `orchestration overhead: per GPU state, wall minus model time (median of ${perStage.length}, max ${(sorted.at(-1)! / 1000).toFixed(2)} s, ${warmStates}/${perStage.length} on warm workers; share of the run incl. it: ${median(shares).toFixed(2)} with stories260K, whose model time is tiny)`,
    value: `${(median(perStage) / 1000).toFixed(2)} s`,
    target: "≤ 3 s",
    pass: median(perStage) <= 3000,
  });
  const costs = summaries.map((s) => (s.output as { costUsd: number }).costUsd);
  rows.push({
    figure: "cost per case (registry prices: local stages as g5 GPU-seconds, hosted by tokens; median)",
    value: `$${median(costs).toPrecision(2)}`,
    target: "≤ $0.50",
    pass: median(costs) <= 0.5,
  });
  engine.dispose();
}

// 3b. Warm model workers vs the cold path (bench/warm.ts).
rows.push(...(await warmRows(home, warmCaseSet)));

// 4. Redaction: the pattern, narrative and notes sets (bench/redaction-rows.ts).
{
  const { redactionRows } = await import("./redaction-rows.ts");
  rows.push(...redactionRows());
}

// 5. Hostile input against a real `affiant serve` (bench/hostile.ts): RSS under 1 GB bodies, PDF bombs refused.
{
  const { hostileRows } = await import("./hostile.ts");
  rows.push(...(await hostileRows(root)));
}

const header = "| figure | value | target | pass |\n|---|---|---|---|";
const table = [header, ...rows.map((r) => `| ${r.figure} | ${r.value} | ${r.target} | ${r.pass ? "pass" : "FAIL"} |`)].join("\n");
const stamp = `Measured ${new Date().toISOString()} on ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, Node ${process.version}, CPU build of llama.cpp, model stories260K.`;
process.stdout.write(`${table}\n\n${stamp}\n`);
writeFileSync(path.join(root, "bench", "results.md"), `# Benchmark results\n\n${table}\n\n${stamp}\n\nReproduce: \`npm run bench\`.\n`);
process.exit(rows.every((r) => r.pass) ? 0 : 1);
