/**
 * Does the model fit, and how much context does a stage get: read from the GGUF before any
 * weight loads. The context is sized per stage (prompt + output + margin, never a library
 * default) and refused, never truncated, above the trained context or the memory budget; on a
 * GPU every layer must fit in the VRAM free now.
 */

import { existsSync } from "node:fs";
import { GgufInsights, type Llama, readGgufFileInfo } from "node-llama-cpp";
import { ContextTooLargeError, ModelDoesNotFitError, ModelUnavailableError } from "../../core/errors.ts";

export interface ModelPlanOptions {
  modelId: string;
  modelPath: string;
  stage: string;
  /** Memory budget of one GPU of the host class, in bytes. */
  memoryBudgetBytes: number;
  /**
   * The llama already opened. Without it, GgufInsights opens a backend-less binding of its
   * own, which on Linux means a second binary-test child process (about 1.4 s here).
   */
  llama?: Llama;
}

export interface ModelPlan {
  trainContextSize: number;
  /** Bytes the weights need (mmap'd on CPU). */
  modelBytes: number;
  architecture: string;
  insights: GgufInsights;
}

/** Reads GGUF metadata without loading weights: the "does it fit" decision comes first. */
export async function planModel(options: ModelPlanOptions): Promise<ModelPlan> {
  if (!existsSync(options.modelPath)) {
    throw new ModelUnavailableError(`model file for ${options.modelId} not found at ${options.modelPath} (run \`affiant models pull\`)`, {
      state: options.stage,
      model: options.modelId,
    });
  }
  const info = await readGgufFileInfo(options.modelPath, { readTensorInfo: true });
  const insights = await GgufInsights.from(info, options.llama);
  const trainContextSize = insights.trainContextSize ?? 2048;
  const modelReq = await insights.estimateModelResourceRequirementsV2({ gpuLayers: 0 });
  return {
    trainContextSize,
    modelBytes: modelReq.cpuRam + modelReq.gpuVram,
    architecture: String(info.metadata?.general?.architecture ?? "unknown"),
    insights,
  };
}

export interface ContextCheck {
  stage: string;
  modelId: string;
  promptTokens: number;
  maxTokens: number;
  plan: ModelPlan;
  memoryBudgetBytes: number;
  /** Requested context size override (the `oom` fault asks for one that cannot fit). */
  forceContextSize?: number;
  /** The registry's cap for this model, when below its trained context. Default: none. */
  configuredMax?: number;
}

/** Tokens added to prompt + output budget for special tokens and grammar slack. */
export const contextMargin = 16;

/**
 * The context is prompt + output budget + margin, never a library default, and is
 * refused (not truncated) when above the trained context or the memory budget.
 */
export async function sizeContext(check: ContextCheck): Promise<number> {
  const needed = check.forceContextSize ?? check.promptTokens + check.maxTokens + contextMargin;
  const where = { state: check.stage, model: check.modelId };
  const configured = check.configuredMax !== undefined && check.configuredMax < check.plan.trainContextSize;
  const max = configured ? check.configuredMax! : check.plan.trainContextSize;
  if (needed > max) {
    throw new ContextTooLargeError(
      `${check.stage}: ${check.modelId} needs ${needed} tokens of context (prompt ${check.promptTokens} + output ${check.maxTokens} + ${contextMargin}); its ${configured ? "configured" : "trained"} maximum is ${max}`,
      where,
    );
  }
  const ctxReq = await check.plan.insights.estimateContextResourceRequirementsV2({ contextSize: needed, modelGpuLayers: 0, sequences: 1 });
  const total = check.plan.modelBytes + ctxReq.cpuRam + ctxReq.gpuVram;
  if (total > check.memoryBudgetBytes) {
    throw new ContextTooLargeError(
      `${check.stage}: ${check.modelId} at ${needed} tokens of context needs ~${mib(total)} MiB; one GPU of its host class has ${mib(check.memoryBudgetBytes)} MiB`,
      where,
    );
  }
  return needed;
}

export const mib = (b: number) => Math.round(b / 2 ** 20);

/** Where the model went: all layers on the GPU, or none (the CPU build). */
export interface Placement {
  gpuLayers: number;
  vramTotalMb?: number;
  vramUsedMb?: number;
}

/**
 * On a GPU every layer goes on it, or the load is refused with Affiant.ModelDoesNotFit:
 * llama.cpp's "auto" would quietly leave layers on the CPU (3–4× slower) when the fit is
 * tight. Checked against the VRAM free now, not the host class's nominal size.
 */
export async function placeModel(
  llama: Llama,
  where: { stage: string; modelId: string; contextSize: number; plan?: ModelPlan },
): Promise<number> {
  if (llama.gpu === false) return 0;
  const insights = where.plan?.insights;
  if (!insights) return Number.MAX_SAFE_INTEGER;
  const layers = insights.totalLayers;
  const modelReq = await insights.estimateModelResourceRequirementsV2({ gpuLayers: layers });
  const ctxReq = await insights.estimateContextResourceRequirementsV2({
    contextSize: where.contextSize,
    modelGpuLayers: layers,
    sequences: 1,
  });
  const needed = modelReq.gpuVram + ctxReq.gpuVram;
  const vram = await llama.getVramState();
  if (needed > vram.free) {
    throw new ModelDoesNotFitError(
      `${where.stage}: ${where.modelId} needs ~${mib(needed)} MiB of GPU memory for all ${layers} layers at ${where.contextSize} tokens of context; ${mib(vram.free)} MiB of ${mib(vram.total)} MiB is free`,
      { state: where.stage, model: where.modelId },
    );
  }
  return layers;
}
