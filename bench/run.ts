/**
 * `npm run bench`: the worker's claims as numbers, measured as ratios within one run
 * (these machines are noisy). Prints one table and writes bench/results.md.
 *
 * - tokens/s through the worker's generation loop vs node-llama-cpp's own completion API
 * - seconds from an injected stall to the fallback state's start, vs HeartbeatSeconds
 * - engine RSS before/after 20 worker stages
 * - redaction recall and precision per entity type on a labelled synthetic set
 */
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { LlamaCompletion } from "node-llama-cpp";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const home = mkdtempSync(path.join(os.tmpdir(), "affiant-bench-"));
const heartbeatSeconds = 6;
const watchdogSeconds = 3;

// A bench home: the shipped registry, with the stall stage's heartbeat short enough to measure.
const registry = JSON.parse(readFileSync(path.join(root, "models/registry.json"), "utf8"));
copyFileSync(path.join(root, "models/stories260K.gguf"), path.join(home, "stories260K.gguf"));
for (const m of Object.values<Record<string, unknown>>(registry.models)) m.contextSize = 768;
for (const s of Object.values<Record<string, unknown>>(registry.stages)) Object.assign(s, { heartbeatSeconds, watchdogSeconds, timeoutSeconds: 120 });
writeFileSync(path.join(home, "registry.json"), JSON.stringify(registry));
Object.assign(process.env, {
  AFFIANT_HOME: home,
  AFFIANT_REGISTRY: path.join(home, "registry.json"),
  AFFIANT_LOG_FILE: path.join(home, "logs", "affiant.jsonl"),
});
mkdirSync(path.join(home, "logs"), { recursive: true });

const { openLlama, ModelSession } = await import("../containers/llama-worker/model-session.ts");
const { LocalEngine } = await import("../workflows/engine/local-engine.ts");
const { ingestCase, readCaseFolder } = await import("../workflows/engine/case-intake.ts");
const { spawnWorker } = await import("../containers/llama-worker/spawn.ts");
const { stageEnvFromState } = await import("../core/stage-input.ts");

interface Row {
  figure: string;
  value: string;
  target: string;
  pass: boolean;
}
const rows: Row[] = [];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// 1. Generation speed: the worker's loop (heartbeat feed, loop detector, budget) vs direct.
{
  const llama = await openLlama();
  const session = await ModelSession.load({ llama, modelPath: path.join(home, "stories260K.gguf"), modelId: "stories-260k", stage: "bench", contextSize: 768, threads: 1 });
  const context = await session.model.createContext({ contextSize: 768, threads: 1 });
  const sequence = context.getSequence();
  const completion = new LlamaCompletion({ contextSequence: sequence });
  const prompt = "Once upon a time, in a small town by the sea, there lived a girl named Lily who loved boats.";
  const maxTokens = 400;
  const worker: number[] = [];
  const direct: number[] = [];
  for (let i = 0; i < 5; i++) {
    const w = await session.generate({ prompt, maxTokens, temperature: 0, onToken: () => undefined });
    worker.push(w.tokens.length / (w.genMs / 1000));
    let first = 0;
    let n = 0;
    const t0 = performance.now();
    await completion.generateCompletion(prompt, { maxTokens, temperature: 0, onToken: () => (n++ === 0 ? (first = performance.now()) : 0) });
    direct.push((n - 1) / ((performance.now() - (first || t0)) / 1000));
    await sequence.clearHistory();
  }
  const ratio = median(worker) / median(direct);
  rows.push({ figure: `worker vs direct node-llama-cpp tokens/s (${median(worker).toFixed(0)} vs ${median(direct).toFixed(0)})`, value: ratio.toFixed(3), target: "≥ 0.95", pass: ratio >= 0.95 });
  completion.dispose();
  await context.dispose();
  await session.dispose();
}

// 2. Stall → fallback start: the worker's watchdog, and the engine's heartbeat backstop.
const folder = readCaseFolder(path.join(root, "examples/cases/vawa-sample"));
async function stallToFallbackSeconds(label: string, stageOverrides: Record<string, unknown>): Promise<void> {
  registry.stages.DraftDeclaration = { ...registry.stages.DraftDeclaration, heartbeatSeconds, watchdogSeconds, ...stageOverrides };
  writeFileSync(path.join(home, "registry.json"), JSON.stringify(registry));
  const engine = new LocalEngine();
  await ingestCase(folder, engine.store);
  const summary = await engine.run({ caseId: folder.caseFile.caseId, faults: { DraftDeclaration: "stall" } });
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

// 3. Engine RSS across 20 worker stages.
{
  const engine = new LocalEngine();
  await ingestCase(folder, engine.store);
  const summary = await engine.run({ caseId: folder.caseFile.caseId });
  engine.dispose();
  const state = {
    caseId: folder.caseFile.caseId,
    caseType: folder.caseFile.caseType,
    runKey: `runs/${folder.caseFile.caseId}/${summary.executionId}`,
    executionName: summary.executionId,
    faults: {},
    rewrites: { n: 0 },
    index: { indexKey: `runs/${folder.caseFile.caseId}/${summary.executionId}/index.json`, chunkCount: 0 },
  } as never;
  const env = stageEnvFromState("ExtractFacts", state);
  const stage = () => spawnWorker({ stage: "ExtractFacts", env, timeoutSeconds: 120, heartbeatSeconds: 30 });
  await stage();
  const before = process.memoryUsage().rss;
  let peak = 0;
  for (let i = 0; i < 20; i++) peak = Math.max(peak, (await stage()).peakRssMb);
  const after = process.memoryUsage().rss;
  const ratio = after / before;
  rows.push({
    figure: `engine RSS after/before 20 stages (${(before / 2 ** 20).toFixed(0)} → ${(after / 2 ** 20).toFixed(0)} MB; a worker peaks at ${peak} MB)`,
    value: ratio.toFixed(3),
    target: "≤ 1.10",
    pass: ratio <= 1.1,
  });
}

// 4. Redaction on a labelled synthetic set (bench/redaction-set.ts): recall and precision per type.
{
  const { buildRedactionSet, scoreRedaction } = await import("./redaction-set.ts");
  const { types, legalKept } = scoreRedaction(buildRedactionSet(400, 7));
  const idTypes = new Set(["A_NUMBER", "RECEIPT_NUMBER", "SSN", "PHONE", "EMAIL"]);
  for (const t of types) {
    const target = idTypes.has(t.type) ? 0.98 : t.type === "PERSON" ? 0.95 : 0.9;
    rows.push({
      figure: `redaction ${t.type}: recall (precision ${t.precision.toFixed(3)}, ${t.labels} labels)`,
      value: t.recall.toFixed(3),
      target: `≥ ${target}`,
      pass: t.recall >= target,
    });
  }
  rows.push({ figure: "legal vocabulary kept (statutes, forms, agencies)", value: legalKept.toFixed(3), target: "≥ 0.99", pass: legalKept >= 0.99 });
}

const header = "| figure | value | target | pass |\n|---|---|---|---|";
const table = [header, ...rows.map((r) => `| ${r.figure} | ${r.value} | ${r.target} | ${r.pass ? "pass" : "FAIL"} |`)].join("\n");
const stamp = `Measured ${new Date().toISOString()} on ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, Node ${process.version}, CPU build of llama.cpp, model stories260K.`;
process.stdout.write(`${table}\n\n${stamp}\n`);
writeFileSync(path.join(root, "bench", "results.md"), `# Benchmark results\n\n${table}\n\n${stamp}\n\nReproduce: \`npm run bench\`.\n`);
process.exit(rows.every((r) => r.pass) ? 0 : 1);
