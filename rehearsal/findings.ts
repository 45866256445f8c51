/**
 * The findings the rehearsal exists for: each must have its row in the checklist (passing or
 * failing, the row's own verdict counts there). A check renamed or dropped without its finding
 * is a failed row here, so `npm run rehearse` exits 1.
 */
import { record, rows } from "./checklist.ts";

/** [area, pattern a check's title matches, what it covers]. */
export const findings: Array<[string, RegExp, string]> = [
  ["secret", /placeholder, is linked/, "finding 1: the OpenRouter secret deploys before `sst secret set`"],
  ["iam", /README: model upload without flags/, "finding 2: the README's model upload is allowed"],
  ["iam", /presigned upload/, "finding 2: presigned uploads are allowed"],
  ["image", /USER exists/, "finding 3: the worker image's USER exists"],
  ["registry", /production profile/, "finding 4: the production registry profile"],
  ["registry", /refuses stage production/, "finding 4: stage production refuses a toy registry"],
  ["bundle", /build-index: handler loads from a folder holding only its bundle/, "finding 5: the index Lambda loads from its bundle alone"],
  ["bundle", /no node-llama-cpp/, "finding 5: no bundle carries node-llama-cpp"],
  ["timeouts", /each Lambda state outlasts its function/, "finding 6: state timeouts outlast functions"],
  ["timeouts", /execution's TimeoutSeconds/, "finding 6: the execution's timeout covers the longest path"],
  ["image", /by digest/, "finding 7: task definitions name the image by digest"],
  ["iam", /SST-rendered function roles keep kms:ViaService/, "finding 8: kms:ViaService survives SST's rendering"],
  ["run", /names no document file/, "finding 9: the execution's history names no document file"],
  ["synth", /models\/registry\.g5\.json/, "finding 10: the stack synthesizes with the deployed registry"],
  [
    "iam",
    /Fn generate-fallback: s3:GetObject .*private\/.* \(must be denied\)/,
    "finding 11: the fallback cannot read the real-value prefix",
  ],
  ["run", /API \(bundled\) starts the first execution/, "the bundled API starts an execution"],
  ["run", /deployed definition runs the started execution/, "the deployed definition runs it"],
  ["run", /Acquire \(acquire Lambda → ECS RunTask, ready queue\) answered by a warm worker/, "the Acquire is answered by a warm worker"],
  ["run", /slow start: the first ECS task starts 120 s late/, "provisioning is not a stall"],
  ["run", /stall: .* reaches the fallback within HeartbeatSeconds/, "a stall still reaches the fallback"],
  ["drills", /model load hangs/, "a hung model load holds no g5 past the acquire budget"],
  ["drills", /RunTask failures/, "no capacity fails the Acquire at once"],
  ["drills", /task stuck in PROVISIONING/, "a task stuck provisioning is stopped and blocks nothing"],
  ["drills", /10-minute provisioning delay/, "slow provisioning fits the acquire budget"],
  ["drills", /SQS message expires/, "ready-queue tokens outlive the acquire budget, not the retention"],
  ["drills", /activity poll lost/, "a lost activity poll is polled again"],
  [
    "lifecycle",
    /model lifecycle: each Bedrock id in a deployable registry is Active/,
    "no fallback chain starts with a retired Bedrock model",
  ],
  [
    "lifecycle",
    /model lifecycle: `affiant models check --bedrock` asks GetFoundationModel/,
    "a deploy can ask Bedrock for each model's lifecycle",
  ],
];

/** One row per finding (its check is in the list), and three bundle checks per deployed function. */
export function recordFindingCoverage(functionCount: number) {
  for (const [area, pattern, covers] of findings) {
    const found = rows.some((r) => r.area === area && pattern.test(r.check));
    record("findings", `${covers}: a ${area} check matches ${pattern}`, found, found ? "" : "no such check");
  }
  const bundleRows = rows.filter((r) => r.area === "bundle").length;
  record(
    "findings",
    `three bundle checks for each of the ${functionCount} functions`,
    functionCount > 0 && bundleRows >= 3 * functionCount,
    `${bundleRows} bundle checks`,
  );
}
