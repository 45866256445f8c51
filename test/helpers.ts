/** Shared test set-up: a fresh AFFIANT_HOME, a fast test registry, the real CLI. */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { config, setEnv } from "../core/config.ts";
import { describeError } from "../core/errors.ts";
import { faultsSchema } from "../core/faults.ts";
import type { PipelineState } from "../core/pipeline-state.ts";
import { stageModules } from "../core/stages/index.ts";
import type { StageReport } from "../core/stages/report.ts";
import type { StageInput } from "../core/stages/task-env.ts";
import { gpuStages } from "../core/state-names.ts";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/**
 * Where tests write: one folder per `run-tests.js` run (AFFIANT_TEST_TMP), so two runs at once
 * (a fast tier beside the full suite) never delete each other's homes.
 */
export const testTmp = config().AFFIANT_TEST_TMP ?? path.join(root, "test", ".tmp");
export const samples = {
  vawa: path.join(root, "examples/cases/vawa-sample"),
  tvisa: path.join(root, "examples/cases/tvisa-sample"),
  vawaEs: path.join(root, "examples/cases/vawa-es-sample"),
  /** The VAWA variants the first samples do not show (workflows/samples/variant-samples.ts). */
  vawaParent: path.join(root, "examples/cases/vawa-parent-sample"),
  vawaChild: path.join(root, "examples/cases/vawa-child-sample"),
  vawaLpr: path.join(root, "examples/cases/vawa-lpr-sample"),
};

export interface TestHome {
  home: string;
  registry: string;
  env: Record<string, string>;
}

export interface TestRegistryOptions {
  /** Per-stage overrides, e.g. { DraftDeclaration: { heartbeatSeconds: 2, watchdogSeconds: 30 } }. */
  stages?: Record<string, Record<string, unknown>>;
  maxRewrites?: number;
  scoreThreshold?: number;
  /** Overrides applied to every registry model, e.g. { chatWrapper: "qwen" }. */
  models?: Record<string, unknown>;
  contextSize?: number;
  /** The registry's `workers` settings (warm model workers, acquire budget). */
  workers?: Record<string, unknown>;
}

/**
 * A fresh data folder with a registry derived from the shipped one, with budgets cut so
 * an end-to-end run takes seconds: the same models, the same code paths.
 */
export function makeTestHome(options: TestRegistryOptions = {}): TestHome {
  const tmp = testTmp;
  mkdirSync(tmp, { recursive: true });
  const home = mkdtempSync(path.join(tmp, "home-"));
  const registry = JSON.parse(readFileSync(path.join(root, "models/registry.json"), "utf8"));
  // Embeddings: the committed fixture stands in for the production embedding model (real
  // llama.cpp embeddings, meaningless semantically), and a missing model is an error here.
  delete registry.models[registry.embedding.local.model];
  registry.embedding.local = { model: "stories-260k", ifMissing: "fail", documentPrefix: "", queryPrefix: "" };
  // 1024, the registry's own for the tiny model: the coverage judge's per-element checklist
  // answer and its prompt (checklist, draft) do not fit in less.
  for (const m of Object.values<Record<string, unknown>>(registry.models))
    Object.assign(m, { contextSize: options.contextSize ?? 1024 }, options.models ?? {});
  for (const [name, stage] of Object.entries<Record<string, unknown>>(registry.stages)) {
    const module = stageModules.find((m) => m.name === name);
    const structured = module?.outputSchema !== undefined;
    // A checklist judge answers per element: it needs a structured stage's budget.
    stage.maxTokens = module?.phase === "judge" ? ("checklist" in module && module.checklist ? 560 : 160) : structured ? 400 : 200;
    // Structured stages decode greedily in tests: a sampled JSON answer may, rarely, outrun
    // its token cap (a real GenerationRunaway, which production sends to the fallback).
    if (structured) stage.temperature = 0;
    stage.heartbeatSeconds = 10;
    stage.watchdogSeconds = 5;
    stage.timeoutSeconds = 120;
    Object.assign(stage, options.stages?.[name] ?? {});
  }
  if (options.workers) registry.workers = options.workers;
  registry.pipeline.maxRewrites = options.maxRewrites ?? 0;
  if (options.scoreThreshold !== undefined) registry.pipeline.scoreThreshold = options.scoreThreshold;
  const registryPath = path.join(home, "registry.json");
  writeFileSync(registryPath, JSON.stringify(registry, null, 2));
  copyFileSync(path.join(root, "models/stories260K.gguf"), path.join(home, "stories260K.gguf"));
  return {
    home,
    registry: registryPath,
    env: { AFFIANT_HOME: home, AFFIANT_REGISTRY: registryPath, AFFIANT_LOG_FILE: path.join(home, "logs", "affiant.jsonl") },
  };
}

/** Copies a sample case so a test can change it without touching the repo's copy. */
export function copyCase(from: string, to: string): string {
  cpSync(from, to, { recursive: true });
  return to;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: string[],
  env: Record<string, string>,
  options: { input?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, "bin/affiant.js"), ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`affiant ${args.join(" ")} did not finish in ${options.timeoutMs ?? 300_000} ms\n${stderr}`));
    }, options.timeoutMs ?? 300_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? "");
  });
}

/**
 * Where a run of the suite keeps what it builds once for all its files (prepared cases, golden
 * runs): the run's AFFIANT_TEST_TMP; a test file run on its own, outside run-tests.js, gets a
 * folder of its own, so nothing built by an older checkout is ever reused.
 */
let onceRootDir: string | undefined;
const onceRoot = () => (onceRootDir ??= config().AFFIANT_TEST_TMP ? path.join(testTmp, "once") : mkdtempSync(path.join(testTmp, "once-")));
const onceInProcess = new Map<string, Promise<string>>();

/**
 * Builds `name` once per run of the suite, whichever of its test files (separate processes,
 * maybe at the same time) asks first: `build` fills a fresh folder, which is then renamed into
 * place; the others wait for it. A lock whose builder died is taken over. Resolves to the folder.
 */
export function oncePerRun(name: string, build: (dir: string) => Promise<void>): Promise<string> {
  let pending = onceInProcess.get(name);
  if (!pending) {
    pending = buildOnce(name, build);
    onceInProcess.set(name, pending);
  }
  return pending;
}

async function buildOnce(name: string, build: (dir: string) => Promise<void>): Promise<string> {
  mkdirSync(testTmp, { recursive: true });
  mkdirSync(onceRoot(), { recursive: true });
  const done = path.join(onceRoot(), name);
  const lock = `${done}.lock`;
  for (;;) {
    if (existsSync(done)) return done;
    let mine = false;
    try {
      mkdirSync(lock);
      mine = true;
    } catch {
      const owner = Number(readFileSafe(path.join(lock, "pid")));
      // A lock without a pid is being taken right now; one whose process is gone is stale.
      if (owner && !isAlive(owner)) rmSync(lock, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    if (mine) {
      writeFileSync(path.join(lock, "pid"), String(process.pid));
      const building = `${done}.building-${process.pid}`;
      rmSync(building, { recursive: true, force: true });
      mkdirSync(building, { recursive: true });
      try {
        await build(building);
        renameSync(building, done);
      } finally {
        rmSync(lock, { recursive: true, force: true });
      }
      return done;
    }
  }
}

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

/**
 * Runs one of the CLI's command functions (cli/*-command.ts) in this process, with `env` as
 * `affiant` would have it: its exit code and what it printed. For the commands whose process
 * boundary is not what a test is about (`runs list`, `runs show`): no second process to start.
 * Synchronous commands only: while stdout is captured nothing else may write to it (the test
 * runner reports through it), so the capture must not span a turn of the event loop.
 */
export function inProcess(env: Record<string, string>, command: () => number): CliResult {
  const restoreEnv = setEnv(env);
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  const printed = { stdout: "", stderr: "" };
  const capture = (into: "stdout" | "stderr") =>
    ((chunk: string | Uint8Array) => {
      printed[into] += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture("stdout");
  process.stderr.write = capture("stderr");
  let code: number;
  try {
    code = command();
  } catch (err) {
    const { name, message } = describeError(err);
    printed.stderr += `affiant: ${name}: ${message}\n`;
    code = 1;
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
    restoreEnv();
  }
  return { code, ...printed };
}

/**
 * Runs Extract → Redact → Index in-process, as the engine would, for the worker to read. The
 * three stages run once per run of the suite for each set of registry options (the state
 * carries its pipeline settings); each call gets a fresh home with a copy of their blobs and
 * vault key. Faults name GPU states only, which those three stages neither read nor write: they
 * are checked as Extract checks them and set on the copy's state.
 */
export async function preparedState(
  faults: PipelineState["faults"] = {},
  registry: TestRegistryOptions = {},
): Promise<{ state: PipelineState; env: Record<string, string> }> {
  const checkedFaults = faultsSchema.parse(faults);
  const key = createHash("sha256").update(JSON.stringify({ registry })).digest("hex").slice(0, 12);
  const prepared = await oncePerRun(`prepared-${key}`, async (dir) => {
    // Loaded here, by the one process that builds: OCR, PDF reading, redaction and the index
    // are seconds of CPU to import, and most files that use these helpers never build.
    const [{ LocalBlobStore }, { ingestCase, readCaseFolder }, { extractDocuments }, { redactCase }, { buildIndex }] = await Promise.all([
      import("../core/blob-store.ts"),
      import("../workflows/engine/case-intake.ts"),
      import("../functions/extract-documents.ts"),
      import("../functions/redact-pii.ts"),
      import("../functions/build-index.ts"),
    ]);
    const built = makeTestHome(registry);
    Object.assign(process.env, built.env);
    const store = new LocalBlobStore(path.join(built.home, "blobs"));
    await ingestCase(readCaseFolder(samples.vawa), store);
    const state = await extractDocuments({ input: { caseId: "vawa-sample-0001" }, executionName: "sfn-test" }, store);
    state.redact = await redactCase({ state }, store);
    state.index = await buildIndex({ state }, store);
    cpSync(path.join(built.home, "blobs"), path.join(dir, "blobs"), { recursive: true });
    copyFileSync(path.join(built.home, "vault.key"), path.join(dir, "vault.key"));
    writeFileSync(path.join(dir, "state.json"), JSON.stringify(state));
  });
  const home = makeTestHome(registry);
  cpSync(path.join(prepared, "blobs"), path.join(home.home, "blobs"), { recursive: true });
  copyFileSync(path.join(prepared, "vault.key"), path.join(home.home, "vault.key"));
  Object.assign(process.env, home.env);
  const state = JSON.parse(readFileSync(path.join(prepared, "state.json"), "utf8")) as PipelineState;
  return { state: { ...state, faults: checkedFaults }, env: home.env };
}

/**
 * What a worker reads for `stage` on this state's case (its ids, index and round 0, no
 * faults), `extra` on top: for tests that plan a stage by hand.
 */
export function stageInputOf(stage: string, state: PipelineState, extra: Partial<StageInput> = {}): StageInput {
  const indexKey = extra.indexKey ?? state.index?.indexKey;
  if (!indexKey) throw new Error(`stageInputOf(${stage}): the state has no index and none was given`);
  return {
    stage,
    executionName: state.executionName,
    caseId: state.caseId,
    caseType: state.caseType,
    runKey: state.runKey,
    faults: {},
    round: 0,
    ...extra,
    indexKey,
  };
}

/** A stage's report for an output a test wrote itself (scripted model output): no model ran, nothing was spent. */
export function scriptedReport(stage: string, outputKey: string): StageReport {
  return {
    outputKey,
    stage,
    model: "scripted",
    provider: "local",
    fallbackReason: null,
    tokensIn: 1,
    tokensOut: 1,
    loadMs: 0,
    promptMs: 0,
    genMs: 0,
    costUsd: 0,
  };
}

export interface GoldenRun {
  home: string;
  env: Record<string, string>;
  cli: CliResult;
}

/**
 * `affiant run <sample> --approve --json` with the patient test registry, once per run of the
 * suite, for the tests that only read what it wrote (its summary, outputs, history, logs). Its
 * home is shared: a reader must not run anything in it that writes.
 */
export async function goldenRun(sample: keyof typeof samples): Promise<GoldenRun> {
  const dir = await oncePerRun(`golden-${sample}`, async (dir) => {
    const { home, env } = makeTestHome({ stages: patientStages });
    const cli = await runCli(["run", samples[sample], "--approve", "--json"], env);
    writeFileSync(path.join(dir, "golden.json"), JSON.stringify({ home, env, cli } satisfies GoldenRun));
  });
  return JSON.parse(readFileSync(path.join(dir, "golden.json"), "utf8")) as GoldenRun;
}

/**
 * The processes whose command line matches `cmdline` and whose environment names `home` as
 * AFFIANT_HOME: one test's processes, not those of a test file running beside it.
 */
export function processesOf(home: string, cmdline: RegExp): number[] {
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)
    .filter((pid) => {
      try {
        return (
          cmdline.test(readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ")) &&
          readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(`AFFIANT_HOME=${home}`)
        );
      } catch {
        return false; // gone, or not ours
      }
    })
    .map(Number);
}

/** Whether a process still exists (signal 0 checks without touching it). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface ServeHandle {
  url: string;
  port: number;
  /** AFFIANT_API_TOKEN, or the token the server generated and printed. */
  token: string;
  child: ReturnType<typeof spawn>;
  stderr: () => string;
  stop: () => Promise<void>;
}

/** `affiant serve --port 0` as a child process; resolves once it listens. */
export function startServe(env: Record<string, string>, args: string[] = []): Promise<ServeHandle> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, "bin/affiant.js"), "serve", "--port", "0", ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`affiant serve did not start in 60 s\n${stderr}`));
    }, 60_000);
    child.stderr!.on("data", (d) => {
      stderr += d;
      const m = /affiant serve: http:\/\/127\.0\.0\.1:(\d+).*\naffiant serve: run viewer \S+#token=(\S+)\n/.exec(stderr);
      if (m && timer) {
        clearTimeout(timer);
        const port = Number(m[1]);
        resolve({
          url: `http://127.0.0.1:${port}`,
          port,
          token: m[2] === "<AFFIANT_API_TOKEN>" ? env.AFFIANT_API_TOKEN! : m[2]!,
          child,
          stderr: () => stderr,
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null) return done();
              child.once("exit", () => done());
              child.kill("SIGTERM");
              setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
            }),
        });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`affiant serve exited with ${code}\n${stderr}`));
    });
  });
}

/** The sample case as a multipart body: `case` = case.json, `files` = each PDF. */
export function caseForm(caseDir: string): FormData {
  const form = new FormData();
  form.append("case", new Blob([readFileSync(path.join(caseDir, "case.json"))], { type: "application/json" }), "case.json");
  for (const f of readdirSync(caseDir)
    .filter((n) => n.endsWith(".pdf"))
    .sort()) {
    form.append("files", new Blob([readFileSync(path.join(caseDir, f))], { type: "application/pdf" }), f);
  }
  return form;
}

/** Polls until `check` returns a value, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 300_000, everyMs = 1000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** GPU-stage heartbeats long enough for a loaded 2-core box running parallel judges. */
export const patientStages = Object.fromEntries(gpuStages.map((s) => [s, { heartbeatSeconds: 30 }]));
