export interface PdfReadLimits {
  maxPages: number;
  maxPagePixels: number;
  renderScale: number;
}
export type PdfReadResult =
  | { kind: "ok"; pages: Array<{ page: number; text: string }>; renders: Array<{ page: number; png: Uint8Array }> }
  | { kind: "tooLarge"; limit: "pages"; value: number }
  | { kind: "tooLarge"; limit: "area"; page: number; value: number }
  | { kind: "error"; name: string; message: string };
export function readPdf(data: Uint8Array, limits: PdfReadLimits): Promise<PdfReadResult>;
