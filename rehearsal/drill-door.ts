/**
 * What every drill of rehearsal/drills.ts stands on: the GPU pool stand-in behind an HTTP door
 * of its own (ECS, SQS, the activities and the task tokens, as the SDK clients and a worker
 * process call them), the pools as infra writes them, and a simulated clock.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ECSClient } from "@aws-sdk/client-ecs";
import { SFNClient } from "@aws-sdk/client-sfn";
import { SQSClient } from "@aws-sdk/client-sqs";
import { loadRegistry } from "../core/registry.ts";
import type { WorkerPools } from "../functions/acquire-worker.ts";
import { TaskTokenBroker } from "../workflows/engine/task-tokens.ts";
import { GpuPool, type PoolBehaviour, readJson } from "./gpu-pool.ts";

export const region = "us-east-1";
export const cluster = "arn:aws:ecs:us-east-1:123456789012:cluster/affiant-drill";
export const credentials = { accessKeyId: "AKIAREHEARSALDRILL", secretAccessKey: "rehearsal" };

/** A simulated clock: it moves only when a drill moves it. */
export class Clock {
  t = Date.UTC(2026, 0, 1);
  readonly now = () => this.t;
  advance(seconds: number) {
    this.t += seconds * 1000;
  }
}

/** The stand-in behind an HTTP door the SDK clients (and a worker process) talk to. */
async function openDoor(pool: GpuPool, broker: TaskTokenBroker) {
  const answer = (res: ServerResponse, status: number, payload: Record<string, unknown>, version: string) => {
    if (!res.writableEnded) res.writeHead(status, { "content-type": `application/x-amz-json-${version}` }).end(JSON.stringify(payload));
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://door");
    if (url.pathname.startsWith("/ecs-metadata/")) {
      const task = pool.metadata(url.pathname);
      res.writeHead(task ? 200 : 404, { "content-type": "application/json" }).end(JSON.stringify(task ?? {}));
      return;
    }
    const target = String(req.headers["x-amz-target"] ?? "");
    const operation = target.split(".")[1] ?? "";
    void readJson(req).then(async (body) => {
      if (target.startsWith("AmazonEC2ContainerServiceV20141113.")) {
        const r = pool.ecs(operation, body);
        return answer(res, r.status, r.payload, "1.1");
      }
      if (target.startsWith("AmazonSQS.")) {
        const r = await pool.sqs(operation, body, () => res.destroyed);
        return answer(res, r.status, r.payload, "1.0");
      }
      if (operation === "GetActivityTask")
        return answer(res, 200, await pool.getActivityTask(String(body.activityArn), () => res.destroyed), "1.0");
      try {
        if (operation === "SendTaskSuccess") broker.succeed(String(body.taskToken), String(body.output));
        else if (operation === "SendTaskFailure") broker.fail(String(body.taskToken), String(body.error ?? ""), String(body.cause ?? ""));
        else if (operation === "SendTaskHeartbeat") broker.heartbeat(String(body.taskToken));
        else return answer(res, 400, { __type: "UnsupportedOperation", message: `${operation} is not behind the drills' door` }, "1.0");
        return answer(res, 200, {}, "1.0");
      } catch (err) {
        const e = err as Error & { code?: string };
        return answer(res, 400, { __type: e.code ?? e.name, message: e.message }, "1.0");
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = { endpoint: url, region, credentials, maxAttempts: 1 };
  return {
    url,
    ecs: new ECSClient(client),
    sqs: new SQSClient(client),
    sfn: new SFNClient(client),
    close: async () => {
      pool.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** One pool per registry model, at the door: as infra writes AFFIANT_WORKER_POOLS. */
function poolsAt(url: string): WorkerPools {
  const registry = loadRegistry();
  return {
    cluster,
    capacityProvider: "affiant-drill-gpu",
    subnets: ["subnet-drill"],
    securityGroups: ["sg-drill"],
    models: Object.fromEntries(
      Object.keys(registry.models).map((m) => [
        m,
        { taskDefinition: `arn:aws:ecs:us-east-1:123456789012:task-definition/affiant-${m}:1`, queueUrl: `${url}/123456789012/ready-${m}` },
      ]),
    ),
  };
}

/** A stand-in, its door and the pools; `body` runs the drill; everything is closed after. */
export async function drill<T>(
  behaviour: PoolBehaviour,
  body: (d: { pool: GpuPool; door: Awaited<ReturnType<typeof openDoor>>; pools: WorkerPools; broker: TaskTokenBroker }) => Promise<T>,
  env: (taskArn: string, url: string) => Record<string, string> = () => ({}),
): Promise<T> {
  const broker = new TaskTokenBroker();
  const pool = new GpuPool(broker, 0, behaviour);
  const door = await openDoor(pool, broker);
  pool.launcher = (_arn, taskArn) => env(taskArn, door.url);
  try {
    return await body({ pool, door, pools: poolsAt(door.url), broker });
  } finally {
    await door.close();
  }
}

/** An Acquire's invoke, as the state sends it: a fresh token of the broker (nobody answers it here). */
export const acquireEvent = (broker: TaskTokenBroker, stage: string, execution: string) => ({
  stage,
  executionName: execution,
  taskToken: broker.issue({ heartbeat: () => undefined, succeed: () => undefined, fail: () => undefined }),
});
