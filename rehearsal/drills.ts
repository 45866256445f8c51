/**
 * The drills of what AWS does that the first execution never meets: a model load that hangs,
 * RunTask answering failures[], a task stuck in PROVISIONING, a 10-minute provisioning delay,
 * a ready-queue message that expires and an activity poll that is lost. Each runs the real
 * code (the acquire Lambda's functions, the sweeper, the worker's activity loop, and for the
 * hung load the worker process itself) with the SDK's own clients against the GPU pool
 * stand-in (gpu-pool.ts) behind a small door of its own (drill-door.ts). All but the hung load run on a
 * simulated clock, so ten minutes of provisioning cost nothing.
 */
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { activityPolls, nextActivityTask } from "../containers/llama-worker/activity-loop.ts";
import { NoGpuCapacityError } from "../core/errors.ts";
import { loadRegistry, stageEntry } from "../core/registry.ts";
import { gpuStages, workerTaskTags } from "../core/state-names.ts";
import { acquireWorker } from "../functions/acquire-worker.ts";
import { sweep, sweepGraceSeconds } from "../functions/gpu-reaper.ts";
import { attempt, must } from "./checklist.ts";
import { acquireEvent, Clock, cluster, credentials, drill, region } from "./drill-door.ts";
import type { GpuPool } from "./gpu-pool.ts";
import type { Synthesized } from "./synth.ts";

const stage = gpuStages[0]!;

/** The ready queues' MessageRetentionPeriod as synthesized (SQS's default, 4 days, when unset). */
function readyQueueRetention(syn: Synthesized): number {
  const queue = syn.resources.find((r) => r.type === "aws:sqs/queue:Queue");
  must(queue, "the stack has no ready queue");
  return Number(queue.inputs.messageRetentionSeconds ?? 345_600);
}

const stopped = (pool: GpuPool) => pool.tasks.filter((t) => t.lastStatus === "STOPPED");

export async function rehearseDrills(syn: Synthesized): Promise<void> {
  const workers = loadRegistry().workers;
  // The budget the code under drill reads (this process's registry), and the deployed one (the production profile).
  const budget = workers.acquireSeconds;
  const deployedBudget = syn.registry.workers.acquireSeconds;
  const model = stageEntry(loadRegistry(), stage).model;

  await attempt("drills", "model load hangs: the worker is gone and its task stopped within the acquire budget", async () => {
    // The real worker, in its ECS activity mode, with a load that never returns; its budget cut to 4 s for the drill.
    const drillBudget = 4;
    const result = await drill(
      {},
      async ({ pool, pools }) => {
        const ecsTask = pool.ecs("RunTask", {
          cluster,
          taskDefinition: pools.models[model]!.taskDefinition,
          startedBy: `affiant-warm-${model}`.slice(0, 36),
        }).payload.tasks as Array<{ taskArn: string }>;
        const task = pool.tasks.find((t) => t.taskArn === ecsTask[0]!.taskArn)!;
        const deadline = Date.now() + (drillBudget + 30) * 1000;
        while (task.lastStatus !== "STOPPED" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
        must(
          task.lastStatus === "STOPPED",
          `the worker still runs ${drillBudget + 30} s after its start (${task.stderrTail?.slice(-300)})`,
        );
        must(
          task.child?.signalCode === "SIGKILL",
          `the worker ended with ${task.child?.exitCode ?? task.child?.signalCode}, not its lifeline's SIGKILL`,
        );
        must(/"worker\.lifeline"/.test(task.stderrTail ?? ""), "no worker.lifeline line: something else ended it");
        // From the moment the load began hanging (the fault's own log line) to the task's stop.
        const hungAt = Number(/"event":"fault\.injected"[^\n]*"at":(\d+)/.exec(task.stderrTail ?? "")?.[1]);
        must(Number.isFinite(hungAt), "the load never began (no fault.injected line)");
        const lived = (task.stoppedAt! - hungAt) / 1000;
        must(lived <= drillBudget + 2, `the task stopped ${lived.toFixed(1)} s after the load hung (budget ${drillBudget} s)`);
        must(
          task.tags.some((t) => t.key === workerTaskTags.acquiredAt),
          `the task was never tagged ${workerTaskTags.acquiredAt} before its load (tags: ${task.tags.map((t) => t.key).join(", ")})`,
        );
        return lived;
      },
      (taskArn, url) => ({
        AFFIANT_ACTIVITY_ARN: "arn:aws:states:us-east-1:123456789012:activity:affiant-drill",
        AFFIANT_READY_QUEUE_URL: `${url}/123456789012/ready-${model}`,
        AFFIANT_PRELOAD_MODEL: model,
        AFFIANT_STAGE: stage,
        AFFIANT_FAULTS: JSON.stringify({ [stage]: "hang-load" }),
        AFFIANT_ACQUIRE_SECONDS: String(drillBudget),
        AFFIANT_WARM_MAX_TASKS: "4",
        AFFIANT_SFN_ENDPOINT: url,
        AWS_ENDPOINT_URL_ECS: url,
        AWS_ENDPOINT_URL_SQS: url,
        AWS_REGION: region,
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        ECS_CONTAINER_METADATA_URI_V4: `${url}/ecs-metadata/${taskArn.split("/").pop()}`,
      }),
    );
    // And a worker that never spoke (hung before it could tag its task): the sweeper's part.
    const clock = new Clock();
    const swept = await drill({ now: clock.now, spawnWorkers: false }, async ({ pool, door, pools }) => {
      for (const _ of [1, 2])
        pool.ecs("RunTask", {
          cluster,
          taskDefinition: pools.models[model]!.taskDefinition,
          startedBy: `affiant-warm-${model}`.slice(0, 36),
        });
      pool.ecs("ListTasks", { cluster });
      const [silent, loading] = pool.tasks;
      loading!.tags.push({ key: workerTaskTags.acquiredAt, value: String(clock.now()) });
      clock.advance(budget);
      must((await sweep(door.ecs, cluster, clock.now())).length === 0, "the sweeper stopped a worker inside the acquire budget");
      clock.advance(sweepGraceSeconds + 1);
      const out = await sweep(door.ecs, cluster, clock.now());
      must(out.includes(silent!.taskArn) && out.includes(loading!.taskArn), `the sweeper stopped ${out.length} of the 2 stuck workers`);
      return stopped(pool).length;
    });
    return `the hung load's worker killed itself and its task stopped ${result.toFixed(1)} s after the load hung (budget ${drillBudget} s in the drill, counted from the process start); the sweeper stopped ${swept} workers still silent or loading at ${budget} + ${sweepGraceSeconds} s (simulated)`;
  });

  await attempt("drills", "RunTask failures: with no capacity (a quota of 0) the Acquire fails at once into the fallback", () =>
    drill({ capacity: 0 }, async ({ pool, door, pools, broker }) => {
      const t0 = Date.now();
      let error: Error | undefined;
      try {
        await acquireWorker(acquireEvent(broker, stage, "drill-no-capacity"), { ecs: door.ecs, sqs: door.sqs }, pools);
      } catch (err) {
        error = err as Error;
      }
      const took = (Date.now() - t0) / 1000;
      must(
        error?.name === NoGpuCapacityError.errorName,
        `the Acquire ${error ? `failed with ${error.name}` : "returned and would wait its budget"}`,
      );
      must(took < 10, `it took ${took.toFixed(1)} s`);
      const queued = await door.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: pools.models[model]!.queueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }),
      );
      must(queued.Attributes?.ApproximateNumberOfMessages === "0", "the failed Acquire's token was left in the ready queue");
      must(pool.tasks.length === 0, "a task was placed");
      return `${error.name} after ${took.toFixed(2)} s: ${error.message.slice(0, 120)}`;
    }),
  );

  await attempt("drills", "task stuck in PROVISIONING: past the acquire budget it blocks no RunTask, and the sweeper stops it", () => {
    const clock = new Clock();
    return drill({ now: clock.now, spawnWorkers: false, provisioningMs: () => Infinity }, async ({ pool, door, pools, broker }) => {
      const acquire = (n: number) =>
        acquireWorker(acquireEvent(broker, stage, `drill-stuck-${n}`), { ecs: door.ecs, sqs: door.sqs, now: clock.now }, pools);
      // The pool fills with tasks that never leave PROVISIONING.
      for (let n = 0; n < workers.poolSize; n++) await acquire(n);
      must(pool.tasks.length === workers.poolSize, `${pool.tasks.length} tasks for ${workers.poolSize} Acquires`);
      clock.advance(budget + 1);
      const next = await acquire(workers.poolSize);
      must(next.started, `a new Acquire past the budget started nothing: the ${workers.poolSize} stuck tasks still count as live`);
      clock.advance(sweepGraceSeconds);
      const out = await sweep(door.ecs, cluster, clock.now());
      must(out.length === workers.poolSize, `the sweeper stopped ${out.length} of ${workers.poolSize} stuck tasks`);
      must(
        pool.tasks.filter((t) => t.lastStatus === "PROVISIONING").length === 1,
        "the sweeper must leave the task started inside the budget",
      );
      return `${workers.poolSize} tasks stuck; at ${budget + 1} s (simulated) a new Acquire started a task; the sweeper stopped the stuck ones at ${budget + sweepGraceSeconds + 1} s`;
    });
  });

  await attempt(
    "drills",
    "10-minute provisioning delay: inside the acquire budget, never swept nor started twice, its token still queued",
    () => {
      const clock = new Clock();
      const delaySeconds = 600;
      const retention = readyQueueRetention(syn);
      return drill(
        { now: clock.now, spawnWorkers: false, provisioningMs: () => delaySeconds * 1000, retentionSeconds: retention },
        async ({ pool, door, pools, broker }) => {
          await acquireWorker(acquireEvent(broker, stage, "drill-slow"), { ecs: door.ecs, sqs: door.sqs, now: clock.now }, pools);
          for (let minute = 1; minute <= delaySeconds / 60; minute++) {
            clock.advance(60);
            // The sweeper's schedule: every minute.
            const out = await sweep(door.ecs, cluster, clock.now());
            must(out.length === 0, `the sweeper stopped the provisioning task at minute ${minute}`);
          }
          pool.ecs("ListTasks", { cluster });
          must(pool.tasks.length === 1, `${pool.tasks.length} tasks were started for one Acquire`);
          must(pool.tasks[0]!.lastStatus === "RUNNING", `the task is ${pool.tasks[0]!.lastStatus} after ${delaySeconds} s`);
          const waiting = await door.sqs.send(
            new ReceiveMessageCommand({ QueueUrl: pools.models[model]!.queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 0 }),
          );
          must(
            waiting.Messages?.length === 1,
            `the Acquire's token expired from the ready queue (retention ${retention} s) before its worker could take it`,
          );
          // The Acquire's budget must hold the provisioning and then the model load.
          must(
            delaySeconds < deployedBudget,
            `the deployed workers.acquireSeconds (${deployedBudget} s) leaves no time to load the model after a ${delaySeconds} s provisioning`,
          );
          return `RUNNING after ${delaySeconds} s (simulated); ${deployedBudget - delaySeconds} s of the deployed ${deployedBudget} s acquire budget left for the model load`;
        },
      );
    },
  );

  await attempt(
    "drills",
    "SQS message expires: a token lives in the ready queue for the whole acquire budget, and not past the queue's retention",
    () => {
      const retention = readyQueueRetention(syn);
      const visibility = Number(syn.resources.find((r) => r.type === "aws:sqs/queue:Queue")?.inputs.visibilityTimeoutSeconds ?? 30);
      must(retention >= deployedBudget, `the ready queue keeps a token ${retention} s, less than the ${deployedBudget} s acquire budget`);
      const clock = new Clock();
      return drill({ now: clock.now, retentionSeconds: retention, visibilitySeconds: visibility }, async ({ door, pools }) => {
        const url = pools.models[model]!.queueUrl;
        const depth = async () =>
          Number(
            (await door.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages"] })))
              .Attributes?.ApproximateNumberOfMessages,
          );
        await door.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "token" }));
        clock.advance(deployedBudget - 1);
        must((await depth()) === 1, `the token was gone ${deployedBudget - 1} s after it was queued`);
        // Received and not deleted (a worker that died before answering): back after the visibility timeout, until the retention ends.
        const got = await door.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 0 }));
        must(got.Messages?.length === 1, "the token could not be received inside the budget");
        must((await depth()) === 0, "a received token stayed visible");
        clock.advance(Math.max(retention - deployedBudget + 1, visibility) + 1);
        must((await depth()) === 0, `the token is still queued after its retention (${retention} s)`);
        const late = await door.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 0 }));
        must(!late.Messages?.length, "an expired token was delivered");
        // The visibility timeout alone: a token received and not deleted comes back.
        await door.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "token-2" }));
        must(
          (await door.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 0 }))).Messages?.length === 1,
          "no second token",
        );
        clock.advance(visibility + 1);
        must((await depth()) === 1, `a token received and never deleted did not come back after ${visibility} s`);
        return `retention ${retention} s ≥ deployed acquire budget ${deployedBudget} s; visibility ${visibility} s; expired tokens are neither counted nor delivered`;
      });
    },
  );

  await attempt("drills", "activity poll lost: the worker polls its activity again and takes the generate task", () =>
    drill({ emptyPolls: 1 }, async ({ pool, door, pools, broker }) => {
      const activityArn = "arn:aws:states:us-east-1:123456789012:activity:affiant-drill";
      const url = pools.models[model]!.queueUrl;
      let acquired = false;
      const token = broker.issue({ heartbeat: () => undefined, succeed: () => (acquired = true), fail: () => undefined });
      await door.sqs.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: JSON.stringify({ taskToken: token, stage, model, executionName: "drill-poll" }),
        }),
      );
      // The generate state, scheduled as Step Functions schedules it once the Acquire answered.
      const generate = pool.runActivity(stage, activityArn, { Environment: [{ Name: "AFFIANT_STAGE", Value: stage }] }, 30, 60);
      generate.catch(() => undefined);
      const next = await nextActivityTask({ modelId: model, preloadMs: 1 }, true, {
        queueUrl: url,
        activityArn,
        idleSeconds: 5,
        sqs: door.sqs,
        sfn: door.sfn,
      });
      must(acquired, "the worker never answered the Acquire");
      must(next?.env.AFFIANT_STAGE === stage, "the worker went back to its queue and left the generate task to time out");
      broker.succeed(next.taskToken, "{}");
      await generate;
      return `one poll came back empty; the worker polled again (up to ${activityPolls} polls) and took ${stage}'s task`;
    }),
  );
}
