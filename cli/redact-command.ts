/**
 * `affiant redact [--json] [--case case.json]`: text on stdin, redacted text (or
 * {text, entities}) on stdout. With `--case`, the case's parties are known as in the
 * pipeline: the declarant is [PERSON_1] and every party's name and its parts are matched.
 */
import { readFileSync } from "node:fs";
import { caseFileSchema } from "../core/case-file.ts";
import { InvalidInputError } from "../core/errors.ts";
import { knownPeople } from "../functions/redact-pii.ts";
import { Redactor } from "../functions/redaction/redactor.ts";

export async function redactCommand(opts: { json?: boolean; case?: string }): Promise<number> {
  const redactor = opts.case ? caseRedactor(opts.case) : new Redactor();
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const result = redactor.redact(Buffer.concat(chunks).toString("utf8"));
  process.stdout.write(opts.json ? `${JSON.stringify(result)}\n` : result.text);
  return 0;
}

function caseRedactor(file: string): Redactor {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    const why =
      (err as NodeJS.ErrnoException).code === "ENOENT"
        ? "no such file"
        : (err as Error).name === "SyntaxError"
          ? "not valid JSON"
          : (err as Error).message;
    throw new InvalidInputError(`--case ${file}: ${why}`, {}, { cause: err });
  }
  const parsed = caseFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidInputError(`--case ${file}: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  const redactor = new Redactor(knownPeople(parsed.data));
  // As Redact does: the declarant first, so the declarant is always [PERSON_1].
  redactor.redact(parsed.data.declarant.name);
  return redactor;
}
