/**
 * `/uploads/:caseId/:name`: the local server's presigned uploads (`affiant serve`). The
 * signature is the authorisation, as with S3, so this sits outside the bearer check.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { InvalidInputError, RequestTooLargeError, UnauthorizedError } from "../../core/errors.ts";
import { log } from "../../core/log.ts";
import { checkPdfBytes, documentKey } from "../case-store.ts";
import { errorResponse } from "../error-response.ts";
import { documentLimits } from "../executions.ts";
import type { LocalExecutions } from "../local-executions.ts";

export function uploadRoutes(local: LocalExecutions): Hono {
  const uploads = new Hono();
  uploads.put(
    "/:caseId/:name",
    // The signature first: an unsigned body is never read, and a signed one is read up to
    // the size the signature names.
    async (c, next) => {
      const grant = {
        caseId: c.req.param("caseId") ?? "",
        name: c.req.param("name") ?? "",
        size: Number(c.req.query("size")),
        expiresAt: Number(c.req.query("expires")),
      };
      const refused = local.signer.check(grant, c.req.query("signature") ?? "");
      if (refused) throw new UnauthorizedError(refused);
      local.assertUploadOpen(grant.caseId, grant.expiresAt);
      // Spent from here: a second upload through this URL is refused even while this one runs.
      const signature = c.req.query("signature") ?? "";
      local.signer.consume(signature, grant.expiresAt);
      const limit = bodyLimit({
        maxSize: Math.min(grant.size, documentLimits.maxDocumentBytes),
        onError: (c2) => errorResponse(c2, new RequestTooLargeError(`${grant.name}: more than the ${grant.size} bytes announced`)),
      });
      // Hono turns the handler's throw into a response here; any failure gives the URL back.
      const res = await limit(c, next).catch((err: unknown) => {
        local.signer.release(signature);
        throw err;
      });
      // bodyLimit answers its own 413 as a Response; otherwise the handler's answer is c.res.
      const status = res instanceof Response ? res.status : c.res.status;
      if (status !== 200 || c.error) local.signer.release(signature);
      return res instanceof Response ? res : undefined;
    },
    async (c) => {
      const caseId = c.req.param("caseId");
      const name = c.req.param("name");
      const size = Number(c.req.query("size"));
      const bytes = new Uint8Array(await c.req.arrayBuffer());
      if (bytes.byteLength !== size) throw new InvalidInputError(`${name}: ${bytes.byteLength} bytes uploaded, ${size} announced`);
      checkPdfBytes(name, bytes);
      await local.engine.store.put(documentKey(caseId, name), bytes);
      log("info", "api.document_uploaded", { caseId, bytes: bytes.byteLength });
      return c.body(null, 200);
    },
  );
  return uploads;
}
