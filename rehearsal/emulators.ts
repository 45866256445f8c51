/**
 * What the bundled handlers talk to in the rehearsal: s3rver (a real S3 emulator from the npm
 * registry) behind a recording front door, and a KMS stand-in on the same door (no KMS
 * emulator exists in the registries) that enforces key ids and encryption context: a data key
 * from one key and context opens only with the same context, and an unknown key id is refused
 * as KMS refuses it. Every request is recorded with the caller's access key id, so the
 * rehearsal can judge it against the caller's role.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import dynalite from "dynalite";
import S3rver from "s3rver";
import type { TaskTokenBroker } from "../workflows/engine/task-tokens.ts";
import { answerJson, type GpuPool, readJson } from "./gpu-pool.ts";

export interface RecordedRequest {
  /** Access key id of the signer (each rehearsed component signs with its own). */
  accessKeyId: string;
  service: "s3" | "kms" | "states" | "dynamodb" | "sqs" | "ecs";
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  /** KMS: the operation and its parsed body. */
  operation?: string;
  body?: Record<string, any>;
  status: number;
}

export interface Emulators {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startEmulators(options: {
  directory: string;
  bucket: string;
  kmsKeys: string[];
  routingTable: string;
  reviewTable: string;
  reviewLogTable: string;
  broker: TaskTokenBroker;
  pool?: GpuPool;
}): Promise<Emulators> {
  const s3 = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory: options.directory,
    allowMismatchedSignatures: true,
    configureBuckets: [{ name: options.bucket }],
  });
  const s3Address = await s3.run();
  // DynamoDB: dynalite, with the routing table as infra/storage.ts declares it.
  const dynamo = dynalite({ createTableMs: 0 });
  await new Promise<void>((r) => dynamo.listen(0, "127.0.0.1", () => r()));
  const dynamoPort = (dynamo.address() as AddressInfo).port;
  await new DynamoDBClient({
    endpoint: `http://127.0.0.1:${dynamoPort}`,
    region: "us-east-1",
    credentials: { accessKeyId: "setup", secretAccessKey: "setup" },
  }).send(
    new CreateTableCommand({
      TableName: options.routingTable,
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: [
        { AttributeName: "model", KeyType: "HASH" },
        { AttributeName: "seq", KeyType: "RANGE" },
      ],
      AttributeDefinitions: [
        { AttributeName: "model", AttributeType: "S" },
        { AttributeName: "seq", AttributeType: "S" },
      ],
    }),
  );
  // The review tables as infra/storage.ts declares them (the open gates; the append-only log).
  const setup = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${dynamoPort}`,
    region: "us-east-1",
    credentials: { accessKeyId: "setup", secretAccessKey: "setup" },
  });
  for (const TableName of [options.reviewTable, options.reviewLogTable])
    await setup.send(
      new CreateTableCommand({
        TableName,
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [
          { AttributeName: "executionId", KeyType: "HASH" },
          { AttributeName: "sk", KeyType: "RANGE" },
        ],
        AttributeDefinitions: [
          { AttributeName: "executionId", AttributeType: "S" },
          { AttributeName: "sk", AttributeType: "S" },
        ],
      }),
    );
  const requests: RecordedRequest[] = [];
  const master = randomBytes(32);

  const front = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://front");
    const accessKeyId = /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ""))?.[1] ?? "anonymous";
    const target = String(req.headers["x-amz-target"] ?? "");
    const pool = options.pool;
    if (pool && url.pathname.startsWith("/ecs-metadata/")) {
      // The ECS task metadata endpoint: unsigned, as inside a task.
      const task = pool.metadata(url.pathname);
      res.writeHead(task ? 200 : 404, { "content-type": "application/json" }).end(JSON.stringify(task ?? {}));
      return;
    }
    if (pool && (target.startsWith("AmazonSQS.") || target.startsWith("AmazonEC2ContainerServiceV20141113."))) {
      const service = target.startsWith("AmazonSQS.") ? "sqs" : "ecs";
      const operation = target.split(".")[1]!;
      void readJson(req).then(async (body) => {
        const record: RecordedRequest = {
          accessKeyId,
          service,
          method: "POST",
          path: "/",
          query: new URLSearchParams(),
          headers: req.headers,
          operation,
          body,
          status: 0,
        };
        requests.push(record);
        const r = service === "sqs" ? await pool.sqs(operation, body, () => res.destroyed) : pool.ecs(operation, body);
        answerJson(res, record, r.status, r.payload, service === "sqs" ? "1.0" : "1.1");
      });
      return;
    }
    if (pool && target === "AWSStepFunctions.GetActivityTask") {
      void readJson(req).then(async (body) => {
        const record: RecordedRequest = {
          accessKeyId,
          service: "states",
          method: "POST",
          path: "/",
          query: new URLSearchParams(),
          headers: req.headers,
          operation: "GetActivityTask",
          body,
          status: 0,
        };
        requests.push(record);
        answerJson(res, record, 200, await pool.getActivityTask(String(body.activityArn), () => res.destroyed));
      });
      return;
    }
    if (target.startsWith("TrentService.")) return kms(req, res, target.slice("TrentService.".length), accessKeyId);
    if (target.startsWith("AWSStepFunctions.")) return states(req, res, target.slice("AWSStepFunctions.".length), accessKeyId);
    if (target.startsWith("DynamoDB_20120810."))
      return forward(req, res, dynamoPort, {
        accessKeyId,
        service: "dynamodb",
        method: "POST",
        path: "/",
        query: new URLSearchParams(),
        headers: req.headers,
        operation: target.split(".")[1],
        status: 0,
      });
    const record: RecordedRequest = {
      accessKeyId,
      service: "s3",
      method: req.method ?? "GET",
      path: decodeURIComponent(url.pathname),
      query: url.searchParams,
      headers: req.headers,
      status: 0,
    };
    requests.push(record);
    // s3rver knows one access key; the signer's own was recorded above and is judged by IAM, not here.
    const headers = {
      ...req.headers,
      ...(req.headers.authorization
        ? { authorization: String(req.headers.authorization).replace(/Credential=[^/]+\//, "Credential=S3RVER/") }
        : {}),
    };
    const upstream = httpRequest({ host: "127.0.0.1", port: s3Address.port, method: req.method, path: req.url, headers }, (up) => {
      record.status = up.statusCode ?? 0;
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on("error", () => {
      record.status = 502;
      res.writeHead(502).end();
    });
    req.pipe(upstream);
  });

  /** Passes a request through to an emulator, recording it (with its JSON body) on the way. */
  const forward = (req: IncomingMessage, res: ServerResponse, port: number, record: RecordedRequest) => {
    requests.push(record);
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      try {
        record.body = JSON.parse(raw.toString("utf8") || "{}") as Record<string, any>;
      } catch {
        record.body = {};
      }
      const upstream = httpRequest({ host: "127.0.0.1", port, method: req.method, path: req.url, headers: req.headers }, (up) => {
        record.status = up.statusCode ?? 0;
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on("error", () => res.writeHead(502).end());
      upstream.end(raw);
    });
  };

  const kms = (req: IncomingMessage, res: ServerResponse, operation: string, accessKeyId: string) => {
    let raw = "";
    req.on("data", (d: Buffer) => (raw += d));
    req.on("end", () => {
      const body = JSON.parse(raw || "{}") as Record<string, any>;
      const record: RecordedRequest = {
        accessKeyId,
        service: "kms",
        method: "POST",
        path: "/",
        query: new URLSearchParams(),
        headers: req.headers,
        operation,
        body,
        status: 200,
      };
      requests.push(record);
      const answer = (status: number, payload: Record<string, unknown>) => {
        record.status = status;
        res.writeHead(status, { "content-type": "application/x-amz-json-1.1" }).end(JSON.stringify(payload));
      };
      const context = JSON.stringify(Object.entries((body.EncryptionContext ?? {}) as Record<string, string>).sort());
      if (operation === "GenerateDataKey") {
        if (!options.kmsKeys.includes(body.KeyId))
          return answer(400, { __type: "NotFoundException", message: `Key '${body.KeyId}' does not exist` });
        const plaintext = randomBytes(32);
        const iv = randomBytes(12);
        const cipher = createCipheriv("aes-256-gcm", master, iv);
        cipher.setAAD(Buffer.from(`${body.KeyId}\n${context}`));
        const sealed = Buffer.concat([cipher.update(plaintext), cipher.final()]);
        const blob = Buffer.concat([
          Buffer.from(
            JSON.stringify({
              keyId: body.KeyId,
              iv: iv.toString("base64"),
              tag: cipher.getAuthTag().toString("base64"),
              sealed: sealed.toString("base64"),
            }),
          ),
        ]);
        return answer(200, { KeyId: body.KeyId, Plaintext: plaintext.toString("base64"), CiphertextBlob: blob.toString("base64") });
      }
      if (operation === "Decrypt") {
        try {
          const parsed = JSON.parse(Buffer.from(String(body.CiphertextBlob), "base64").toString("utf8")) as {
            keyId: string;
            iv: string;
            tag: string;
            sealed: string;
          };
          if (body.KeyId && body.KeyId !== parsed.keyId)
            return answer(400, { __type: "IncorrectKeyException", message: "the ciphertext was not encrypted under the key given" });
          record.body = { ...body, KeyId: parsed.keyId };
          const decipher = createDecipheriv("aes-256-gcm", master, Buffer.from(parsed.iv, "base64"));
          decipher.setAAD(Buffer.from(`${parsed.keyId}\n${context}`));
          decipher.setAuthTag(Buffer.from(parsed.tag, "base64"));
          const plaintext = Buffer.concat([decipher.update(Buffer.from(parsed.sealed, "base64")), decipher.final()]);
          return answer(200, { KeyId: parsed.keyId, Plaintext: plaintext.toString("base64") });
        } catch {
          // Another context, a tampered blob: KMS says only this.
          return answer(400, { __type: "InvalidCiphertextException", message: "" });
        }
      }
      return answer(400, { __type: "UnsupportedOperationException", message: `${operation} is not in the KMS stand-in` });
    });
  };

  /**
   * Step Functions, as far as the API's first execution needs it: StartExecution records the
   * execution, DescribeExecution finds it (ExecutionDoesNotExist before). The execution itself
   * is not run here.
   */
  const executions = new Map<string, { input: string; startDate: number }>();
  const states = (req: IncomingMessage, res: ServerResponse, operation: string, accessKeyId: string) => {
    let raw = "";
    req.on("data", (d: Buffer) => (raw += d));
    req.on("end", () => {
      const body = JSON.parse(raw || "{}") as Record<string, any>;
      const record: RecordedRequest = {
        accessKeyId,
        service: "states",
        method: "POST",
        path: "/",
        query: new URLSearchParams(),
        headers: req.headers,
        operation,
        body,
        status: 200,
      };
      requests.push(record);
      const answer = (status: number, payload: Record<string, unknown>) => {
        record.status = status;
        res.writeHead(status, { "content-type": "application/x-amz-json-1.0" }).end(JSON.stringify(payload));
      };
      if (operation === "StartExecution") {
        const arn = `${String(body.stateMachineArn).replace(":stateMachine:", ":execution:")}:${body.name}`;
        if (executions.has(arn)) return answer(400, { __type: "ExecutionAlreadyExists", message: arn });
        executions.set(arn, { input: String(body.input), startDate: Date.now() / 1000 });
        return answer(200, { executionArn: arn, startDate: Date.now() / 1000 });
      }
      // The worker's answers, with the task token it was started with.
      if (operation === "SendTaskSuccess" || operation === "SendTaskFailure" || operation === "SendTaskHeartbeat") {
        record.body = { ...body, taskToken: "(token)", output: undefined };
        try {
          if (operation === "SendTaskSuccess") options.broker.succeed(String(body.taskToken), String(body.output));
          else if (operation === "SendTaskFailure")
            options.broker.fail(String(body.taskToken), String(body.error ?? ""), String(body.cause ?? ""));
          else options.broker.heartbeat(String(body.taskToken));
          return answer(200, {});
        } catch (err) {
          const e = err as Error & { code?: string };
          return answer(400, { __type: e.code ?? e.name, message: e.message });
        }
      }
      if (operation === "DescribeExecution") {
        const found = executions.get(String(body.executionArn));
        if (!found) return answer(400, { __type: "ExecutionDoesNotExist", message: String(body.executionArn) });
        return answer(200, {
          executionArn: body.executionArn,
          stateMachineArn: String(body.executionArn).split(":execution:")[0],
          status: "RUNNING",
          startDate: found.startDate,
          input: found.input,
        });
      }
      return answer(400, { __type: "UnsupportedOperation", message: `${operation} is not in the Step Functions stand-in` });
    });
  };

  await new Promise<void>((r) => front.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    close: async () => {
      options.pool?.close();
      front.closeAllConnections();
      await new Promise((r) => front.close(r));
      await s3.close();
      await new Promise((r) => dynamo.close(r));
    },
  };
}
