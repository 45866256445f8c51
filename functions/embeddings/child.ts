/**
 * The local embedder in a child process. The local engine runs every Lambda handler in
 * its own long-lived process; loading llama.cpp weights there would leave them (and the
 * allocator's high-water mark) in the engine for the rest of the run, against the rule
 * of one model per process with its memory given back. A child that exits returns all of
 * it to the OS, and a native crash in it fails one state instead of the engine. The cost
 * is a process start per Index and Score state (compiled like the GPU worker, so no
 * TypeScript loader runs in it).
 */
import { type ChildProcess, fork } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { compiledLaunch } from "../../core/child-entry.ts";
import { childEnv } from "../../core/config.ts";
import { AffiantError, ModelUnavailableError } from "../../core/errors.ts";
import type { Embedder, Truncation } from "./embedder.ts";
import type { LocalEmbedderOptions } from "./local.ts";

export type ChildRequest = { type: "embed"; id: number; texts: string[] } | { type: "close" };
export type ChildReply =
  | { type: "ready" }
  | { type: "vectors"; id: number; vectors: Float32Array[]; truncations: Truncation[] }
  | { type: "error"; id?: number; name: string; message: string; model?: string }
  | { type: "closed"; peakRssBytes: number };

const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), "child-main.ts");

export interface ChildEmbedderOptions extends Omit<LocalEmbedderOptions, "llama"> {
  /** Deadline for loading the model and for each `embed` call. Default: 300 s. */
  timeoutMs?: number;
}

export class ChildEmbedder implements Embedder {
  readonly provider = "local" as const;
  readonly model: string;
  readonly truncations: Truncation[] = [];
  /** The child's peak resident memory, known once it has closed. */
  peakRssBytes?: number;
  private nextId = 0;
  private disposed = false;

  private constructor(
    private readonly child: ChildProcess,
    options: ChildEmbedderOptions,
    private readonly timeoutMs: number,
  ) {
    this.model = options.modelId;
  }

  static async open(options: ChildEmbedderOptions): Promise<ChildEmbedder> {
    const timeoutMs = options.timeoutMs ?? 300_000;
    const launch = await compiledLaunch(entry);
    const child = fork(launch.entry, [], {
      execArgv: launch.execArgv,
      env: childEnv({ AFFIANT_EMBEDDER_OPTIONS: JSON.stringify({ ...options, timeoutMs: undefined }) }),
      stdio: ["ignore", "ignore", "ignore", "ipc"],
      // Structured clone: Float32Array rows cross the channel as they are.
      serialization: "advanced",
    });
    const embedder = new ChildEmbedder(child, options, timeoutMs);
    await embedder.reply((m) => m.type === "ready", "load");
    return embedder;
  }

  /** The next reply that `match` accepts; an error reply, an exit or the deadline reject. */
  private reply(match: (m: ChildReply) => boolean, what: string, id?: number): Promise<ChildReply> {
    return new Promise((resolve, reject) => {
      const where = { model: this.model, provider: "local" };
      const done = (err: Error | null, m?: ChildReply) => {
        clearTimeout(timer);
        this.child.off("message", onMessage);
        this.child.off("exit", onExit);
        if (err) {
          this.kill();
          reject(err);
        } else resolve(m!);
      };
      const onMessage = (m: ChildReply) => {
        if (m.type === "error" && (m.id === undefined || m.id === id)) {
          const err = new (m.name === ModelUnavailableError.errorName ? ModelUnavailableError : AffiantError)(m.message, where);
          if (!(err instanceof ModelUnavailableError)) err.name = m.name;
          done(err);
        } else if (match(m)) done(null, m);
      };
      const onExit = (code: number | null, signal: string | null) =>
        done(
          new ModelUnavailableError(`embedding process for ${this.model} exited during ${what} (code ${code}, signal ${signal})`, where),
        );
      const timer = setTimeout(
        () => done(new ModelUnavailableError(`embedding process for ${this.model}: ${what} took over ${this.timeoutMs} ms; killed`, where)),
        this.timeoutMs,
      );
      this.child.on("message", onMessage);
      this.child.on("exit", onExit);
    });
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    if (this.disposed) throw new ModelUnavailableError(`embedding model ${this.model} was disposed`, { model: this.model });
    const id = this.nextId++;
    const answer = this.reply((m) => m.type === "vectors" && m.id === id, "embed", id);
    this.child.send({ type: "embed", id, texts } satisfies ChildRequest);
    const { vectors, truncations } = (await answer) as Extract<ChildReply, { type: "vectors" }>;
    this.truncations.push(...truncations.map((t) => ({ ...t, call: id })));
    return vectors;
  }

  private kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }

  /** Asks the child to free the model and exit; kills it if it does not within 10 s. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once("exit", () => r()));
    this.child.on("message", (m: ChildReply) => {
      if (m.type === "closed") this.peakRssBytes = m.peakRssBytes;
    });
    const timer = setTimeout(() => this.kill(), 10_000);
    if (this.child.connected) this.child.send({ type: "close" } satisfies ChildRequest);
    else this.kill();
    await exited;
    clearTimeout(timer);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  /** The child's process id (tests check it is gone after dispose). */
  get pid(): number | undefined {
    return this.child.pid;
  }
}
