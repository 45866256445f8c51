#!/usr/bin/env node
// The CLI, run from the build in dist/ (bin/build.mjs). The build is checked against its
// sources first (a stat of each input) and rebuilt in-process when one changed, so an edit to
// a .ts file is what the next `affiant` runs. Where no build can be written (a read-only
// install), the sources run through tsx's loader instead.
import { pathToFileURL } from "node:url";
import { ensureBuild } from "./build.mjs";

let cli;
try {
  cli = (await ensureBuild()).cli;
} catch (err) {
  process.stderr.write(
    `affiant: could not build into dist/ (${err instanceof Error ? err.message : String(err)}); running the TypeScript sources through tsx\n`,
  );
}
if (cli) {
  await import(pathToFileURL(cli).href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../cli/main.ts");
}
