/** `affiant redact [--json]`: text on stdin, redacted text (or {text, entities}) on stdout. */
import { Redactor } from "../functions/redaction/redactor.ts";

export async function redactCommand(opts: { json?: boolean }): Promise<number> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const result = new Redactor().redact(Buffer.concat(chunks).toString("utf8"));
  process.stdout.write(opts.json ? JSON.stringify(result) + "\n" : result.text);
  return 0;
}
