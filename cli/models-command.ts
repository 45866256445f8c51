/** `affiant models check [--json] [--verify] [--bedrock]` and `affiant models pull` */

import { config } from "../core/config.ts";
import { loadRegistry } from "../core/registry.ts";
import { checkModels, gib } from "../workflows/model-check.ts";

export async function modelsCheckCommand(opts: { json?: boolean; verify?: boolean }): Promise<number> {
  const registry = loadRegistry();
  const results = await checkModels(registry, { verify: opts.verify });
  const failed = results.filter((r) => r.problems.length > 0);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ registry: registry.source, models: results }, null, 2)}\n`);
  } else {
    process.stdout.write(`registry: ${registry.source}\n`);
    for (const r of results) {
      const params = r.parameters !== undefined ? `${(r.parameters / 1e6).toFixed(r.parameters < 1e7 ? 2 : 0)}M params` : "";
      const facts = r.architecture
        ? `${r.architecture}, ${params}, ${r.quantization}, trained ctx ${r.trainContextSize}, ctx ${r.contextSize}, needs ${gib(r.memoryBytes!)} GiB of ${gib(r.gpuMemoryBytes)} GiB (${r.hostClass})`
        : "";
      const verdict = r.problems.length
        ? `NO: ${r.problems.join("; ")}`
        : r.fits === "split"
          ? "fits (split over GPUs, allowed)"
          : "fits one GPU";
      process.stdout.write(`${r.id}: ${facts}${facts ? " — " : ""}${verdict}${r.sha256 ? ` [sha256 ${r.sha256}]` : ""}\n`);
    }
  }
  if (failed.length)
    process.stderr.write(
      `affiant models check: ${failed.length} model(s) cannot run as configured: ${failed.map((f) => f.id).join(", ")}\n`,
    );
  return failed.length ? 1 : 0;
}

/**
 * `affiant models check --bedrock [--json]`: GetFoundationModel's `modelLifecycle.status` for each
 * Bedrock model the registry calls; exit 1 when one is not Active or the snapshot disagrees.
 */
export async function bedrockCheckCommand(opts: { json?: boolean }): Promise<number> {
  const [{ signedFoundationModelLookup }, { loadLifecycleSnapshot }, { checkBedrockLifecycle }] = await Promise.all([
    import("../core/providers/bedrock-control.ts"),
    import("../core/providers/bedrock-lifecycle.ts"),
    import("../workflows/bedrock-lifecycle-check.ts"),
  ]);
  const registry = loadRegistry();
  const region = config().AWS_REGION ?? config().AWS_DEFAULT_REGION;
  if (!region) {
    process.stderr.write("affiant models check --bedrock: no AWS region: set AWS_REGION to the region you deploy to\n");
    return 1;
  }
  let rows: Awaited<ReturnType<typeof checkBedrockLifecycle>>;
  try {
    rows = await checkBedrockLifecycle(registry, signedFoundationModelLookup({ region }), loadLifecycleSnapshot());
  } catch (err) {
    process.stderr.write(`affiant models check --bedrock: ${(err as Error).message}\n`);
    return 1;
  }
  if (opts.json) process.stdout.write(`${JSON.stringify({ registry: registry.source, region, models: rows }, null, 2)}\n`);
  else {
    process.stdout.write(`registry: ${registry.source}, Bedrock in ${region}\n`);
    for (const r of rows)
      process.stdout.write(`${r.id}: ${r.status ?? "not offered"}${r.problems.length ? ` — NO: ${r.problems.join("; ")}` : ""}\n`);
  }
  const failed = rows.filter((r) => r.problems.length);
  if (failed.length)
    process.stderr.write(
      `affiant models check --bedrock: ${failed.length} model(s) not deployable: ${failed.map((f) => f.id).join(", ")}\n`,
    );
  return failed.length ? 1 : 0;
}

/** `affiant models pull [--only id]…` */
export async function modelsPullCommand(opts: { only: string[] }): Promise<number> {
  const { pullModels } = await import("../workflows/model-pull.ts");
  const registry = loadRegistry();
  const unknown = opts.only.filter((id) => !registry.models[id]);
  if (unknown.length) {
    process.stderr.write(
      `affiant models pull: --only ${unknown.join(", ")}: not in the registry ${registry.source} (models: ${Object.keys(registry.models).join(", ")})\n`,
    );
    return 1;
  }
  const tty = Boolean(process.stderr.isTTY);
  const reported = new Map<string, number>();
  const results = await pullModels(registry, {
    only: opts.only.length ? opts.only : undefined,
    onProgress: (p) => {
      if (!(p.totalBytes > 0)) return;
      const pct = Math.floor((p.downloadedBytes / p.totalBytes) * 10) * 10;
      if (tty) {
        process.stderr.write(
          `\r${p.id}: ${Math.floor((p.downloadedBytes / p.totalBytes) * 100)}% of ${(p.totalBytes / 2 ** 20).toFixed(1)} MiB`,
        );
        if (p.downloadedBytes >= p.totalBytes) process.stderr.write("\n");
        return;
      }
      if ((reported.get(p.id) ?? -1) >= pct) return;
      reported.set(p.id, pct);
      process.stderr.write(`${p.id}: ${pct}% of ${(p.totalBytes / 2 ** 20).toFixed(1)} MiB\n`);
    },
  });
  for (const r of results) process.stdout.write(`${r.id}: ${r.status}${r.error ? ` — ${r.error}` : ""} (${r.file})\n`);
  const failed = results.filter((r) => r.status === "failed");
  if (failed.length) process.stderr.write(`affiant models pull: ${failed.length} model(s) failed: ${failed.map((f) => f.id).join(", ")}\n`);
  return failed.length ? 1 : 0;
}
