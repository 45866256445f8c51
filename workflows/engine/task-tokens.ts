/**
 * Task tokens for `.waitForTaskToken` states run locally. The engine issues a token per GPU
 * task and waits; the worker answers through the Step Functions API (`affiant serve`'s
 * `/sfn`), exactly as it answers Step Functions from ECS. Errors carry the service's names,
 * so the endpoint can return them as AWS would.
 */
import { randomBytes } from "node:crypto";
import { SfnServiceError } from "../../core/errors.ts";

/** Its error lives with every other in core/errors.ts; re-exported for its callers. */
export { SfnServiceError };

export interface TaskTokenListener {
  heartbeat(): void;
  succeed(output: unknown): void;
  fail(error: string, cause: string): void;
}

export class TaskTokenBroker {
  private readonly open = new Map<string, TaskTokenListener>();
  /**
   * Tokens whose task ended (answered, timed out, stopped): a late call is TaskTimedOut.
   * Bounded, oldest first out: a server up for months must not keep every token it issued;
   * a call on a token forgotten here is InvalidToken, which a worker treats the same.
   */
  private readonly closed = new Set<string>();

  constructor(private readonly maxClosed = 10_000) {}

  issue(listener: TaskTokenListener): string {
    // Opaque and unguessable, like Step Functions' own (which run to ~1 KB).
    const token = `AQC${randomBytes(48).toString("base64url")}`;
    this.open.set(token, listener);
    return token;
  }

  /** The task ended on the engine's side; the worker may no longer answer it. */
  close(token: string): void {
    if (!this.open.delete(token)) return;
    this.closed.add(token);
    if (this.closed.size > this.maxClosed) this.closed.delete(this.closed.values().next().value!);
  }

  /** How many ended tokens are remembered (at most the constructor's `maxClosed`, default 10,000). */
  get remembered(): number {
    return this.closed.size;
  }

  /** True while the token's task is open here (a token this broker issued and nobody answered yet). */
  has(token: string): boolean {
    return this.open.has(token);
  }

  heartbeat(token: string): void {
    this.listener(token).heartbeat();
  }

  succeed(token: string, output: string): void {
    const listener = this.listener(token);
    let parsed: unknown;
    try {
      parsed = JSON.parse(output);
    } catch {
      throw new SfnServiceError("InvalidOutput", "output is not valid JSON");
    }
    this.close(token);
    listener.succeed(parsed);
  }

  fail(token: string, error: string, cause: string): void {
    const listener = this.listener(token);
    this.close(token);
    listener.fail(error, cause);
  }

  get pending(): number {
    return this.open.size;
  }

  private listener(token: string): TaskTokenListener {
    const listener = this.open.get(token);
    if (listener) return listener;
    if (this.closed.has(token)) throw new SfnServiceError("TaskTimedOut", "the task of this token has already ended");
    throw new SfnServiceError("InvalidToken", "unknown task token");
  }
}
