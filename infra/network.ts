/**
 * A VPC with private subnets only and no NAT: the GPU instances and the Lambdas that read
 * case text reach AWS through VPC endpoints (PrivateLink, and gateway endpoints for S3 and
 * DynamoDB), so no case data crosses the internet and nothing in the VPC can reach it.
 */
import type { Cloud, Output, Place } from "./cloud.ts";

/**
 * Interface endpoints and who needs them. Each costs $0.01 an hour per AZ (about $7.30 a month),
 * plus $0.01 per GB processed (docs/deploy.md, Cost).
 */
export const interfaceEndpoints = {
  "bedrock-runtime": "embeddings (Index, Score)",
  states: "the worker's SendTaskHeartbeat / SendTaskSuccess / SendTaskFailure",
  "ecr.api": "pulling the worker image",
  "ecr.dkr": "pulling the worker image",
  logs: "container logs (awslogs driver)",
  ecs: "the ECS agent on the GPU instances",
  "ecs-agent": "the ECS agent on the GPU instances",
  "ecs-telemetry": "the ECS agent on the GPU instances",
  kms: "the vault key (Redact, Reinject)",
  textract: "Extract's OCR in AWS",
  comprehend: "Redact's PII detection",
  xray: "traces from the Lambdas in the VPC (tracing: active)",
  sqs: "the warm workers' ReceiveMessage on their model's ready queue",
  // Session Manager (a shell on a stuck GPU instance without SSH or a bastion): the SSM agent
  // registers through ssm and carries the session over ssmmessages and ec2messages.
  ssm: "Session Manager: the SSM agent on the GPU instances registers and reports",
  ssmmessages: "Session Manager: the shell session's data channel",
  ec2messages: "Session Manager: the SSM agent's command channel",
} as const;
export type InterfaceEndpoint = keyof typeof interfaceEndpoints;
/**
 * The endpoints the agents behind AWS's managed policies call from a GPU instance: what the
 * rehearsal's reachability row checks for the roles that carry them.
 */
export const managedPolicyEndpoints: Record<string, readonly string[]> = {
  "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role": [
    "ecs",
    "ecs-agent",
    "ecs-telemetry",
    "ecr.api",
    "ecr.dkr",
    "s3",
    "logs",
  ],
  "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore": ["ssm", "ssmmessages", "ec2messages"],
};
/** Gateway endpoints: free; S3 also carries ECR's image layers. */
export const gatewayEndpoints = ["s3", "dynamodb"] as const;

export interface NetworkOptions {
  place: Place;
  /** Default: "10.40.0.0/16". */
  cidr?: string;
  /** Availability zones to spread over (g5 capacity varies by AZ). Default: 2. */
  azCount?: number;
  /** Default: every key of {@link interfaceEndpoints}. */
  endpoints?: readonly InterfaceEndpoint[];
}

export interface Network {
  vpcId: Output<string>;
  privateSubnetIds: Output<string>[];
  /** GPU instances and their awsvpc tasks: egress to the endpoints only. */
  workerSecurityGroupId: Output<string>;
  /** The Lambdas placed in the VPC. */
  lambdaSecurityGroupId: Output<string>;
}

export function buildNetwork(cloud: Cloud, options: NetworkOptions): Network {
  const { aws, pulumi } = cloud;
  const cidr = options.cidr ?? "10.40.0.0/16";
  const azCount = options.azCount ?? 2;
  const [a, b] = cidr.split(".");
  const vpc = new aws.ec2.Vpc("Vpc", {
    cidrBlock: cidr,
    enableDnsHostnames: true,
    enableDnsSupport: true,
    tags: { Name: `affiant-${options.place.stage}` },
  });
  const zones = aws.getAvailabilityZonesOutput({ state: "available" });
  const routeTable = new aws.ec2.RouteTable("PrivateRoutes", { vpcId: vpc.id });
  const subnets = Array.from({ length: azCount }, (_, i) => {
    const subnet = new aws.ec2.Subnet(`Private${i + 1}`, {
      vpcId: vpc.id,
      cidrBlock: `${a}.${b}.${i * 32}.0/19`,
      availabilityZone: zones.names.apply((names) => names[i % names.length]!),
      mapPublicIpOnLaunch: false,
      tags: { Name: `affiant-${options.place.stage}-private-${i + 1}` },
    });
    new aws.ec2.RouteTableAssociation(`Private${i + 1}Routes`, { subnetId: subnet.id, routeTableId: routeTable.id });
    return subnet;
  });

  const egressToVpc = [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: [cidr], description: "HTTPS to the VPC endpoints" }];
  const s3Prefix = aws.ec2.getManagedPrefixListOutput({ name: pulumi.interpolate`com.amazonaws.${options.place.region}.s3` });
  const dynamoPrefix = aws.ec2.getManagedPrefixListOutput({ name: pulumi.interpolate`com.amazonaws.${options.place.region}.dynamodb` });
  const egressToGateways = [
    { protocol: "tcp", fromPort: 443, toPort: 443, prefixListIds: [s3Prefix.id], description: "S3 gateway endpoint" },
    { protocol: "tcp", fromPort: 443, toPort: 443, prefixListIds: [dynamoPrefix.id], description: "DynamoDB gateway endpoint" },
  ];
  const worker = new aws.ec2.SecurityGroup("WorkerSg", {
    vpcId: vpc.id,
    description: "Affiant GPU workers: no ingress, HTTPS to endpoints",
    egress: [...egressToVpc, ...egressToGateways],
  });
  const lambda = new aws.ec2.SecurityGroup("LambdaSg", {
    vpcId: vpc.id,
    description: "Affiant pipeline Lambdas: no ingress, HTTPS to endpoints",
    egress: [...egressToVpc, ...egressToGateways],
  });
  const endpointSg = new aws.ec2.SecurityGroup("EndpointSg", {
    vpcId: vpc.id,
    description: "Affiant VPC endpoints: HTTPS from inside the VPC",
    ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: [cidr] }],
  });

  for (const service of options.endpoints ?? (Object.keys(interfaceEndpoints) as InterfaceEndpoint[])) {
    new aws.ec2.VpcEndpoint(`Endpoint${pascal(service)}`, {
      vpcId: vpc.id,
      serviceName: pulumi.interpolate`com.amazonaws.${options.place.region}.${service}`,
      vpcEndpointType: "Interface",
      privateDnsEnabled: true,
      subnetIds: subnets.map((s) => s.id),
      securityGroupIds: [endpointSg.id],
    });
  }
  for (const service of gatewayEndpoints) {
    new aws.ec2.VpcEndpoint(`Endpoint${pascal(service)}`, {
      vpcId: vpc.id,
      serviceName: pulumi.interpolate`com.amazonaws.${options.place.region}.${service}`,
      vpcEndpointType: "Gateway",
      routeTableIds: [routeTable.id],
    });
  }

  return {
    vpcId: vpc.id,
    privateSubnetIds: subnets.map((s) => s.id),
    workerSecurityGroupId: worker.id,
    lambdaSecurityGroupId: lambda.id,
  };
}

const pascal = (s: string) => s.replace(/(^|[-.])(\w)/g, (_, __, c: string) => c.toUpperCase());
