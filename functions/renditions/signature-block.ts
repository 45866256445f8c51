/**
 * The lines under a declaration's text that a lawyer fills in at signing (core/oath.ts: the
 * 28 U.S.C. § 1746 forms, the "Executed on … at …" line, the signature line and the printed
 * name under it), shared by every rendition.
 */
export { signatureBlock, signatureBlockEs, signatureBlockFor } from "../../core/oath.ts";

/** A line for the interpreter to fill in on their certificate. */
export const blankLine = (label: string) => `${label}: ______________________________________`;
