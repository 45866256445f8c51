// The child-process entry of functions/pdf-isolated.ts: waits for one PDF, reads it, sends
// the result and exits. One document per process, so whatever a PDF made the parser or the
// renderer allocate (JS heap or native) goes back to the system when it exits.
import { readPdf } from "./pdf-read.mjs";

// The engine that forked this spare went away: nothing will ever be asked of it.
process.on("disconnect", () => process.exit(0));
process.once("message", async ({ data, limits }) => {
  const result = await readPdf(data, limits);
  process.send(result, () => process.exit(0));
});
process.send({ kind: "ready" });
