/**
 * `/cases`: store a case (multipart: case.json and its PDFs; JSON: case.json and a file list,
 * answered with presigned upload URLs), and start an execution of a stored case.
 */
import { Hono } from "hono";
import { z } from "zod";
import { checkListedFiles } from "../../core/case-documents.ts";
import { InvalidInputError, UnsupportedMediaTypeError } from "../../core/errors.ts";
import { log } from "../../core/log.ts";
import { parseCaseJson } from "../case-store.ts";
import type { CaseDocument, Executions } from "../executions.ts";

const plannedCaseSchema = z.object({
  case: z.unknown(),
  files: z.array(z.object({ name: z.string().min(1), size: z.number().int() })).min(1),
});

/** As case.json's caseId. */
const caseIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/;

export function caseRoutes(executions: Executions): Hono {
  const cases = new Hono();

  cases.post("/", async (c) => {
    const type = c.req.header("content-type") ?? "";
    if (type.startsWith("multipart/form-data")) {
      const body = await c.req.parseBody({ all: true }).catch(() => {
        throw new InvalidInputError("the multipart body could not be parsed");
      });
      const rawCase = body.case;
      if (rawCase === undefined || Array.isArray(rawCase)) throw new InvalidInputError("case: one case.json part is required");
      const caseJson = typeof rawCase === "string" ? rawCase : await rawCase.text();
      const caseFile = parseCaseJson(caseJson);
      const parts = body.files === undefined ? [] : Array.isArray(body.files) ? body.files : [body.files];
      const documents: CaseDocument[] = [];
      for (const part of parts) {
        if (typeof part === "string") throw new InvalidInputError("files: each part must be a file, not a text field");
        if (part.type && part.type !== "application/pdf" && part.type !== "application/octet-stream") {
          throw new UnsupportedMediaTypeError(`files: ${part.name}: ${part.type} is not a PDF`);
        }
        const bytes = new Uint8Array(await part.arrayBuffer());
        documents.push({ name: part.name, bytes });
      }
      // A role for a file not among the parts: refused before anything is stored (no parts at all is putCase's own error).
      if (documents.length)
        checkListedFiles(
          caseFile.documents,
          documents.map((d) => d.name),
          "case",
        );
      await executions.putCase(caseFile, caseJson, documents);
      log("info", "api.case_stored", {
        caseId: caseFile.caseId,
        documents: documents.length,
        bytes: documents.reduce((n, d) => n + d.bytes.byteLength, 0),
      });
      return c.json({ caseId: caseFile.caseId }, 201);
    }
    if (type.startsWith("application/json")) {
      const raw = await c.req.json().catch(() => {
        throw new InvalidInputError("the body is not valid JSON");
      });
      const parsed = plannedCaseSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new InvalidInputError(`${issue.path.join(".") || "(body)"}: ${issue.message}`);
      }
      const caseJson = JSON.stringify(parsed.data.case);
      const caseFile = parseCaseJson(caseJson);
      checkListedFiles(
        caseFile.documents,
        parsed.data.files.map((f) => f.name),
        "case",
      );
      const uploads = await executions.planUploads(caseFile, caseJson, parsed.data.files, new URL(c.req.url).origin);
      log("info", "api.case_planned", { caseId: caseFile.caseId, documents: uploads.length });
      return c.json({ caseId: caseFile.caseId, uploads }, 201);
    }
    throw new UnsupportedMediaTypeError(
      "POST /cases takes multipart/form-data (files + case) or application/json (case + file list for presigned uploads)",
    );
  });

  cases.post("/:caseId/executions", async (c) => {
    const caseId = c.req.param("caseId") ?? "";
    if (!caseIdPattern.test(caseId))
      throw new InvalidInputError(
        `case id ${JSON.stringify(caseId.slice(0, 90))}: letters, digits, . _ - (max 80), starting with a letter or digit`,
      );
    const result = await executions.startExecution(caseId);
    log("info", "api.execution_start", { caseId, execution: result.executionId, created: result.created });
    return c.json(result, result.created ? 202 : 200);
  });

  return cases;
}
