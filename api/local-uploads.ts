/**
 * Presigned uploads for `affiant serve`, the local twin of S3 presigned PUT URLs: the URL
 * carries an expiry and an HMAC over method, case, document and size, so it can be handed
 * to a browser or a script without the API token, and is good for one document, once.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export interface UploadGrant {
  caseId: string;
  name: string;
  size: number;
  expiresAt: number;
}

export class UploadSigner {
  private readonly key: Buffer;
  /** Spent signatures until they expire (after that the expiry refuses them anyway). */
  private readonly used = new Map<string, number>();
  constructor(key: Buffer = randomBytes(32)) {
    this.key = key;
  }

  sign(grant: UploadGrant): string {
    return createHmac("sha256", this.key)
      .update(`PUT\n${grant.caseId}\n${grant.name}\n${grant.size}\n${grant.expiresAt}`)
      .digest("base64url");
  }

  url(baseUrl: string, grant: UploadGrant): string {
    const q = new URLSearchParams({ size: String(grant.size), expires: String(grant.expiresAt), signature: this.sign(grant) });
    return `${baseUrl}/uploads/${encodeURIComponent(grant.caseId)}/${encodeURIComponent(grant.name)}?${q}`;
  }

  /** Why the upload is refused, or null when the signature and expiry hold. */
  check(grant: UploadGrant, signature: string, now = Date.now()): string | null {
    const expected = Buffer.from(this.sign(grant));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return "the upload signature does not match";
    if (now > grant.expiresAt) return "the upload URL has expired";
    if (this.used.has(signature)) return "the upload URL was already used; plan the case again for new URLs";
    return null;
  }

  /** Marks a URL spent as its upload begins, so two uploads cannot race through one URL. */
  consume(signature: string, expiresAt: number, now = Date.now()): void {
    for (const [sig, exp] of this.used) if (exp < now) this.used.delete(sig);
    this.used.set(signature, expiresAt);
  }

  /** An upload that failed (wrong size, not a PDF) gives its URL back for another try. */
  release(signature: string): void {
    this.used.delete(signature);
  }
}
