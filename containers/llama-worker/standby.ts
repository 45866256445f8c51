/**
 * A warm spare (AFFIANT_WORKER_STANDBY=1): modules loaded and the llama.cpp binding opened
 * and tested, then it waits, with no model, for the engine to give it a stage's environment.
 */
import { config, replaceEnv } from "../../core/config.ts";
import type { Llama } from "node-llama-cpp";
import type { EngineMessage, WorkerMessage } from "./channel.ts";
import { killSelf } from "./lifeline.ts";
import { openLlama } from "./model-session.ts";

export interface WarmStart {
  /** The binding opened before the spare had a stage. */
  llama: Llama;
  /** The AFFIANT_GPU it was opened for (a stage given another cannot use it). */
  gpu: string | undefined;
  /** When the spare took its stage: the stage's clock starts here, not at the process start. */
  assignedAt: number;
}

export async function standBy(): Promise<WarmStart> {
  const assigned = new Promise<NodeJS.ProcessEnv>((resolve) => {
    const onMessage = (message: EngineMessage) => {
      if (message?.type !== "assign") return;
      process.off("message", onMessage);
      resolve(message.env);
    };
    process.on("message", onMessage);
  });
  // The engine is gone: nobody will ever give this spare a stage.
  const orphaned = () => killSelf();
  process.once("disconnect", orphaned);
  const warm = { llama: await openLlama(), gpu: config().AFFIANT_GPU };
  process.send!({ type: "ready" } satisfies WorkerMessage);
  const env = await assigned;
  process.off("disconnect", orphaned);
  const assignedAt = Date.now();
  // The stage's environment replaces the one the spare was forked with, as a fresh fork's would.
  replaceEnv(env);
  return { ...warm, assignedAt };
}
