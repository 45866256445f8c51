/**
 * What stops a GPU task that its worker cannot stop (functions/gpu-reaper.ts): a schedule
 * that sweeps tasks older than their stage's timeout. The function itself is created by
 * sst.config.ts (like every Lambda); this wires it.
 */
import type { Cloud, Input, Permission, Place } from "./cloud.ts";

export interface ReaperOptions {
  place: Place;
  clusterArn: Input<string>;
  sweeper: { arn: Input<string>; name: Input<string> };
  /** Default: rate(1 minute). */
  sweepSchedule?: string;
}

export function buildReaper(cloud: Cloud, options: ReaperOptions) {
  const { aws } = cloud;
  const prefix = `affiant-${options.place.stage}`;
  const sweepRule = new aws.cloudwatch.EventRule("WorkerSweep", {
    name: `${prefix}-worker-sweep`,
    description: "Stop GPU worker tasks older than their stage's timeout",
    scheduleExpression: options.sweepSchedule ?? "rate(1 minute)",
  });
  new aws.cloudwatch.EventTarget("WorkerSweepTarget", { rule: sweepRule.name, arn: options.sweeper.arn });
  new aws.lambda.Permission("WorkerSweepInvoke", {
    action: "lambda:InvokeFunction",
    function: options.sweeper.name,
    principal: "events.amazonaws.com",
    sourceArn: sweepRule.arn,
  });
  return { sweepRuleArn: sweepRule.arn };
}

/** Listing, describing and stopping tasks, in the GPU cluster only. */
export function clusterTaskPermissions(clusterArn: Input<string>): Permission[] {
  return [
    {
      actions: ["ecs:ListTasks", "ecs:DescribeTasks", "ecs:StopTask"],
      resources: ["*"],
      conditions: [{ test: "ArnEquals", variable: "ecs:cluster", values: [clusterArn] }],
    },
  ];
}
