/**
 * What the guardian's parts share: the way a guardian function is built, its on-failure destination, and the
 * IAM statement helpers whose sids keep one statement per purpose in each role's policy.
 */
import { fileURLToPath } from "node:url";
import { type Duration, Validations } from "aws-cdk-lib";
import type * as ec2 from "aws-cdk-lib/aws-ec2";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import type * as logs from "aws-cdk-lib/aws-logs";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import { acknowledgeWildcardResources } from "./nag.js";

/** The CloudWatch namespace and metric the cluster-access function emits (EMF) after each `verify`. */
export const GUARDIAN_METRICS_NAMESPACE = "AwsAuthGuardian";
/** 1 when the live aws-auth differs from the last good snapshot, 0 when it matches; dimension `cluster`. */
export const VERIFY_DRIFT_METRIC = "VerifyDrift";
const SERVICE_NAME = "aws-auth-guardian";

const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The absolute path of a handler source file, from the repository root. */
export const entry = (relative: string): string => fileURLToPath(new URL(`../${relative}`, import.meta.url));

export interface GuardianFunctionProps {
  readonly entry: string;
  readonly description: string;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly onFailure: lambda.IDestination;
  readonly environment: Record<string, string>;
  readonly vpc?: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/** A Node.js function built the guardian's way: ESM, arm64, minified with source maps, SDK bundled. */
export function guardianFunction(
  scope: Construct,
  id: string,
  props: GuardianFunctionProps,
): nodejs.NodejsFunction {
  const { onFailure, environment, ...rest } = props;
  const fn = new nodejs.NodejsFunction(scope, id, {
    ...rest,
    handler: "handler",
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    projectRoot: REPO_ROOT,
    depsLockFilePath: `${REPO_ROOT}package-lock.json`,
    bundling: {
      format: nodejs.OutputFormat.ESM,
      target: "node22",
      minify: true,
      sourceMap: true,
      sourcesContent: false,
      mainFields: ["module", "main"],
      // Some dependencies call require(); ESM output has none unless it is created.
      banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      // The SDK version the handlers were tested with, not whatever the runtime ships.
      bundleAwsSDK: true,
      externalModules: [],
    },
    environment: {
      // Stack traces through the minified bundle name the TypeScript source lines.
      NODE_OPTIONS: "--enable-source-maps",
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: GUARDIAN_METRICS_NAMESPACE,
      ...environment,
    },
    onFailure,
    retryAttempts: 2,
  });
  props.logGroup.grantWrite(props.role);
  Validations.of(fn).acknowledge({
    id: "AwsSolutions-L1",
    reason:
      "nodejs22.x (supported, not deprecated) is the project's declared Lambda runtime and the handlers are " +
      "bundled for it (esbuild target node22); moving to nodejs24.x is a deliberate upgrade, not drift.",
  });
  return fn;
}

/**
 * An on-failure destination that grants exactly what Lambda needs to put the failed event on the queue
 * (sqs:SendMessage and the key for it), instead of the broader grant of `SqsDestination`.
 */
export class QueueOnFailure implements lambda.IDestination {
  constructor(private readonly queue: sqs.Queue) {}

  bind(_scope: Construct, fn: lambda.IFunction): lambda.DestinationConfig {
    fn.addToRolePolicy(allow("SendFailedEvents", ["sqs:SendMessage"], [this.queue.queueArn]));
    if (this.queue.encryptionMasterKey) fn.addToRolePolicy(useKey(this.queue.encryptionMasterKey));
    return { destination: this.queue.queueArn };
  }
}

/** An Allow statement named by its sid. */
export function allow(sid: string, actions: string[], resources: string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({ sid, actions, resources });
}

/**
 * Encrypt and decrypt with the guardian's key: for snapshots, alerts and failed events alike, under one sid, so
 * that a role granted several of those keeps a single statement (CDK drops identical statements).
 */
export function useKey(key: kms.IKey): iam.PolicyStatement {
  return allow("UseKeyForSnapshotsAlertsAndFailures", ["kms:Decrypt", "kms:GenerateDataKey"], [key.keyArn]);
}

/** eks:DescribeCluster (endpoint and CA) on the guarded clusters; `reason` acknowledges a wildcard. */
export function grantDescribeClusters(role: iam.Role, clusterArns: string[], reason: string): void {
  role.addToPrincipalPolicy(allow("DescribeClusters", ["eks:DescribeCluster"], clusterArns));
  acknowledgeWildcardResources(role, clusterArns, reason);
}
