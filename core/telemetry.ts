/**
 * Observability with Powertools for AWS Lambda: structured logs (Logger), EMF metrics
 * (Metrics) and X-Ray subsegments (Tracer) in the cloud; the same fields in the local log
 * file. Every line and metric carries the execution id and state from an async context,
 * so concurrent executions in one process (serve, backfill) never mix their fields.
 * Only ids, counts, timings and error names are ever recorded: never case text.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Tracer } from "@aws-lambda-powertools/tracer";
import { config } from "./config.ts";
import { logRecord } from "./log-sink.ts";

export { MetricUnit };

export interface TelemetryContext {
  execution?: string;
  state?: string;
  caseId?: string;
}

const context = new AsyncLocalStorage<TelemetryContext>();
export const serviceName = "affiant";
export const metricsNamespace = "Affiant";

/** In Lambda or an ECS task: logs and EMF go to stdout for CloudWatch. */
export function inCloud(): boolean {
  const env = config();
  return Boolean(env.AWS_LAMBDA_FUNCTION_NAME || env.ECS_CONTAINER_METADATA_URI_V4);
}

/**
 * Logger and Tracer are loaded only in the cloud: locally the log file takes the lines and
 * there is no X-Ray daemon, and every worker process would pay their import time.
 */
const cloud: { logger: Logger; tracer: Tracer } | undefined = inCloud()
  ? await Promise.all([import("@aws-lambda-powertools/logger"), import("@aws-lambda-powertools/tracer")]).then(([l, t]) => ({
      logger: new l.Logger({ serviceName }),
      tracer: new t.Tracer({ serviceName }),
    }))
  : undefined;
let metrics: Metrics | undefined;

export function powertools(): { metrics: Metrics; logger?: Logger; tracer?: Tracer } {
  metrics ??= new Metrics({ namespace: metricsNamespace, serviceName });
  return { metrics, ...cloud };
}

export function currentContext(): TelemetryContext {
  return context.getStore() ?? {};
}

export function withContext<T>(fields: TelemetryContext, fn: () => T): T {
  return context.run({ ...currentContext(), ...fields }, fn);
}

export interface MetricPoint {
  name: string;
  unit: (typeof MetricUnit)[keyof typeof MetricUnit];
  value: number;
  dimensions?: Record<string, string>;
}

/**
 * One EMF document per point, built by Powertools Metrics. In the cloud it is printed to
 * stdout, where CloudWatch turns it into metrics; locally it goes to the log file as a
 * `metrics` record (stdout belongs to `affiant run --json`).
 */
export function emitMetrics(points: MetricPoint[]): void {
  const { metrics } = powertools();
  for (const p of points) {
    if (!Number.isFinite(p.value)) continue;
    metrics.clearDimensions();
    for (const [k, v] of Object.entries(p.dimensions ?? {})) metrics.addDimension(k, v);
    metrics.addMetric(p.name, p.unit, p.value);
    const ctx = currentContext();
    if (ctx.execution) metrics.addMetadata("execution", ctx.execution);
    const emf = metrics.serializeMetrics() as unknown as Record<string, unknown>;
    metrics.clearMetrics();
    metrics.clearDimensions();
    metrics.clearMetadata?.();
    if (inCloud()) process.stdout.write(`${JSON.stringify(emf)}\n`);
    else logRecord({ time: new Date().toISOString(), level: "info", event: "metrics", ...ctx, ...emf });
  }
}

interface HandlerEvent {
  executionName?: string;
  stage?: string;
  caseId?: string;
  input?: { caseId?: string };
  state?: { caseId?: string; executionName?: string };
}

/**
 * Wraps a Lambda handler: execution/state/case in every log line and metric, a duration
 * and an outcome metric per state, and an X-Ray subsegment annotated with the same ids.
 */
export function withTelemetry<E, R>(state: string, handler: (event: E) => Promise<R>): (event: E, lambdaContext?: unknown) => Promise<R> {
  return async (event) => {
    const e = (event ?? {}) as HandlerEvent;
    const fields: TelemetryContext = {
      state: e.stage ? `${e.stage}Fallback` : state,
      execution: e.state?.executionName ?? e.executionName,
      caseId: e.state?.caseId ?? e.input?.caseId ?? e.caseId,
    };
    return withContext(fields, async () => {
      const { tracer } = powertools();
      const parent = tracer?.isTracingEnabled() ? tracer.getSegment() : undefined;
      const sub = parent?.addNewSubsegment(`## ${fields.state}`);
      if (sub && tracer) {
        tracer.setSegment(sub);
        tracer.annotateColdStart();
        tracer.addServiceNameAnnotation();
        if (fields.execution) tracer.putAnnotation("execution", fields.execution);
        if (fields.state) tracer.putAnnotation("state", fields.state);
      }
      const started = performance.now();
      try {
        const result = await handler(event);
        emitMetrics([
          {
            name: "StateDuration",
            unit: MetricUnit.Milliseconds,
            value: performance.now() - started,
            dimensions: { State: fields.state ?? state },
          },
        ]);
        return result;
      } catch (err) {
        const name = (err as Error).name;
        emitMetrics([
          {
            name: "StateDuration",
            unit: MetricUnit.Milliseconds,
            value: performance.now() - started,
            dimensions: { State: fields.state ?? state },
          },
          { name: "StateErrors", unit: MetricUnit.Count, value: 1, dimensions: { State: fields.state ?? state, Error: name } },
        ]);
        // The error's name only: messages may quote a file name, never worth the risk in a trace.
        sub?.addErrorFlag();
        if (sub) tracer?.putMetadata("error", name);
        throw err;
      } finally {
        if (sub && parent) {
          sub.close();
          tracer?.setSegment(parent);
        }
      }
    });
  };
}
