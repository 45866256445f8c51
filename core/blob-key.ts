/** What a blob key may be, for every store: S3-shaped, no `.` or `..` segments (a local path escape). */
import { InvalidInputError } from "./errors.ts";

const keyPattern = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._ -]+)*$/;

export function assertKey(key: string): void {
  if (!keyPattern.test(key) || key.split("/").some((p) => p === ".." || p === ".")) {
    throw new InvalidInputError(`invalid blob key: ${JSON.stringify(key)}`);
  }
}
