/**
 * The guardian's cluster access: the role named in each guarded cluster's access entry, the function that
 * restores, captures and verifies aws-auth inside the clusters with it, the access entries of a static cluster
 * list and the scheduled `verify` of those clusters. Creates its resources in the guardian's scope (see
 * lib/storage.ts for why).
 */
import { Aws, Duration } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as eks from "aws-cdk-lib/aws-eks";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import { ACCESS_NAMESPACE, ACCESS_POLICY_NAME } from "../lambda/discovery/config.js";
import type { GuardianAlerting } from "./alerting.js";
import { allow, entry, grantDescribeClusters, guardianFunction } from "./guardian-function.js";
import { acknowledgeWildcardResources } from "./nag.js";
import type { GuardianStorage } from "./storage.js";

/** Where the cluster-access function runs when cluster endpoints are private. */
export interface GuardianNetwork {
  readonly vpc: ec2.IVpc;
  /** Subnets that reach the cluster endpoints and the AWS APIs (NAT or VPC endpoints). */
  readonly subnets: ec2.SubnetSelection;
  /**
   * @default - a new security group that allows outbound HTTPS (443) only
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
}

export interface GuardianClusterAccessProps {
  /** The snapshot bucket and key the function reads and writes. */
  readonly storage: GuardianStorage;
  /** The topic the function alerts on. */
  readonly alerting: GuardianAlerting;
  /** The on-failure destination of its asynchronous invocations. */
  readonly onFailure: lambda.IDestination;
  /** ARNs of the guarded clusters (`cluster/*` in discovery mode), for eks:DescribeCluster. */
  readonly clusterArns: string[];
  /**
   * `TRUSTED_WRITERS` of the function: comma-separated IAM ARN patterns whose writes are expected.
   *
   * @default "" - none
   */
  readonly trustedWriters?: string;
  /**
   * IAM ARN patterns (`*` allowed) of the callers the function restores for, `force` included
   * (`RESTORE_OPERATORS`). A restore must carry the caller's proof of identity (a presigned STS
   * GetCallerIdentity, which the CLI sends); the function asks STS who signed it before anything else.
   *
   * @default - none: the function restores, without force, only for the principals mapped to system:masters in
   *   the cluster's last good aws-auth (and its creator where known); nobody may force
   */
  readonly restoreOperators?: string[];
  /**
   * The policy variables the function shares with the classifier (`ALERT_CLASSES`, `EXTRA_NODE_ROLE_ARNS`).
   *
   * @default - none: the functions' defaults
   */
  readonly policyEnvironment?: Record<string, string>;
  /**
   * Runs the function in a VPC, for clusters with private or CIDR-restricted endpoints.
   *
   * @default - not in a VPC (reaches public cluster endpoints)
   */
  readonly network?: GuardianNetwork;
  /**
   * Retention of the function's log group.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/** The cluster-access role and function, and what names them inside the clusters. */
export class GuardianClusterAccess {
  /** The EKS access policy the access entries associate, scoped to {@link ACCESS_NAMESPACE}. */
  static readonly accessPolicyArn =
    `arn:${Aws.PARTITION}:eks::aws:cluster-access-policy/${ACCESS_POLICY_NAME}`;

  /** Restores, captures and verifies aws-auth inside the clusters. */
  readonly clusterAccessFunction: nodejs.NodejsFunction;
  /** The identity the cluster-access function reaches clusters with (named in the access entries). */
  readonly clusterAccessRole: iam.Role;
  /** The stack-declared access entries (static cluster list with access entries only). */
  readonly accessEntries: eks.CfnAccessEntry[] = [];
  /** The verify schedules of a static cluster list (five clusters a rule). */
  readonly verifySchedules: events.Rule[] = [];

  private readonly scope: Construct;

  constructor(scope: Construct, props: GuardianClusterAccessProps) {
    this.scope = scope;
    // No `path`: its ARN is GUARDIAN_WRITERS, which the classifier matches against the writer's canonical ARN
    // (arn:…:iam::ACCOUNT:role/NAME, path stripped), so a path would make the guardian's restores unrecognised.
    this.clusterAccessRole = new iam.Role(scope, "ClusterAccessRole", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description:
        "aws-auth-guardian cluster access (restore/capture/verify); named in each cluster's access entry",
    });
    const clusterAccessLogGroup = new logs.LogGroup(scope, "ClusterAccessLogGroup", {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
    });
    const network = props.network;
    const securityGroups = network
      ? (network.securityGroups ?? [outboundHttpsOnly(scope, network.vpc)])
      : undefined;
    this.clusterAccessFunction = guardianFunction(scope, "ClusterAccessFunction", {
      entry: entry("lambda/restore/handler.ts"),
      description: "aws-auth-guardian: restore, capture and verify aws-auth inside the clusters",
      role: this.clusterAccessRole,
      logGroup: clusterAccessLogGroup,
      timeout: Duration.minutes(2),
      memorySize: 512,
      onFailure: props.onFailure,
      environment: {
        SNAPSHOT_BUCKET: props.storage.snapshotBucket.bucketName,
        ALERT_TOPIC_ARN: props.alerting.alertTopic.topicArn,
        GUARDIAN_WRITERS: this.clusterAccessRole.roleArn,
        TRUSTED_WRITERS: props.trustedWriters ?? "",
        INTEGRITY_KEY_ID: props.storage.integrityKey.keyArn,
        ...(props.restoreOperators?.length ? { RESTORE_OPERATORS: props.restoreOperators.join(",") } : {}),
        ...props.policyEnvironment,
      },
      ...(network
        ? { vpc: network.vpc, vpcSubnets: network.subnets, securityGroups: securityGroups ?? [] }
        : {}),
    });
    grantDescribeClusters(
      this.clusterAccessRole,
      props.clusterArns,
      "Discovery mode guards every cluster of the region, including clusters created after deployment; " +
        "eks:DescribeCluster (endpoint and CA) on clusters of this account and region only.",
    );
    props.storage.grantSnapshots(this.clusterAccessRole);
    props.alerting.grantPublish(this.clusterAccessRole);
    if (network) {
      // What the managed AWSLambdaVPCAccessExecutionRole grants, stated here because the role is our own.
      this.clusterAccessRole.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: [
            "ec2:CreateNetworkInterface",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeSubnets",
            "ec2:DeleteNetworkInterface",
            "ec2:AssignPrivateIpAddresses",
            "ec2:UnassignPrivateIpAddresses",
          ],
          resources: ["*"],
        }),
      );
      acknowledgeWildcardResources(
        this.clusterAccessRole,
        ["*"],
        "Lambda's VPC networking (the actions of the managed AWSLambdaVPCAccessExecutionRole): EC2 does not " +
          "support resource-level permissions for these network-interface calls.",
      );
    }
  }

  /**
   * An access entry (type STANDARD) for the cluster-access role with `AmazonEKSEditPolicy` scoped to
   * `kube-system`, so that restore works while aws-auth is broken; `scope` is the cluster's own construct.
   */
  addAccessEntry(scope: Construct, clusterName: string): eks.CfnAccessEntry {
    const accessEntry = new eks.CfnAccessEntry(scope, "AccessEntry", {
      clusterName,
      principalArn: this.clusterAccessRole.roleArn,
      type: "STANDARD",
      accessPolicies: [
        {
          policyArn: GuardianClusterAccess.accessPolicyArn,
          accessScope: { type: "namespace", namespaces: [ACCESS_NAMESPACE] },
        },
      ],
    });
    this.accessEntries.push(accessEntry);
    return accessEntry;
  }

  /** Scheduled `verify` of each listed cluster: one target per cluster, five clusters per rule (the limit). */
  addVerifySchedules(clusterNames: readonly string[], schedule: events.Schedule): void {
    for (let i = 0; i < clusterNames.length; i += 5) {
      this.verifySchedules.push(
        new events.Rule(this.scope, `VerifySchedule${i / 5 + 1}`, {
          description: "aws-auth-guardian: verify aws-auth against the last good snapshot",
          schedule,
          targets: clusterNames.slice(i, i + 5).map(
            (cluster) =>
              new targets.LambdaFunction(this.clusterAccessFunction, {
                event: events.RuleTargetInput.fromObject({ action: "verify", cluster }),
                retryAttempts: 2,
              }),
          ),
        }),
      );
    }
  }

  /** Invoke the unqualified function only (not `:*`): enough for the async invokes the guardian makes. */
  grantInvoke(role: iam.Role): void {
    role.addToPrincipalPolicy(
      allow("InvokeClusterAccess", ["lambda:InvokeFunction"], [this.clusterAccessFunction.functionArn]),
    );
  }
}

function outboundHttpsOnly(scope: Construct, vpc: ec2.IVpc): ec2.ISecurityGroup {
  const sg = new ec2.SecurityGroup(scope, "ClusterAccessSecurityGroup", {
    vpc,
    description: "aws-auth-guardian cluster access: outbound HTTPS to cluster endpoints and AWS APIs only",
    allowAllOutbound: false,
  });
  sg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), "HTTPS to the cluster endpoints and AWS APIs");
  return sg;
}
