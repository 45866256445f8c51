/**
 * Prompt templates are files under prompts/<version>/, reviewed like code; the version in
 * force is recorded with every execution so a declaration can be traced to its prompts.
 */

import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { config } from "../config.ts";

export const promptVersion = "v2";
// A bundled Lambda's import.meta.url is the bundle, not this file: it sets AFFIANT_PROMPTS_DIR.
const promptsRoot = config().AFFIANT_PROMPTS_DIR ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "prompts");
export const promptsDir = path.resolve(promptsRoot, promptVersion);

/**
 * A file name under prompts/<version>/, without `.txt`. Any name: a new stage brings its own
 * template file, and test/unit/stages.test.ts checks that every stage module's templates exist.
 */
export type TemplateName = string;

const cache = new Map<TemplateName, string>();

export function renderTemplate(name: TemplateName, vars: Record<string, string>): string {
  let template = cache.get(name);
  if (template === undefined) {
    template = readFileSync(path.join(promptsDir, `${name}.txt`), "utf8");
    cache.set(name, template);
  }
  return template.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = vars[key];
    if (value === undefined) throw new Error(`prompt ${promptVersion}/${name} needs {{${key}}}`);
    return value;
  });
}
