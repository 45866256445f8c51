/** Heartbeats go out only when something advanced: a stalled worker falls silent. */
import type { Progress, TaskChannel } from "./channel.ts";

export interface Heartbeater {
  /** The latest progress; sent at the next tick if it differs from the last one sent. */
  update(progress: Progress): void;
  stop(): void;
}

/**
 * Sends the latest progress every `intervalMs` when it changed. `onSent` runs as each one goes
 * out: the lifeline counts from the heartbeat sent, as Step Functions does.
 */
export function heartbeater(channel: TaskChannel, intervalMs: number, onSent?: () => void): Heartbeater {
  let latest: Progress | undefined;
  let sentKey = "";
  const timer = setInterval(() => {
    if (!latest) return;
    const key = `${latest.phase}:${latest.tokens}:${latest.loadProgress ?? ""}:${latest.promptTokens ?? ""}`;
    if (key === sentKey) return;
    sentKey = key;
    // The worker then dies within the grace of its state failing, whatever progress came in between.
    onSent?.();
    void channel.heartbeat(latest).catch(() => undefined);
  }, intervalMs);
  timer.unref();
  return {
    update: (p: Progress) => {
      latest = p;
    },
    stop: () => clearInterval(timer),
  };
}
