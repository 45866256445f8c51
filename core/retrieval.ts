/**
 * Chunks of the redacted case and BM25 retrieval over them (minisearch). A case's index is
 * small, so it is stored whole as one blob and searched exactly. Every chunk keeps its
 * document and page, so a fact or a paragraph can cite where it came from.
 */
import MiniSearch from "minisearch";

export interface Chunk {
  id: string;
  file: string;
  page: number;
  text: string;
}

export interface ChunkOptions {
  /** Target characters per chunk. Default: 700. */
  size?: number;
  /** Characters repeated from the previous chunk of the same page. Default: 120. */
  overlap?: number;
}

/** Splits each page on paragraph and sentence bounds; a chunk never spans two pages. */
export function chunkPages(documents: Array<{ file: string; pages: Array<{ page: number; text: string }> }>, options: ChunkOptions = {}): Chunk[] {
  const size = options.size ?? 700;
  const overlap = options.overlap ?? 120;
  const chunks: Chunk[] = [];
  for (const doc of documents) {
    for (const page of doc.pages) {
      const sentences = page.text.split(/(?<=[.!?])\s+|\n{2,}|\n/).map((s) => s.trim()).filter(Boolean);
      let current = "";
      // Whether `current` holds a sentence not yet in any chunk (not only the overlap tail).
      let fresh = false;
      let n = 0;
      const flush = () => {
        chunks.push({ id: `${doc.file}#p${page.page}-${++n}`, file: doc.file, page: page.page, text: current });
        current = current.length > overlap ? current.slice(current.length - overlap).replace(/^\S*\s/, "") : current;
        fresh = false;
      };
      for (const s of sentences) {
        if (fresh && current.length + s.length + 1 > size) flush();
        current = current ? `${current} ${s}` : s;
        fresh = true;
      }
      if (fresh) flush();
    }
  }
  return chunks;
}

const searchOptions = { fields: ["text"], storeFields: ["file", "page", "text"] };

export function buildSearchIndex(chunks: Chunk[]): MiniSearch<Chunk> {
  const index = new MiniSearch<Chunk>(searchOptions);
  index.addAll(chunks);
  return index;
}

export interface StoredIndex {
  chunks: Chunk[];
}

/** The chunks ranked for a query: BM25 hits first, then the rest in document order. */
export function rankChunks(stored: StoredIndex, query: string): Chunk[] {
  const index = buildSearchIndex(stored.chunks);
  const hits = index.search(query, { prefix: true, fuzzy: 0.1, combineWith: "OR" });
  const byId = new Map(stored.chunks.map((c) => [c.id, c]));
  const ranked = hits.map((h) => byId.get(String(h.id))).filter((c): c is Chunk => c !== undefined);
  const seen = new Set(ranked.map((c) => c.id));
  return [...ranked, ...stored.chunks.filter((c) => !seen.has(c.id))];
}
