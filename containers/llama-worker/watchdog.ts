/**
 * The stall watchdog: a generation that produces no token for the stage's watchdogSeconds
 * is ended with Affiant.GenerationStalled (runaway output, the opposite failure, is
 * loop-detector.ts's).
 */
import { type AffiantError, GenerationStalledError } from "../../core/errors.ts";

/** Aborts the process when no token arrives for `timeoutMs`: a native hang cannot block it. */
export class Watchdog {
  private last = Date.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly onStall: (err: AffiantError) => void,
    private readonly describe: () => { stage: string; model: string; tokens: number },
  ) {}

  start(): void {
    this.last = Date.now();
    this.timer = setInterval(
      () => {
        const idle = Date.now() - this.last;
        if (idle < this.timeoutMs) return;
        this.stop();
        const d = this.describe();
        this.onStall(
          new GenerationStalledError(
            `${d.stage}: ${d.model} produced no token for ${(idle / 1000).toFixed(1)} s (after ${d.tokens} tokens)`,
            {
              state: d.stage,
              model: d.model,
            },
          ),
        );
      },
      Math.min(250, this.timeoutMs / 4),
    );
  }

  feed(): void {
    this.last = Date.now();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
