/**
 * Amazon Textract as the OCR engine in AWS: `DetectDocumentText` on the rendered page's PNG
 * bytes (synchronous, up to 10 MB, English and Spanish detected without a setting). Text is
 * the LINE blocks in reading order; confidence is the mean WORD confidence (Textract's
 * 0-100 scale, the same as tesseract's mean word confidence, so one threshold serves both).
 */
import { type Block, DetectDocumentTextCommand, TextractClient } from "@aws-sdk/client-textract";
import { DocumentUnreadableError } from "../core/errors.ts";
import { awsFailureDetails, awsServiceError } from "./aws-failure.ts";
import type { OcrPageRef, OcrReader, OcrResult } from "./ocr.ts";

export interface TextractReaderOptions {
  /** Default: a client from the standard AWS environment (`AWS_ENDPOINT_URL_TEXTRACT` overrides the endpoint). */
  client?: TextractClient;
  /** Per-page deadline. Default: 60 s. */
  timeoutMs?: number;
}

/** Textract's answers that mean the page itself cannot be read: no retry will change them. */
const documentFaults = new Set([
  "UnsupportedDocumentException",
  "BadDocumentException",
  "DocumentTooLargeException",
  "InvalidParameterException",
]);

export class TextractReader implements OcrReader {
  readonly engine = "textract" as const;
  private readonly client: TextractClient;
  private readonly ownsClient: boolean;
  private readonly timeoutMs: number;
  private disposed = false;

  constructor(options: TextractReaderOptions = {}) {
    this.ownsClient = !options.client;
    // Standard retry mode backs off on throttling and 5xx; validation errors are not retried.
    this.client = options.client ?? new TextractClient({ maxAttempts: 4, retryMode: "standard" });
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  async read(png: Uint8Array, where: OcrPageRef = { file: "(page)", page: 0 }): Promise<OcrResult> {
    let blocks: Block[];
    try {
      const res = await this.client.send(new DetectDocumentTextCommand({ Document: { Bytes: png } }), {
        abortSignal: AbortSignal.timeout(this.timeoutMs),
      });
      blocks = res.Blocks ?? [];
    } catch (err) {
      const { code } = awsFailureDetails(err);
      if (documentFaults.has(code)) {
        throw new DocumentUnreadableError(
          `${where.file}: page ${where.page} has no text layer and Textract refused the page image (${code})`,
          { state: "Extract", ...where, provider: "textract" },
          { cause: err },
        );
      }
      throw awsServiceError("textract", "DetectDocumentText", err, { state: "Extract", ...where });
    }
    const lines = blocks.filter((b) => b.BlockType === "LINE" && b.Text);
    const words = blocks.filter((b) => b.BlockType === "WORD" && typeof b.Confidence === "number");
    const scored = words.length ? words : lines.filter((b) => typeof b.Confidence === "number");
    const confidence = scored.length ? Math.round(scored.reduce((n, b) => n + b.Confidence!, 0) / scored.length) : 0;
    return {
      text: lines
        .map((b) => b.Text!)
        .join("\n")
        .trim(),
      confidence,
    };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (this.ownsClient) this.client.destroy();
  }
}
