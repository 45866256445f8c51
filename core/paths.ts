/** Where local state lives: `AFFIANT_HOME`, default `.affiant/` in the working directory. */
import path from "node:path";
import { config } from "./config.ts";

export function affiantHome(): string {
  return path.resolve(config().AFFIANT_HOME ?? path.join(process.cwd(), ".affiant"));
}

export const homePaths = {
  blobs: () => path.join(affiantHome(), "blobs"),
  database: () => path.join(affiantHome(), "affiant.db"),
  outputs: () => path.join(affiantHome(), "outputs"),
  vaultKey: () => path.join(affiantHome(), "vault.key"),
  logFile: () => path.join(affiantHome(), "logs", "affiant.jsonl"),
};
