/** `affiant run <case-dir> [--json] [--fault State=kind]…` */
import { existsSync } from "node:fs";
import { userInfo } from "node:os";
import path from "node:path";
import { describeError, InvalidInputError } from "../core/errors.ts";
import { parseFaultFlags } from "../core/faults.ts";
import { ingestCase, readCaseFolder } from "../workflows/engine/case-intake.ts";
import { LocalEngine } from "../workflows/engine/local-engine.ts";
import { spanishOutputs } from "../workflows/engine/outputs.ts";
import type { ExecutionSummary } from "../workflows/engine/summary.ts";
import { progressPrinter } from "./progress.ts";

export async function runCommand(caseDir: string, opts: { json?: boolean; fault: string[]; approve?: boolean }): Promise<number> {
  let engine: LocalEngine | undefined;
  try {
    const faults = parseFaultFlags(opts.fault);
    const folder = readCaseFolder(caseDir);
    engine = new LocalEngine();
    await ingestCase(folder, engine.store);
    engine.on("event", progressPrinter());
    const onSignal = () => {
      process.stderr.write("\ninterrupted: stopping the execution and its workers\n");
      engine?.dispose();
      process.exit(130);
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    process.stderr.write(
      `affiant: case ${folder.caseFile.caseId} (${folder.caseFile.caseType}, ${folder.pdfs.length} PDFs) from ${path.relative(process.cwd(), folder.dir) || "."}\n`,
    );
    const approve = opts.approve ? { via: "run --approve" } : undefined;
    const summary = await engine.run({ caseId: folder.caseFile.caseId, caseDir: folder.dir, faults, approve });
    if (opts.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    printOutcome(summary);
    // Waiting for the attorney is where a run without --approve is meant to stop.
    return summary.status === "SUCCEEDED" || summary.waitingFor ? 0 : 1;
  } catch (err) {
    const { name, message } = describeError(err);
    process.stderr.write(`affiant run: ${name === InvalidInputError.errorName ? "" : `${name}: `}${message}\n`);
    return 1;
  } finally {
    engine?.dispose();
  }
}

export function printOutcome(summary: ExecutionSummary): void {
  const out = process.stderr;
  if (summary.waitingFor) {
    out.write(
      `\nexecution ${summary.executionId} RUNNING: waiting in ${summary.waitingFor} (round ${summary.review?.round ?? 0}, until ${summary.review?.expiresAt})\n`,
    );
    out.write(`draft:       ${path.join(summary.outputDir!, "declaration.md")}\n`);
    for (const rendition of ["declaration.docx", "declaration.pdf", "report.json"]) {
      if (existsSync(path.join(summary.outputDir!, rendition))) out.write(`             ${path.join(summary.outputDir!, rendition)}\n`);
    }
    out.write(`this round:  ${path.join(summary.outputDir!, `round-${summary.review?.round ?? 0}`)}/ (kept when another round follows)\n`);
    out.write(`approve:     affiant review ${summary.executionId} --approve --round ${summary.review?.round ?? 0}\n`);
    out.write(`or changes:  affiant review ${summary.executionId} --changes notes.md\n`);
    return;
  }
  if (summary.status === "SUCCEEDED") {
    const fallbacks = summary.states.filter((s) => s.fallbackReason);
    out.write(`\nexecution ${summary.executionId} SUCCEEDED\n`);
    for (const s of fallbacks) out.write(`  ${s.name}: fallback after ${s.fallbackReason} (${s.provider}:${s.model})\n`);
    const cost = (summary.output as { costUsd?: number } | null)?.costUsd;
    if (cost !== undefined) out.write(`cost: $${cost.toFixed(4)} (GPU-seconds and hosted tokens at the registry's prices)\n`);
    out.write(`declaration: ${path.join(summary.outputDir!, "declaration.md")}\n`);
    for (const rendition of ["declaration.docx", "declaration.pdf"]) {
      if (existsSync(path.join(summary.outputDir!, rendition))) out.write(`             ${path.join(summary.outputDir!, rendition)}\n`);
    }
    const spanish = [spanishOutputs.markdown, spanishOutputs.docx, spanishOutputs.pdf]
      .map((f) => path.join(summary.outputDir!, f))
      .filter((f) => existsSync(f));
    for (const [i, f] of spanish.entries()) out.write(`${i === 0 ? "spanish:    " : "            "} ${f}\n`);
    if (existsSync(path.join(summary.outputDir!, spanishOutputs.review)))
      out.write(`review:      ${path.join(summary.outputDir!, spanishOutputs.review)} (English and Spanish side by side)\n`);
    out.write(`report:      ${path.join(summary.outputDir!, "report.json")}\n`);
    const approval = (summary.output as { approval?: { reviewer: string | null; decidedAt: string; via: string; round: number } } | null)
      ?.approval;
    if (approval?.reviewer)
      out.write(`approved:    by ${approval.reviewer} at ${approval.decidedAt} (${approval.via}, round ${approval.round})\n`);
    else if (approval) out.write(`approved:    unattended (${approval.via}): NOT reviewed by an attorney, not for filing\n`);
    if (approval) out.write(`approval:    ${path.join(summary.outputDir!, "approval.json")}\n`);
    return;
  }
  const failed = [...summary.states].reverse().find((s) => s.status === "FAILED");
  out.write(`\nexecution ${summary.executionId} ${summary.status}\n`);
  out.write(`failed state: ${failed?.name ?? "(none)"}\n`);
  out.write(`error: ${summary.error ?? failed?.error ?? "unknown"}\n`);
  out.write(`cause: ${readableCause(summary.cause ?? failed?.cause ?? "")}\n`);
  out.write(`completed stages (their outputs are kept): ${summary.completedStages?.join(", ") || "(none)"}\n`);
}

/** Lambda-style causes are JSON; print their message. */
function readableCause(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string; reason?: string };
    return parsed.errorMessage ?? parsed.reason ?? cause;
  } catch {
    return cause;
  }
}

/** Who runs the command, for the audit log (the account's name, not the environment's). */
export function localUser(): string {
  try {
    return userInfo().username || "cli";
  } catch {
    return "cli";
  }
}
