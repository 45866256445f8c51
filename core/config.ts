/**
 * Every environment variable Affiant reads, in one table: its type, default and meaning.
 * Code reads them only through `config()` (test/unit/config.test.ts fails on a `process.env.X`
 * read anywhere else), and docs/configuration.md's table is generated from this one.
 *
 * Reading is lazy and per variable: `config()` returns getters that parse the variable
 * when it is read, from the environment as it is then (tests and the warm worker change
 * process.env between calls), so a bad value fails where it is used, not in every process
 * that happens to have it set. An empty value counts as unset. A bad value is an
 * InvalidInputError naming the variable, what is wrong and the expected form; a secret's
 * value is never echoed. No file is read here: the worker and the Lambdas run from bundles.
 */
import { z } from "zod";
import { InvalidInputError } from "./errors.ts";

export type Env = Record<string, string | undefined>;

interface Setting<T> {
  /** Parses the (non-empty) value; throws nothing, returns a failed result instead. */
  schema: z.ZodType<T>;
  /** The expected form, for the error message: `<NAME> must be <expected>`. */
  expected: string;
  /** The default when unset, as the docs state it (the code that applies it says why). */
  default: string;
  description: string;
  secret?: boolean;
  /** Set by Affiant itself (the definition, the engine or the fallback) for a worker; not for users. */
  internal?: boolean;
}

const text = z.string();
const url = z.url({ protocol: /^https?$/ });
const wholeNumber = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.string().regex(/^\d+$/).transform(Number).pipe(z.number().int().min(min).max(max));
const oneOf = <const T extends string>(values: readonly [T, ...T[]]) =>
  z
    .string()
    .transform((v) => v.trim().toLowerCase())
    .pipe(z.enum(values));

function s<T>(
  schema: z.ZodType<T>,
  expected: string,
  defaultText: string,
  description: string,
  extra: { secret?: boolean; internal?: boolean } = {},
): Setting<T> {
  return { schema, expected, default: defaultText, description, ...extra };
}
const path = (defaultText: string, description: string) => s(text, "a path", defaultText, description);
const name = (description: string, extra: { secret?: boolean; internal?: boolean } = {}) =>
  s(text, "a name or ARN", "unset", description, extra);
const stageValue = (description: string) => s(text, "a value the definition writes", "unset", description, { internal: true });

export const settings = {
  // Local state and files.
  AFFIANT_HOME: path("`.affiant/` in the working directory", "local state: history, blobs, vault key, logs"),
  AFFIANT_CACHE_DIR: path(
    "`<home>/cache`",
    "what may be kept between runs that holds no client data (the hashes of state-machine definitions already validated)",
  ),
  AFFIANT_REGISTRY: path("`models/registry.json` (deploys: `models/registry.g5.json`)", "the model registry file"),
  AFFIANT_MODELS_DIR: path("the registry file's folder", "where the GGUF model files are"),
  AFFIANT_PROMPTS_DIR: path("`prompts/` in the package", "the prompt templates"),
  AFFIANT_LOG_FILE: path("`<home>/logs/affiant.log` under the CLI; none otherwise", "log lines are appended here as well as to stderr"),
  AFFIANT_THREADS: s(
    wholeNumber(1),
    "a whole number of threads, at least 1",
    "cores − 1",
    "llama.cpp threads for the worker and the local embedder",
  ),
  AFFIANT_GPU: s(oneOf(["cuda", "cpu"]), "cuda or cpu", "cpu (the worker image sets cuda)", "which llama.cpp build the worker loads"),
  // Choices.
  AFFIANT_OCR: s(
    oneOf(["textract", "tesseract"]),
    '"textract" or "tesseract"',
    "textract in a Lambda, tesseract locally",
    "which engine reads pages without a text layer",
  ),
  AFFIANT_COMPREHEND: s(
    oneOf(["1", "0", "true", "false", "on", "off"]).transform((v) => v === "1" || v === "true" || v === "on"),
    "1 or 0",
    "1 in a Lambda, 0 locally",
    "Redact also asks Amazon Comprehend for PII",
  ),
  AFFIANT_COMPREHEND_MIN_SCORE: s(
    z
      .string()
      .regex(/^\s*\d*\.?\d+\s*$/)
      .transform(Number)
      .pipe(z.number().min(0).max(1)),
    "a number from 0 to 1",
    "0.8",
    "the least Comprehend score Redact takes where the rules found nothing",
  ),
  AFFIANT_EMBEDDINGS: s(
    z.enum(["local", "bedrock", "off"]),
    "local, bedrock or off",
    "bedrock in a Lambda, local otherwise",
    "how Index and Score embed",
  ),
  AFFIANT_WARM_WORKERS: s(oneOf(["1", "0"]), "1 or 0", "1", "0: every local worker serves one GPU stage and exits (no warm model workers)"),
  AFFIANT_WORKER_COMPILE: s(oneOf(["1", "0"]), "1 or 0", "1", "0: run the worker from source instead of compiling it once with esbuild"),
  AFFIANT_REVIEW_EXPIRY_SECONDS: s(
    wholeNumber(1),
    "a whole number of seconds, at least 1",
    "1209600 (14 days)",
    "how long AttorneyReview waits for a decision before Affiant.ReviewExpired",
  ),
  AFFIANT_BACKFILL_MAX_RUNNING: s(wholeNumber(1), "a positive whole number", "4", "executions the scheduled backfill keeps in flight"),
  // Serving and AWS resources.
  AFFIANT_API_TOKEN: s(
    z.string().min(24),
    "at least 24 characters (e.g. openssl rand -base64 32)",
    "one `serve` generates and prints",
    "the bearer token of `affiant serve`",
    { secret: true },
  ),
  AFFIANT_API_TOKENS_FILE: path(
    "unset",
    "a JSON file mapping each API token of `affiant serve` to its holder's name (the reviewer a decision is recorded under)",
  ),
  OPENROUTER_API_KEY: s(
    text,
    "a key",
    "unset (OpenRouter is skipped)",
    "OpenRouter's API key locally (in AWS: the OpenRouterApiKey secret)",
    { secret: true },
  ),
  AFFIANT_OPENROUTER_BASE_URL: s(url, "an http(s) URL", "OpenRouter's API", "where OpenRouter requests go"),
  AFFIANT_BEDROCK_ENDPOINT: s(url, "an http(s) URL", "the region's endpoint", "where Bedrock requests go"),
  AFFIANT_BEDROCK_CONTROL_ENDPOINT: s(
    url,
    "an http(s) URL",
    "the region's endpoint",
    "where `affiant models check --bedrock` asks GetFoundationModel (Bedrock's control plane)",
  ),
  AFFIANT_SFN_ENDPOINT: s(
    url,
    "an http(s) URL",
    "the region's endpoint",
    "where Step Functions requests go (the worker's answers, the API, the backfill)",
  ),
  AFFIANT_MODEL_SOURCE: s(
    z.string().regex(/^s3:\/\/[^/]+\/.*$/),
    "s3://<bucket>/<prefix>/",
    "unset (the model file must already be in AFFIANT_MODELS_DIR)",
    "where a GPU worker fetches its model file from before loading it (resumable ranged GETs, verified)",
  ),
  AFFIANT_BUCKET: name("blobs in this S3 bucket (SSE-KMS) instead of `<home>/blobs`"),
  AFFIANT_BUCKET_KMS_KEY_ID: name("the bucket's KMS key for the objects written"),
  AFFIANT_KMS_KEY_ID: name("seal the PII vault with a KMS envelope under this key"),
  AFFIANT_ROUTING_TABLE: name("the DynamoDB table of the circuit breaker's outcomes (locally: SQLite under the home)"),
  AFFIANT_REVIEW_TABLE: name("the DynamoDB table of open review gates (task tokens) (locally: SQLite under the home)"),
  AFFIANT_REVIEW_LOG_TABLE: name(
    "the append-only DynamoDB table of review decision records and the hash-chained audit log (locally: SQLite under the home)",
  ),
  AFFIANT_GPU_CLUSTER: name("the ECS cluster of the GPU tasks (the fallback and the reaper stop tasks there)"),
  AFFIANT_WORKER_POOLS: s(
    text,
    "JSON (infra writes it)",
    "unset",
    "the acquire Lambda's ECS cluster, network and per-model task definition and ready queue",
    { internal: true },
  ),
  AFFIANT_STATE_MACHINE_ARN: name("the state machine the API and the backfill start executions of"),
  // Deploy-time (sst.config.ts).
  AFFIANT_WORKER_IMAGE: s(text, "<repository>@sha256:<digest>", "required to deploy", "the worker image, by digest"),
  AFFIANT_GPU_MAX_INSTANCES: s(wholeNumber(1), "a positive whole number", "6", "g5 instances the GPU capacity provider may run"),
  AFFIANT_GPU_MIN_INSTANCES: s(wholeNumber(0), "a whole number", "0", "g5 instances kept running at idle"),
  AFFIANT_AZ_COUNT: s(wholeNumber(1, 6), "a whole number from 1 to 6", "2", "availability zones of the VPC"),
  // A GPU worker's stage, written by the definition (ECS overrides), the engine or the fallback.
  AFFIANT_STAGE: stageValue("the GPU stage the worker runs"),
  AFFIANT_STATE: stageValue("the state name, for log context (default: the stage)"),
  AFFIANT_TASK_TOKEN: s(text, "a task token", "unset (local: the engine's IPC)", "the Step Functions task token the ECS worker answers", {
    secret: true,
    internal: true,
  }),
  AFFIANT_EXECUTION: stageValue("the execution name"),
  AFFIANT_CASE_ID: stageValue("the case id"),
  AFFIANT_CASE_TYPE: stageValue("VAWA or T"),
  AFFIANT_RUN_KEY: stageValue("the execution's blob prefix"),
  AFFIANT_FAULTS: stageValue("injected faults, JSON (core/faults.ts)"),
  AFFIANT_INDEX_KEY: stageValue("the retrieval index's blob key"),
  AFFIANT_ROUND: stageValue("rewrite rounds done so far"),
  AFFIANT_FACTS_KEY: stageValue("ExtractFacts' output key"),
  AFFIANT_DRAFT_KEY: stageValue("the draft's output key"),
  AFFIANT_JUDGE_KEYS: stageValue("the judges' reports, JSON"),
  AFFIANT_MODEL: stageValue("a registry model id other than the stage's (the fallback's local entry)"),
  AFFIANT_FALLBACK_REASON: stageValue("why the fallback runs this worker (an error name)"),
  AFFIANT_HEARTBEAT_SECONDS: s(wholeNumber(1), "a positive whole number", "the registry's", "the state's HeartbeatSeconds", {
    internal: true,
  }),
  AFFIANT_TIMEOUT_SECONDS: s(wholeNumber(1), "a positive whole number", "unset (no deadline)", "the state's TimeoutSeconds", {
    internal: true,
  }),
  AFFIANT_STATE_ENTERED_AT: s(z.iso.datetime({ offset: true }), "an ISO 8601 time", "unset (no deadline)", "when the state was entered", {
    internal: true,
  }),
  AFFIANT_ENQUEUED_AT: s(wholeNumber(0), "epoch milliseconds", "unset", "when the engine queued the stage (queue time metric)", {
    internal: true,
  }),
  // A warm model worker's limits (the registry's `workers`, written by the engine) and the idle time charged to its task.
  AFFIANT_WARM_MAX_TASKS: s(
    wholeNumber(1),
    "a positive whole number",
    "unset (one task, then exit)",
    "tasks a warm model worker runs before it exits",
    { internal: true },
  ),
  AFFIANT_WARM_IDLE_SECONDS: s(
    wholeNumber(1),
    "a positive whole number",
    "30",
    "seconds a warm model worker waits for a task before it exits",
    { internal: true },
  ),
  AFFIANT_WARM_MAX_RSS_GROWTH_MB: s(
    wholeNumber(1),
    "a positive whole number",
    "512",
    "RSS growth over the first task that ends a warm model worker",
    { internal: true },
  ),
  AFFIANT_PRELOAD_MODEL: s(text, "a registry model id", "unset", "started by an Acquire state: load this model, then wait for the task", {
    internal: true,
  }),
  AFFIANT_ACTIVITY_ARN: s(text, "an activity ARN", "unset", "ECS warm worker: its model's activity (the generate states)", {
    internal: true,
  }),
  AFFIANT_READY_QUEUE_URL: s(text, "an SQS queue URL", "unset", "ECS warm worker: its model's ready queue (the Acquire states' tokens)", {
    internal: true,
  }),
  AFFIANT_ACQUIRE_SECONDS: s(
    wholeNumber(1),
    "a positive whole number",
    "the registry's workers.acquireSeconds",
    "ECS warm worker: the deadline of its model load (the Acquire budget); a load past it ends the worker",
    { internal: true },
  ),
  AFFIANT_SLOW_START_SECONDS: s(
    wholeNumber(0),
    "a whole number of seconds",
    "120",
    "the slow-start drill's simulated provisioning delay (instance launch, image pull)",
  ),
  AFFIANT_WARM_IDLE_MS: s(wholeNumber(0), "milliseconds", "0", "how long the warm worker sat idle before this task (charged to it)", {
    internal: true,
  }),
  AFFIANT_BENCH_ONLY: s(
    z.enum(["deadlines", "warm"]),
    "deadlines or warm",
    "unset (every row)",
    "npm run bench: only the named rows, printed, results.md untouched",
    { internal: true },
  ),
  AFFIANT_BENCH_WARM_CASES: s(
    wholeNumber(1),
    "a positive whole number",
    "4",
    "npm run bench: cases per mode in the warm-worker rows' concurrency-2 backfill (the issue's figure is 20)",
    { internal: true },
  ),
  AFFIANT_TEST_TMP: s(
    text,
    "a path",
    "test/.tmp",
    "scripts/run-tests.js: the run's own temp folder, so two runs at once do not share one",
    { internal: true },
  ),
  AFFIANT_LLAMA_BINDING: s(
    text,
    "JSON (core/llama-binding.ts writes it)",
    "unset (each process has node-llama-cpp test its binary in a child first)",
    "scripts/run-tests.js: the CPU llama.cpp binary already tested on this host, loaded without testing it again",
    { internal: true },
  ),
  AFFIANT_EMBEDDER_OPTIONS: s(text, "JSON", "unset", "the local embedder child's options", { internal: true }),
  // Set by the platform; read to tell where the code runs and to pass on to children.
  AWS_LAMBDA_FUNCTION_NAME: s(text, "a name", "unset", "set by Lambda: the code runs in AWS"),
  ECS_CONTAINER_METADATA_URI_V4: s(text, "a URL", "unset", "set by ECS: the code runs in AWS"),
  AWS_REGION: s(text, "a region", "unset", "the AWS region"),
  AWS_DEFAULT_REGION: s(text, "a region", "unset", "the AWS region, older spelling"),
  AWS_ACCESS_KEY_ID: s(text, "a key id", "unset", "AWS credentials are configured", { secret: true }),
  AWS_PROFILE: s(text, "a profile", "unset", "AWS credentials are configured"),
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: s(text, "a path", "unset", "AWS credentials are configured (ECS)", { secret: true }),
  AWS_CONTAINER_CREDENTIALS_FULL_URI: s(text, "a URL", "unset", "AWS credentials are configured (container)", { secret: true }),
  AWS_WEB_IDENTITY_TOKEN_FILE: s(text, "a path", "unset", "AWS credentials are configured (web identity)"),
} satisfies Record<string, Setting<unknown>>;

export type SettingName = keyof typeof settings;
type ValueOf<K extends SettingName> = (typeof settings)[K] extends Setting<infer T> ? T : never;
export type Config = { readonly [K in SettingName]: ValueOf<K> | undefined };

/** One variable, parsed: undefined when unset or empty. */
export function setting<K extends SettingName>(key: K, env: Env = process.env): ValueOf<K> | undefined {
  const raw = env[key];
  if (raw === undefined || raw === "") return undefined;
  const spec: Setting<unknown> = settings[key];
  const parsed = spec.schema.safeParse(raw);
  if (parsed.success) return parsed.data as ValueOf<K>;
  const got = spec.secret ? `a value of ${raw.length} characters, not shown` : JSON.stringify(raw);
  throw new InvalidInputError(`${key} must be ${spec.expected} (got ${got}): ${spec.description}`);
}

/** A view of one environment: each setting is a getter on the shared prototype (a call costs one object). */
class ConfigView {
  constructor(readonly env: Env) {}
}
for (const key of Object.keys(settings) as SettingName[]) {
  Object.defineProperty(ConfigView.prototype, key, {
    get(this: ConfigView) {
      return setting(key, this.env);
    },
  });
}

/** The environment's settings, each parsed when read, from `env` as it is at that moment. */
export function config(env: Env = process.env): Config {
  return new ConfigView(env) as unknown as Config;
}

/** A variable's raw text for a child process's environment, checked first (an unset one is undefined). */
export function settingText(key: SettingName, env: Env = process.env): string | undefined {
  return setting(key, env) === undefined ? undefined : env[key];
}

/** The environment table of docs/configuration.md (scripts/config-table.ts writes it; test/unit/docs.test.ts checks it). */
export function environmentTable(): string {
  const rows = (Object.entries(settings) as Array<[SettingName, Setting<unknown>]>)
    .filter(([, spec]) => !spec.internal)
    .map(([key, spec]) => `| \`${key}\` | ${spec.expected} | ${spec.default} | ${spec.description} |`);
  return ["| Variable | Value | Default | What it does |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

/*
 * Writes. Reads go through config(); the few places that hand an environment to a child or
 * change this process's own (the CLI's log file, a warm worker adopting its task's, the
 * bench's and game day's per-run homes) do it here, so this module stays the one place that
 * touches process.env.
 */

/** This process's PATH, for a child given a minimal environment of its own (a Lambda-like one). */
export function hostPath(): string {
  return process.env.PATH ?? "";
}

/** What any child may inherit: the system's basics, locale, Node's and llama.cpp's own settings. */
const inherited = new Set([
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "LANG",
  "LANGUAGE",
  "TZ",
  "TMPDIR",
  "TMP",
  "TEMP",
  "TERM",
  "CI",
  "NO_COLOR",
  "FORCE_COLOR",
  "SYSTEMROOT",
  "LD_LIBRARY_PATH",
  "CUDA_VISIBLE_DEVICES",
  "NVIDIA_VISIBLE_DEVICES",
]);
const inheritedPrefixes = ["LC_", "NODE_", "AFFIANT_"];
/** Never in a child: the API's bearer token (and anything named after it) is the server's alone. */
const serverOnly = (key: string) => key.startsWith("AFFIANT_API_TOKEN");
/** Where the code runs and which region: not secret, and every AWS client needs the region. */
const awsPlace = new Set(["AWS_LAMBDA_FUNCTION_NAME", "ECS_CONTAINER_METADATA_URI_V4", "AWS_REGION", "AWS_DEFAULT_REGION"]);
/** A hosted provider's key: only for a process that calls the provider. */
const providerKeys = new Set(["OPENROUTER_API_KEY"]);

export interface ChildEnvOptions {
  /** The child calls a hosted provider itself: it gets the provider keys and AWS credentials. */
  provider?: boolean;
  /** The child parses untrusted input (the PDF reader): the basics only, no Affiant setting, no AWS. */
  untrusted?: boolean;
}

/**
 * The environment for a child process: an allow-list of this one's (PATH, HOME, locale,
 * NODE_*, the AFFIANT_* settings but never the API token), with `extra` over it (an
 * undefined value removes the key; `extra` is what the caller means the child to have, so
 * it is not filtered). AWS credentials go only to a child that reads the S3 store
 * (AFFIANT_BUCKET is set) or calls a provider; provider keys only to a child that calls a
 * provider. An untrusted child (a parser of client files) gets the basics alone.
 */
export function childEnv(extra: Env = {}, options: ChildEnvOptions = {}): Record<string, string> {
  const env = process.env;
  const aws = options.provider === true || (!options.untrusted && Boolean(env.AFFIANT_BUCKET));
  const allowed = (key: string) => {
    if (inherited.has(key.toUpperCase()) || key.startsWith("LC_") || key.startsWith("NODE_")) return true;
    if (options.untrusted) return false;
    if (serverOnly(key)) return false;
    if (inheritedPrefixes.some((p) => key.startsWith(p)) || awsPlace.has(key)) return true;
    if (providerKeys.has(key)) return options.provider === true;
    return aws && key.startsWith("AWS_");
  };
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined && allowed(key)) out[key] = value;
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete out[key];
    else out[key] = value;
  }
  return out;
}

/**
 * Sets variables in this process's environment (an undefined value removes one) and returns
 * the function that puts back what was there before, so a caller can scope a change.
 */
export function setEnv(values: Env): () => void {
  const before: Env = {};
  for (const key of Object.keys(values)) before[key] = process.env[key];
  assignEnv(values);
  return () => assignEnv(before);
}

/** Makes this process's environment exactly `env` (a warm worker taking on its task's, as a fresh fork would). */
export function replaceEnv(env: Env): void {
  for (const key of Object.keys(process.env)) if (!(key in env)) delete process.env[key];
  assignEnv(env);
}

function assignEnv(values: Env): void {
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
}

/**
 * The cold path of a GPU stage: what its Acquire state waits through when no worker of its
 * model is warm and no instance is free, step by step. Each figure and where it comes from is
 * in docs/deploy.md (Cold path); none is measured on a real account yet. The registry's
 * `workers.acquireSeconds` is the Acquire's budget; the production profile must cover
 * {@link coldPathSeconds} for its largest stage model (infra/production.ts).
 */
export const coldPath = {
  /** ECS managed scaling sees the PROVISIONING task (CapacityProviderReservation, one-minute periods) and the ASG launches. */
  scaleOutSeconds: 120,
  /** EC2 boot of the ECS GPU AMI until the agent registers: the capacity provider's instanceWarmupPeriod (infra/gpu.ts). */
  instanceBootSeconds: 180,
  /** The worker image (CUDA 12.8 runtime + node_modules, about 3 GB compressed) from ECR through the VPC endpoints. */
  imagePullSeconds: 150,
  /** One ranged-GET stream from S3 through the gateway endpoint (containers/llama-worker/model-fetch.ts). */
  modelFetchMBps: 80,
  /** The sha256 pass over the fetched file and the load into GPU memory, both reading the gp3 volume provisioned at 500 MB/s. */
  modelReadMBps: 250,
  /** Headroom over the sum, for a slow AZ or a throttled pull. */
  margin: 0.25,
} as const;

/** Seconds the cold path takes for a model of `modelBytes`, with the margin, rounded up to a minute. */
export function coldPathSeconds(modelBytes: number): number {
  const mb = modelBytes / 1e6;
  const sum =
    coldPath.scaleOutSeconds +
    coldPath.instanceBootSeconds +
    coldPath.imagePullSeconds +
    mb / coldPath.modelFetchMBps +
    (2 * mb) / coldPath.modelReadMBps;
  return Math.ceil((sum * (1 + coldPath.margin)) / 60) * 60;
}
