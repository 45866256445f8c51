/**
 * Regenerates the sample cases in examples/cases/ from workflows/samples/sample-cases.ts. Every
 * person, number and place in them is invented; the PDFs say so on every page.
 * Run: `npm run samples`.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sampleCases, writeCase } from "../workflows/samples/sample-cases.ts";
import { vawaSpanish } from "../workflows/samples/spanish-sample.ts";
import { variantSamples } from "../workflows/samples/variant-samples.ts";

const casesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "cases");

// The Spanish sample and the variant samples are not the game day's stories (sampleCases): each is its own case.
for (const sample of [...sampleCases, vawaSpanish, ...variantSamples]) {
  await writeCase(sample, path.join(casesDir, sample.dir));
  console.log(`wrote ${path.join("examples/cases", sample.dir)}`);
}
