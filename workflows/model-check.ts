/**
 * `affiant models check`: for every registry model, what the GGUF file says (architecture,
 * parameters, quantization, trained context), the memory it needs at its configured
 * context, and whether that fits one GPU of its host class. A model split over several
 * PCIe GPUs ran 3-4x slower in the seed deployment, so splitting is refused unless the
 * registry entry allows it.
 */
import { createHash } from "node:crypto";
import { createReadStream, existsSync, statSync } from "node:fs";
import { GgmlType, GgufFileType } from "node-llama-cpp";
import { planModel } from "../containers/llama-worker/context-plan.ts";
import { modelFilePath, type Registry } from "../core/registry.ts";

export interface ModelCheck {
  id: string;
  file: string;
  present: boolean;
  architecture?: string;
  parameters?: number;
  quantization?: string;
  trainContextSize?: number;
  contextSize?: number;
  hostClass: string;
  gpuMemoryBytes: number;
  memoryBytes?: number;
  /** "one-gpu", "split" (allowed and needed), or "no". */
  fits: "one-gpu" | "split" | "no";
  sha256?: "ok" | "mismatch" | "unchecked";
  problems: string[];
}

export interface CheckOptions {
  /** Hash each file against the registry's sha256 (slow for real models). Default: false. */
  verify?: boolean;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

export async function checkModels(registry: Registry, options: CheckOptions = {}): Promise<ModelCheck[]> {
  const results: ModelCheck[] = [];
  for (const [id, entry] of Object.entries(registry.models)) {
    const file = modelFilePath(registry, id);
    const host = registry.hostClasses[entry.hostClass]!;
    const gpuMemoryBytes = host.gpuMemoryGiB * 2 ** 30;
    const check: ModelCheck = {
      id,
      file,
      present: existsSync(file) && statSync(file).isFile(),
      hostClass: entry.hostClass,
      gpuMemoryBytes,
      fits: "no",
      problems: [],
    };
    results.push(check);
    if (!check.present) {
      check.problems.push(`model file not found: ${file} (run \`affiant models pull\`)`);
      continue;
    }
    try {
      const plan = await planModel({ modelId: id, modelPath: file, stage: "models check", memoryBudgetBytes: gpuMemoryBytes });
      const insights = plan.insights;
      const contextSize = entry.contextSize;
      const gpuLayers = insights.totalLayers;
      const weights = await insights.estimateModelResourceRequirementsV2({ gpuLayers });
      const context = await insights.estimateContextResourceRequirementsV2({ contextSize, modelGpuLayers: gpuLayers, sequences: 1 });
      const memoryBytes = weights.cpuRam + weights.gpuVram + context.cpuRam + context.gpuVram;
      const fileType = insights.ggufFileInfo.metadata?.general?.file_type;
      Object.assign(check, {
        architecture: plan.architecture,
        parameters: insights.totalParameters,
        quantization:
          fileType !== undefined
            ? (GgufFileType[fileType] ?? String(fileType))
            : insights.dominantTensorType !== undefined
              ? GgmlType[insights.dominantTensorType]
              : "unknown",
        trainContextSize: plan.trainContextSize,
        contextSize,
        memoryBytes,
      });
      if (contextSize > plan.trainContextSize)
        check.problems.push(`configured context ${contextSize} is above the trained context ${plan.trainContextSize}`);
      if (memoryBytes <= gpuMemoryBytes) check.fits = "one-gpu";
      else if (memoryBytes <= gpuMemoryBytes * host.gpusPerHost && entry.allowSplit) check.fits = "split";
      else if (memoryBytes <= gpuMemoryBytes * host.gpusPerHost)
        check.problems.push(
          `needs ${gib(memoryBytes)} GiB: more than one ${host.gpu} (${host.gpuMemoryGiB} GiB); splitting over GPUs is not allowed for this model (allowSplit)`,
        );
      else
        check.problems.push(
          `needs ${gib(memoryBytes)} GiB: more than a whole ${host.instanceType} (${host.gpusPerHost} × ${host.gpuMemoryGiB} GiB)`,
        );
      if (options.verify) {
        if (!entry.sha256) check.sha256 = "unchecked";
        else {
          check.sha256 = (await sha256File(file)) === entry.sha256 ? "ok" : "mismatch";
          if (check.sha256 === "mismatch") check.problems.push(`sha256 of ${file} does not match the registry`);
        }
      }
    } catch (err) {
      check.problems.push((err as Error).message);
    }
  }
  return results;
}

export const gib = (bytes: number) => (bytes / 2 ** 30).toFixed(bytes < 2 ** 30 ? 3 : 1);
