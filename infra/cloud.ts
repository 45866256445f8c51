/**
 * The Pulumi namespaces every builder creates resources with. They are passed in rather
 * than imported: under `sst deploy` they are SST's own globals (`aws`, `$util`), and in the
 * unit test they are the instances the test installed Pulumi mocks on. An import here
 * could resolve to a second copy of @pulumi/pulumi, which would never see the mocks.
 */
import type * as PulumiAws from "@pulumi/aws";
import type * as Pulumi from "@pulumi/pulumi";

export type Aws = typeof PulumiAws;
export type PulumiSdk = typeof Pulumi;
export type Input<T> = Pulumi.Input<T>;
export type Output<T> = Pulumi.Output<T>;

export interface Cloud {
  aws: Aws;
  pulumi: PulumiSdk;
}

/** Where a deployment runs; the account and region appear in ARNs and key policies. */
export interface Place {
  accountId: Input<string>;
  region: Input<string>;
  /** Resource names carry it, so stages of one account never collide. */
  stage: string;
  /** Keep data (bucket, keys, tables, logs) when the stage is removed. Production: true. */
  retain: boolean;
}

/** A least-privilege IAM statement, in the shape `sst.aws.Function`'s `permissions` take. */
export interface Permission {
  actions: string[];
  resources: Input<string>[];
  conditions?: Array<{ test: string; variable: string; values: Input<string>[] }>;
}

/** The same statements as an IAM policy document, for raw roles (ECS, EC2, Step Functions). */
export function policyDocument(cloud: Cloud, statements: Permission[]): Output<string> {
  return cloud.pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: statements.map((s) => ({
      Effect: "Allow",
      Action: s.actions,
      Resource: s.resources,
      ...(s.conditions?.length
        ? {
            Condition: s.conditions.reduce<Record<string, Record<string, Input<string>[]>>>(
              // biome-ignore lint/performance/noAccumulatingSpread: a statement has a handful of conditions
              (all, c) => ({ ...all, [c.test]: { ...all[c.test], [c.variable]: c.values } }),
              {},
            ),
          }
        : {}),
    })),
  });
}
