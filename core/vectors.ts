/**
 * Vector arithmetic for exact search over a case's chunks, and the compact blob the
 * vectors are stored in. Every vector Affiant keeps is unit length, so cosine is a dot.
 */
import { InvalidInputError } from "./errors.ts";

/** A unit-length copy; a zero vector stays zero (it matches nothing rather than NaN). */
export function normalize(v: ArrayLike<number>): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  const norm = Math.sqrt(sum);
  const out = new Float32Array(v.length);
  if (norm === 0 || !Number.isFinite(norm)) return out;
  for (let i = 0; i < v.length; i++) out[i] = v[i]! / norm;
  return out;
}

/** Cosine of two unit vectors. */
export function dot(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new InvalidInputError(`vectors of different sizes (${a.length} and ${b.length})`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** The normalised mean: one vector for a text embedded in several windows, or for a set of chunks. */
export function centroid(vectors: Float32Array[]): Float32Array | undefined {
  if (vectors.length === 0) return undefined;
  const sum = new Float64Array(vectors[0]!.length);
  for (const v of vectors) for (let i = 0; i < v.length; i++) sum[i]! += v[i]!;
  return normalize(sum);
}

/** Rows of float32, little-endian, one after the other: `rows × dimensions × 4` bytes. */
export function encodeVectors(vectors: Float32Array[], dimensions: number): Uint8Array {
  const out = Buffer.alloc(vectors.length * dimensions * 4);
  vectors.forEach((v, r) => {
    if (v.length !== dimensions) throw new InvalidInputError(`vector ${r} has ${v.length} dimensions, expected ${dimensions}`);
    for (let i = 0; i < dimensions; i++) out.writeFloatLE(v[i]!, (r * dimensions + i) * 4);
  });
  return out;
}

export function decodeVectors(data: Uint8Array, dimensions: number, rows: number): Float32Array[] {
  if (data.byteLength !== rows * dimensions * 4) {
    throw new InvalidInputError(
      `vector blob is ${data.byteLength} bytes; ${rows} rows of ${dimensions} float32 need ${rows * dimensions * 4}`,
    );
  }
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Array.from({ length: rows }, (_, r) => {
    const v = new Float32Array(dimensions);
    for (let i = 0; i < dimensions; i++) v[i] = buf.readFloatLE((r * dimensions + i) * 4);
    return v;
  });
}
