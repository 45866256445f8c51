/** `affiant gameday [--cases N] [--fault-rate R] [--seed S] [--concurrency N] [--json]` */
import { InvalidInputError } from "../core/errors.ts";
import { runGameday } from "../workflows/gameday.ts";

export async function gamedayCommand(opts: {
  cases: string;
  faultRate: string;
  seed: string;
  concurrency?: string;
  json?: boolean;
  hosted?: boolean;
}): Promise<number> {
  const cases = Number(opts.cases);
  const faultRate = Number(opts.faultRate);
  const seed = Number(opts.seed);
  const concurrency = Number(opts.concurrency ?? 1);
  if (!Number.isInteger(cases) || cases < 1) throw new InvalidInputError(`--cases ${opts.cases}: expected a whole number ≥ 1`);
  if (!(faultRate >= 0 && faultRate <= 1)) throw new InvalidInputError(`--fault-rate ${opts.faultRate}: expected a number from 0 to 1`);
  if (!Number.isInteger(seed)) throw new InvalidInputError(`--seed ${opts.seed}: expected a whole number`);
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new InvalidInputError(`--concurrency ${opts.concurrency}: expected a whole number ≥ 1`);
  const report = await runGameday({
    cases,
    faultRate,
    seed,
    concurrency,
    hosted: opts.hosted !== false,
    onCase: (done, total, status) => process.stderr.write(`gameday: case ${done}/${total} ${status}\n`),
  });
  const { failures, hostedRequests, faultsSkipped, ...summary } = report;
  process.stderr.write(
    `gameday: ${hostedRequests} request(s) reached the stand-in Bedrock/OpenRouter endpoints; each was checked for vault values\n`,
  );
  if (faultsSkipped)
    process.stderr.write(
      `gameday: ${faultsSkipped} faulted stage(s) were skipped ahead of time by an open circuit breaker (Affiant.CircuitOpen), so their faults never ran\n`,
    );
  if (opts.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else {
    process.stdout.write(
      `cases ${report.cases}, completed ${report.completed}, failed ${report.failed}, faults injected ${report.faultsInjected}, ` +
        `worst time lost to one fault ${report.worstFaultCostSeconds} s, leaks ${report.leaks}\n` +
        `fallbacks by reason: ${
          Object.entries(report.fallbacksByReason)
            .map(([k, v]) => `${k} ${v}`)
            .join(", ") || "none"
        }\n` +
        `leak check looked for: ${
          Object.entries(report.leakCheckedByType)
            .map(([k, v]) => `${k} ${v}`)
            .join(", ") || "nothing"
        }\n`,
    );
  }
  for (const f of failures) process.stderr.write(`gameday: ${f.executionId} FAILED: ${f.error}\n`);
  return report.failed === 0 && report.leaks === 0 ? 0 : 1;
}
