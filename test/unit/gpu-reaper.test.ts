/**
 * What stops an ECS task from outside its worker (functions/gpu-reaper.ts): the fallback
 * stopping its primary's task, and the sweeper. The ECS API is the SDK's own client on
 * aws-sdk-client-mock (no ECS emulator exists); the registry is the test home's.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { DescribeTasksCommand, ECSClient, ListTasksCommand, StopTaskCommand } from "@aws-sdk/client-ecs";
import { mockClient } from "aws-sdk-client-mock";
import { loadRegistry, stageEntry } from "../../core/registry.ts";
import { workerTaskTags } from "../../core/state-names.ts";
import { stopStageTasks, sweep, sweepGraceSeconds } from "../../functions/gpu-reaper.ts";
import { makeTestHome } from "../helpers.ts";

const cluster = "arn:aws:ecs:us-east-1:123456789012:cluster/affiant-gpu";
const task = (id: string, execution: string, stage: string, startedAt: Date) => ({
  taskArn: `arn:aws:ecs:us-east-1:123456789012:task/affiant-gpu/${id}`,
  startedAt,
  tags: [
    { key: "affiant:execution", value: execution },
    { key: "affiant:stage", value: stage },
  ],
});

test("the fallback stops only its own primary's task, found by the execution and stage tags", async () => {
  const ecs = mockClient(ECSClient);
  try {
    const now = new Date();
    ecs.on(ListTasksCommand).resolves({ taskArns: ["a", "b", "c"] });
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        task("a", "exec-1", "DraftDeclaration", now),
        task("b", "exec-1", "JudgeTone", now),
        task("c", "exec-2", "DraftDeclaration", now),
      ],
    });
    ecs.on(StopTaskCommand).resolves({});
    const stopped = await stopStageTasks(
      new ECSClient({ region: "us-east-1" }),
      cluster,
      "exec-1",
      "DraftDeclaration",
      "affiant: DraftDeclaration failed (States.HeartbeatTimeout)",
    );
    assert.deepEqual(stopped, [task("a", "", "", now).taskArn]);
    const stops = ecs.commandCalls(StopTaskCommand).map((c) => c.args[0].input);
    assert.equal(stops.length, 1);
    assert.equal(stops[0]!.cluster, cluster);
    assert.match(stops[0]!.reason!, /HeartbeatTimeout/);
    assert.deepEqual(ecs.commandCalls(DescribeTasksCommand)[0]!.args[0].input.include, ["TAGS"]);
  } finally {
    ecs.restore();
  }
});

/** A test registry as AFFIANT_REGISTRY and a mocked ECS client, both restored after `body`. */
async function withTestRegistry(body: (ecs: ReturnType<typeof mockClient>) => Promise<void>): Promise<void> {
  const { env } = makeTestHome();
  const saved = process.env.AFFIANT_REGISTRY;
  process.env.AFFIANT_REGISTRY = env.AFFIANT_REGISTRY;
  const ecs = mockClient(ECSClient);
  try {
    await body(ecs);
  } finally {
    ecs.restore();
    if (saved === undefined) delete process.env.AFFIANT_REGISTRY;
    else process.env.AFFIANT_REGISTRY = saved;
  }
}

test("the sweeper stops tasks older than their stage's TimeoutSeconds (plus grace), and only those", () =>
  withTestRegistry(async (ecs) => {
    const now = Date.now();
    const limit = (stageEntry(loadRegistry(), "DraftDeclaration").timeoutSeconds + sweepGraceSeconds) * 1000;
    ecs.on(ListTasksCommand).resolves({ taskArns: ["old", "young", "untagged"] });
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        task("old", "exec-1", "DraftDeclaration", new Date(now - limit - 1000)),
        task("young", "exec-2", "DraftDeclaration", new Date(now - limit + 5000)),
        { taskArn: "arn:aws:ecs:us-east-1:123456789012:task/affiant-gpu/untagged", startedAt: new Date(0) },
      ],
    });
    ecs.on(StopTaskCommand).resolves({});
    const stopped = await sweep(new ECSClient({ region: "us-east-1" }), cluster, now);
    assert.deepEqual(stopped, ["arn:aws:ecs:us-east-1:123456789012:task/affiant-gpu/old"]);
  }));

test("a warm worker's task is timed by the stage it holds (its own stage-started tag), not by the task's age; an idle one is left to exit itself", () =>
  withTestRegistry(async (ecs) => {
    const now = Date.now();
    const limit = (stageEntry(loadRegistry(), "JudgeTone").timeoutSeconds + sweepGraceSeconds) * 1000;
    const warm = (id: string, stageStartedAt: number | undefined) => ({
      taskArn: `arn:aws:ecs:us-east-1:123456789012:task/affiant-gpu/${id}`,
      // Started long ago: it has served many executions.
      startedAt: new Date(now - 10 * limit),
      tags: [
        { key: "affiant:model", value: "m" },
        ...(stageStartedAt === undefined
          ? []
          : [
              { key: "affiant:execution", value: `exec-${id}` },
              { key: "affiant:stage", value: "JudgeTone" },
              { key: "affiant:stage-started", value: String(stageStartedAt) },
            ]),
      ],
    });
    ecs.on(ListTasksCommand).resolves({ taskArns: ["stuck", "busy", "idle"] });
    ecs
      .on(DescribeTasksCommand)
      .resolves({ tasks: [warm("stuck", now - limit - 1000), warm("busy", now - 5000), warm("idle", undefined)] });
    ecs.on(StopTaskCommand).resolves({});
    const stopped = await sweep(new ECSClient({ region: "us-east-1" }), cluster, now);
    assert.deepEqual(
      stopped,
      ["arn:aws:ecs:us-east-1:123456789012:task/affiant-gpu/stuck"],
      "only the stage past its TimeoutSeconds + grace",
    );
    // The fallback finds the worker by the tags it set for this execution's stage.
    ecs.on(DescribeTasksCommand).resolves({ tasks: [warm("stuck", now - 1000), warm("idle", undefined)] });
    assert.deepEqual(
      await stopStageTasks(new ECSClient({ region: "us-east-1" }), cluster, "exec-stuck", "JudgeTone", "affiant: JudgeTone failed"),
      ["arn:aws:ecs:us-east-1:123456789012:task/affiant-gpu/stuck"],
    );
    assert.deepEqual(
      await stopStageTasks(new ECSClient({ region: "us-east-1" }), cluster, "exec-idle", "JudgeTone", "affiant: JudgeTone failed"),
      [],
      "an idle warm worker holds no execution's stage",
    );
  }));

test("the sweeper stops warm worker tasks stuck provisioning, never tagged, or loading past the acquire budget + grace, and leaves loaded ones", () =>
  withTestRegistry(async (ecs) => {
    const now = Date.now();
    const limit = (loadRegistry().workers.acquireSeconds + sweepGraceSeconds) * 1000;
    const arn = (id: string) => `arn:aws:ecs:us-east-1:123456789012:task/affiant-gpu/${id}`;
    const warm = (id: string, lastStatus: string, since: number, tags: Record<string, number> = {}) => ({
      taskArn: arn(id),
      startedBy: "affiant-warm-m",
      lastStatus,
      createdAt: new Date(since),
      ...(lastStatus === "RUNNING" ? { startedAt: new Date(since) } : {}),
      tags: [{ key: "affiant:model", value: "m" }, ...Object.entries(tags).map(([key, v]) => ({ key, value: String(v) }))],
    });
    const old = now - limit - 1000;
    const young = now - limit + 5000;
    ecs.on(ListTasksCommand).resolves({ taskArns: ["a", "b", "c", "d", "e", "f"] });
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        warm("provisioning-old", "PROVISIONING", old),
        warm("provisioning-young", "PROVISIONING", young),
        warm("silent-old", "RUNNING", old),
        warm("loading-old", "RUNNING", old, { [workerTaskTags.acquiredAt]: old }),
        warm("loading-young", "RUNNING", old, { [workerTaskTags.acquiredAt]: young }),
        warm("loaded-old", "RUNNING", old, { [workerTaskTags.acquiredAt]: old, [workerTaskTags.loadedAt]: old + 60_000 }),
      ],
    });
    ecs.on(StopTaskCommand).resolves({});
    const stopped = await sweep(new ECSClient({ region: "us-east-1" }), cluster, now);
    assert.deepEqual(stopped, [arn("provisioning-old"), arn("silent-old"), arn("loading-old")]);
    const reasons = ecs.commandCalls(StopTaskCommand).map((c) => c.args[0].input.reason);
    assert.match(reasons[0]!, /not RUNNING after the acquire budget/);
    assert.match(reasons[1]!, /never tagged itself/);
    assert.match(reasons[2]!, /model load ran past the acquire budget/);
    // The listing asks for desired status RUNNING, which holds the tasks still provisioning (PENDING would list none).
    assert.deepEqual(
      ecs.commandCalls(ListTasksCommand).map((c) => c.args[0].input.desiredStatus),
      ["RUNNING"],
    );
  }));
