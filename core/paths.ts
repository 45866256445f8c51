/** Where local state lives: `AFFIANT_HOME`, default `.affiant/` in the working directory. */
import { chmodSync, mkdirSync } from "node:fs";
import path from "node:path";
import { config } from "./config.ts";

export function affiantHome(): string {
  return path.resolve(config().AFFIANT_HOME ?? path.join(process.cwd(), ".affiant"));
}

/**
 * Everything Affiant writes under its home holds client data or gate tokens: folders 0700,
 * files 0600, whatever the umask. `privateDir` creates a folder (and any missing parent under
 * the home) that way and tightens the home itself, which may predate it.
 */
export const privateModes = { dir: 0o700, file: 0o600 } as const;

export function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: privateModes.dir });
  const home = affiantHome();
  for (let d = path.resolve(dir); d === home || d.startsWith(home + path.sep); d = path.dirname(d)) {
    try {
      chmodSync(d, privateModes.dir);
    } catch {
      // Not ours to change (a shared parent): the files inside are 0600 anyway.
    }
    if (d === home) break;
  }
}

/** Files this process creates are private (umask 077): the CLI sets it before it writes anything. */
export function privateUmask(): void {
  process.umask(0o077);
}

export const homePaths = {
  blobs: () => path.join(affiantHome(), "blobs"),
  database: () => path.join(affiantHome(), "affiant.db"),
  outputs: () => path.join(affiantHome(), "outputs"),
  vaultKey: () => path.join(affiantHome(), "vault.key"),
  logFile: () => path.join(affiantHome(), "logs", "affiant.jsonl"),
};
