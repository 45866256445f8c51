/**
 * What stops a GPU task that its worker cannot stop (functions/gpu-reaper.ts): an
 * EventBridge rule on the cluster's ECS tasks reaching STOPPED, which sends
 * SendTaskFailure for a task that died before answering (its state fails in seconds, not
 * at HeartbeatSeconds), and a schedule that sweeps tasks older than their stage's timeout.
 * The functions themselves are created by sst.config.ts (like every Lambda); this wires them.
 */
import type { Cloud, Input, Permission, Place } from "./cloud.ts";

export interface ReaperOptions {
  place: Place;
  clusterArn: Input<string>;
  taskStopped: { arn: Input<string>; name: Input<string> };
  sweeper: { arn: Input<string>; name: Input<string> };
  /** Default: rate(1 minute). */
  sweepSchedule?: string;
}

/** The rule's event pattern: this cluster's tasks, STOPPED. */
export function taskStoppedPattern(clusterArn: string): Record<string, unknown> {
  return { source: ["aws.ecs"], "detail-type": ["ECS Task State Change"], detail: { clusterArn: [clusterArn], lastStatus: ["STOPPED"] } };
}

export function buildReaper(cloud: Cloud, options: ReaperOptions) {
  const { aws, pulumi } = cloud;
  const prefix = `affiant-${options.place.stage}`;
  const stoppedRule = new aws.cloudwatch.EventRule("WorkerTaskStopped", {
    name: `${prefix}-worker-task-stopped`,
    description: "A GPU worker task stopped: fail its state now if it never answered",
    eventPattern: pulumi.output(options.clusterArn).apply((arn) => JSON.stringify(taskStoppedPattern(arn))),
  });
  new aws.cloudwatch.EventTarget("WorkerTaskStoppedTarget", { rule: stoppedRule.name, arn: options.taskStopped.arn });
  new aws.lambda.Permission("WorkerTaskStoppedInvoke", { action: "lambda:InvokeFunction", function: options.taskStopped.name, principal: "events.amazonaws.com", sourceArn: stoppedRule.arn });

  const sweepRule = new aws.cloudwatch.EventRule("WorkerSweep", {
    name: `${prefix}-worker-sweep`,
    description: "Stop GPU worker tasks older than their stage's timeout",
    scheduleExpression: options.sweepSchedule ?? "rate(1 minute)",
  });
  new aws.cloudwatch.EventTarget("WorkerSweepTarget", { rule: sweepRule.name, arn: options.sweeper.arn });
  new aws.lambda.Permission("WorkerSweepInvoke", { action: "lambda:InvokeFunction", function: options.sweeper.name, principal: "events.amazonaws.com", sourceArn: sweepRule.arn });
  return { stoppedRuleArn: stoppedRule.arn, sweepRuleArn: sweepRule.arn };
}

/** Listing, describing and stopping tasks, in the GPU cluster only. */
export function clusterTaskPermissions(clusterArn: Input<string>): Permission[] {
  return [{ actions: ["ecs:ListTasks", "ecs:DescribeTasks", "ecs:StopTask"], resources: ["*"], conditions: [{ test: "ArnEquals", variable: "ecs:cluster", values: [clusterArn] }] }];
}
