/**
 * The acquire Lambda's ECS and SQS side (functions/acquire-worker.ts): how it counts a pool,
 * what it does when RunTask places nothing, and WarmUp behind the circuit breaker. The AWS
 * APIs are the SDK's own clients on aws-sdk-client-mock (no ECS emulator exists); the
 * registry is the test home's.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { DescribeTasksCommand, ECSClient, ListTasksCommand, RunTaskCommand } from "@aws-sdk/client-ecs";
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { NoGpuCapacityError } from "../../core/errors.ts";
import { loadRegistry, stageEntry } from "../../core/registry.ts";
import { acquireWorker, startedByFor, type WorkerPools, warmUpWorkers } from "../../functions/acquire-worker.ts";
import { makeTestHome } from "../helpers.ts";

const cluster = "arn:aws:ecs:us-east-1:123456789012:cluster/affiant-gpu";
const stage = "ExtractFacts";

/** A test registry as AFFIANT_REGISTRY, mocked ECS and SQS clients and the pools, all restored after `body`. */
async function withPool(
  body: (m: { ecs: ReturnType<typeof mockClient>; sqs: ReturnType<typeof mockClient>; pools: WorkerPools; model: string }) => Promise<void>,
) {
  const { env } = makeTestHome();
  const saved = process.env.AFFIANT_REGISTRY;
  process.env.AFFIANT_REGISTRY = env.AFFIANT_REGISTRY;
  const ecs = mockClient(ECSClient);
  const sqs = mockClient(SQSClient);
  try {
    const registry = loadRegistry();
    const model = stageEntry(registry, stage).model;
    const pools: WorkerPools = {
      cluster,
      capacityProvider: "gpu",
      subnets: [],
      securityGroups: [],
      models: Object.fromEntries(
        Object.keys(registry.models).map((m) => [
          m,
          { taskDefinition: `td-${m}`, queueUrl: `https://sqs.us-east-1.amazonaws.com/1/ready-${m}` },
        ]),
      ),
    };
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: "0" } });
    sqs.on(SendMessageCommand).resolves({ MessageId: "m" });
    await body({ ecs, sqs, pools, model });
  } finally {
    ecs.restore();
    sqs.restore();
    if (saved === undefined) delete process.env.AFFIANT_REGISTRY;
    else process.env.AFFIANT_REGISTRY = saved;
  }
}

const clients = () => ({ ecs: new ECSClient({ region: "us-east-1" }), sqs: new SQSClient({ region: "us-east-1" }) });
const event = { stage, taskToken: "token-1", executionName: "exec-1" };
const noCapacity = { tasks: [], failures: [{ arn: "td", reason: "RESOURCE:GPU" }] };

test("RunTask failures with no live worker fail the Acquire at once with Affiant.NoGpuCapacity, and no token is queued", () =>
  withPool(async ({ ecs, sqs, pools, model }) => {
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    ecs.on(RunTaskCommand).resolves(noCapacity);
    await assert.rejects(
      acquireWorker(event, clients(), pools),
      (e: Error) => e.name === NoGpuCapacityError.errorName && e.message.includes("RESOURCE:GPU") && e.message.includes(model),
    );
    assert.equal(sqs.commandCalls(SendMessageCommand).length, 0);
    // The pool is listed by desired status RUNNING, once: PENDING is a lastStatus and would list nothing.
    assert.deepEqual(
      ecs.commandCalls(ListTasksCommand).map((c) => [c.args[0].input.desiredStatus, c.args[0].input.startedBy]),
      [["RUNNING", startedByFor(model)]],
    );
  }));

test("RunTask failures while a worker of the model is live leave the token queued for it", () =>
  withPool(async ({ ecs, sqs, pools }) => {
    // One live worker and a token already waiting: the policy wants one more, ECS places none.
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: "1" } });
    ecs.on(ListTasksCommand).resolves({ taskArns: ["a"] });
    ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: "a", lastStatus: "RUNNING", startedAt: new Date(), tags: [] }] });
    ecs.on(RunTaskCommand).resolves(noCapacity);
    const r = await acquireWorker(event, clients(), pools);
    assert.deepEqual({ started: r.started, running: r.running }, { started: false, running: 1 });
    assert.equal(sqs.commandCalls(SendMessageCommand).length, 1);
  }));

test("a task stuck in PROVISIONING past the acquire budget is not live: the Acquire starts another", () =>
  withPool(async ({ ecs, pools }) => {
    const budgetMs = loadRegistry().workers.acquireSeconds * 1000;
    const poolSize = loadRegistry().workers.poolSize;
    const stuck = [...Array(poolSize).keys()].map((i) => ({
      taskArn: `stuck-${i}`,
      lastStatus: "PROVISIONING",
      createdAt: new Date(Date.now() - budgetMs - 1000),
    }));
    ecs.on(ListTasksCommand).resolves({ taskArns: stuck.map((t) => t.taskArn) });
    ecs.on(DescribeTasksCommand).resolves({ tasks: stuck });
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: "new" }] });
    const r = await acquireWorker(event, clients(), pools);
    assert.equal(r.started, true, `${poolSize} stuck tasks must not fill a pool of ${poolSize}`);
  }));

test("WarmUp starts no worker of a model whose circuit is open, and one of a model whose circuit is closed", () =>
  withPool(async ({ ecs, pools, model }) => {
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: "t" }] });
    const health = (open: boolean) => ({
      health: async () => ({ open, probeDue: false, failures: open ? 5 : 0, samples: 5, stalls: 0 }),
    });
    const warm = { warm: [{ model, stage }], executionName: "exec-1" };
    const refused = await warmUpWorkers(warm, { ecs: clients().ecs, routing: health(true) as never }, pools);
    assert.deepEqual(refused, { started: [], refused: [model] });
    assert.equal(ecs.commandCalls(RunTaskCommand).length, 0);
    const admitted = await warmUpWorkers(warm, { ecs: clients().ecs, routing: health(false) as never }, pools);
    assert.deepEqual(admitted, { started: [model], refused: [] });
  }));
