/**
 * What a registry must be before stage `production` deploys it: every GPU stage on a GPU
 * host class with a model that fits its GPU at its context, and a fallback chain that a
 * Lambda can run (a hosted provider of core/providers/; `local:` is skipped there). `sst.config.ts` refuses
 * the deploy with these problems; the rehearsal and test/unit/infra.test.ts check the shipped one.
 */

import { coldPathSeconds } from "../core/config.ts";
import { providers } from "../core/providers/index.ts";
import { type Registry, splitRef } from "../core/registry.ts";
import { gpuStages, stateNames } from "../core/state-names.ts";

/** CUDA context, compute buffers and llama.cpp's scratch, beyond weights and KV cache. */
const gpuOverheadBytes = 1.5 * 2 ** 30;
const hostedProviders = new Set<string>(providers.map((p) => p.name));

/** The production registry shipped with the project. */
export const productionRegistryFile = "models/registry.g5.json";

/** Each problem names the stage (or model) and what is wrong; empty when deployable. */
export function productionRegistryProblems(registry: Registry): string[] {
  const problems: string[] = [];
  for (const stage of gpuStages) {
    const entry = registry.stages[stage]!;
    const model = registry.models[entry.model]!;
    const host = registry.hostClasses[model.hostClass]!;
    if (!/^[gp]\d/.test(host.instanceType)) {
      problems.push(
        `stage ${stage}: model ${entry.model} is on host class ${model.hostClass} (${host.instanceType}), not a GPU instance class (g*/p*)`,
      );
    }
    if (!entry.fallback.some((ref) => hostedProviders.has(splitRef(ref)[0]))) {
      problems.push(
        `stage ${stage}: fallback chain [${entry.fallback.join(", ")}] has no hosted provider (${[...hostedProviders].map((p) => `${p}:`).join(" or ")}); a Lambda skips local: fallbacks`,
      );
    }
    if (model.trainedContext !== undefined && model.contextSize > model.trainedContext) {
      problems.push(
        `stage ${stage}: model ${entry.model} asks for context ${model.contextSize}, beyond its trained ${model.trainedContext}`,
      );
    }
    if (model.sizeBytes === undefined || model.kvBytesPerToken === undefined) {
      problems.push(`stage ${stage}: model ${entry.model} has no sizeBytes/kvBytesPerToken, so its fit on ${host.gpu} cannot be checked`);
    } else {
      const need = model.sizeBytes + model.contextSize * model.kvBytesPerToken + gpuOverheadBytes;
      const have = host.gpuMemoryGiB * 2 ** 30;
      if (need > have)
        problems.push(
          `stage ${stage}: model ${entry.model} needs ${(need / 2 ** 30).toFixed(1)} GiB at context ${model.contextSize}, over the ${host.gpuMemoryGiB} GiB of ${host.gpu}`,
        );
    }
  }
  const judges = [stateNames.judgeFaithfulness, stateNames.judgeCoverage, stateNames.judgeTone];
  const families = judges.map((j) => registry.models[registry.stages[j]!.model]!.family ?? registry.stages[j]!.model);
  if (new Set(families).size < judges.length)
    problems.push(`judges ${judges.join(", ")} share a model family (${families.join(", ")}): their errors would agree`);
  // The Acquire waits through the cold path: instance, image, model fetch and load (core/config.ts).
  const largest = Math.max(...gpuStages.map((st) => registry.models[registry.stages[st]!.model]!.sizeBytes ?? 0));
  const cold = coldPathSeconds(largest);
  if (registry.workers.acquireSeconds < cold)
    problems.push(
      `workers.acquireSeconds ${registry.workers.acquireSeconds} s is under the cold path of a ${(largest / 1e9).toFixed(1)} GB model, ${cold} s (core/config.ts coldPath; docs/deploy.md, Cold path)`,
    );
  return problems;
}
