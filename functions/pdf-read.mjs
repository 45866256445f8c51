// Reads one PDF: the text of every page, and a PNG of each page without a text layer (for
// OCR). Checks the page count before any page is parsed and each page's rendered area
// before its canvas is allocated. Plain JavaScript so a child process can start it without
// the TypeScript loader (functions/pdf-read-child.mjs); types in pdf-read.d.mts.
import { PDFParse } from "pdf-parse";

export async function readPdf(data, { maxPages, maxPagePixels, renderScale }) {
  // No eval of PDF-supplied functions; embedded images over the area cap are not decoded.
  const parser = new PDFParse({ data, isEvalSupported: false, maxImageSize: maxPagePixels });
  try {
    const doc = await parser.load();
    if (doc.numPages > maxPages) return { kind: "tooLarge", limit: "pages", value: doc.numPages };
    if (doc.numPages === 0) return { kind: "ok", pages: [], renders: [] };
    const text = await parser.getText();
    const pages = text.pages.map((p) => ({ page: p.num, text: p.text.replace(/\r\n?/g, "\n").trim() }));
    const renders = [];
    for (const p of pages.filter((x) => x.text.length === 0)) {
      const page = await doc.getPage(p.page);
      const vp = page.getViewport({ scale: renderScale });
      page.cleanup();
      const pixels = Math.ceil(vp.width) * Math.ceil(vp.height);
      if (pixels > maxPagePixels) return { kind: "tooLarge", limit: "area", page: p.page, value: pixels };
      const shot = await parser.getScreenshot({ partial: [p.page], scale: renderScale, imageBuffer: true, imageDataUrl: false });
      const png = shot.pages[0]?.data;
      if (png && png.byteLength > 0) renders.push({ page: p.page, png });
    }
    return { kind: "ok", pages, renders };
  } catch (err) {
    return { kind: "error", name: err?.name ?? "Error", message: err?.message ?? String(err) };
  } finally {
    await parser.destroy().catch(() => undefined);
  }
}
