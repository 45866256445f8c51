/** Waiting with a cap: a last report, a breaker write, must never hold up what comes after. */

/** The longest a last failure report may hold up the exit. */
export const reportCapMs = 5_000;

/** Resolves when `work` settles or after `ms`, whichever is first; never rejects. */
export async function capped(work: Promise<unknown>, ms = reportCapMs): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work.catch(() => undefined), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
