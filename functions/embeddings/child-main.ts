/**
 * The embedding child process: holds one LocalEmbedder and answers `embed` requests over
 * IPC until told to close or until its parent goes away. Messages carry texts in and
 * vectors out, never anything written to a log.
 */

import { config } from "../../core/config.ts";
import { AffiantError, describeError } from "../../core/errors.ts";
import type { ChildReply, ChildRequest } from "./child.ts";
import { LocalEmbedder, type LocalEmbedderOptions } from "./local.ts";

const send = (m: ChildReply) => process.send!(m);

const options = JSON.parse(config().AFFIANT_EMBEDDER_OPTIONS ?? "{}") as LocalEmbedderOptions;
let embedder: LocalEmbedder;
try {
  embedder = await LocalEmbedder.open(options);
} catch (err) {
  send({ type: "error", ...describeError(err), model: err instanceof AffiantError ? err.model : options.modelId });
  process.exit(1);
}
send({ type: "ready" });

// A parent that died cannot close us: without it nobody would ever free the model.
process.on("disconnect", () => process.exit(0));

process.on("message", async (raw) => {
  const m = raw as ChildRequest;
  if (m.type === "close") {
    await embedder.dispose();
    send({ type: "closed", peakRssBytes: process.resourceUsage().maxRSS * 1024 });
    process.disconnect();
    return;
  }
  const before = embedder.truncations.length;
  try {
    const vectors = await embedder.embed(m.texts);
    send({ type: "vectors", id: m.id, vectors, truncations: embedder.truncations.slice(before) });
  } catch (err) {
    send({ type: "error", id: m.id, ...describeError(err), model: options.modelId });
  }
});
