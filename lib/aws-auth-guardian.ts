/**
 * `AwsAuthGuardian`: everything that watches, snapshots and restores the `kube-system/aws-auth` ConfigMap of
 * a set of EKS clusters (or of every cluster in the region), with secure defaults and alarms on itself.
 *
 * Runtime code lives in `lambda/`; this file only wires it. The subscription filter pattern is imported from
 * `lambda/core/subscription-filter.ts`, the single definition shared with the discovery function.
 */
import { fileURLToPath } from "node:url";
import { Aws, CustomResource, Duration, Names, RemovalPolicy, Token, Validations } from "aws-cdk-lib";
import * as chatbot from "aws-cdk-lib/aws-chatbot";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as cloudwatchActions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as eks from "aws-cdk-lib/aws-eks";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import * as logsDestinations from "aws-cdk-lib/aws-logs-destinations";
import * as s3 from "aws-cdk-lib/aws-s3";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import * as sqs from "aws-cdk-lib/aws-sqs";
import * as cr from "aws-cdk-lib/custom-resources";
import { Construct } from "constructs";
import { SEVERITIES, type Severity, WRITE_CLASSES, type WriteClass } from "../lambda/core/policy.js";
import { AUDIT_LOG_GROUP, AWS_AUTH_WRITE_FILTER_PATTERN } from "../lambda/core/subscription-filter.js";
import {
  ACCESS_NAMESPACE,
  ACCESS_POLICY_NAME,
  type AccessEntryMode,
  DISCOVERY_ENV,
  SUBSCRIPTION_FILTER_NAME,
} from "../lambda/discovery/config.js";
import { isSeverity, isWriteClass } from "./config.js";
import { acknowledgeWildcardResources } from "./nag.js";

export type { Severity, WriteClass };

/** The CloudWatch namespace and metric the cluster-access function emits (EMF) after each `verify`. */
export const GUARDIAN_METRICS_NAMESPACE = "AwsAuthGuardian";
/** 1 when the live aws-auth differs from the last good snapshot, 0 when it matches; dimension `cluster`. */
export const VERIFY_DRIFT_METRIC = "VerifyDrift";
const SERVICE_NAME = "aws-auth-guardian";

const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));
const entry = (relative: string): string => fileURLToPath(new URL(`../${relative}`, import.meta.url));

/** Which clusters the guardian watches. */
export abstract class GuardedClusters {
  /** These clusters, by name; the stack declares their subscription filters and access entries. */
  static named(...names: string[]): GuardedClusters {
    if (names.length === 0) throw new Error("GuardedClusters.named() needs at least one cluster name");
    return new NamedClusters(names);
  }

  /**
   * Every cluster in the stack's region, including clusters created later: the discovery function puts the
   * filters and access entries at deploy, daily and on CloudTrail `CreateCluster` / `UpdateClusterConfig`.
   */
  static discover(): GuardedClusters {
    return new DiscoveredClusters();
  }

  /** The names for a static list; undefined for discovery. */
  abstract readonly names: readonly string[] | undefined;
}

class NamedClusters extends GuardedClusters {
  constructor(readonly names: readonly string[]) {
    super();
  }
}

class DiscoveredClusters extends GuardedClusters {
  readonly names = undefined;
}

/** The Slack channel that receives the alerts through AWS Chatbot. */
export interface GuardianSlackChannel {
  /** The Slack workspace (team) id AWS Chatbot shows once the workspace is authorised, e.g. `T0123ABCD`. */
  readonly workspaceId: string;
  /** The channel id (from the channel's "Copy link"), e.g. `C0123ABCD`. */
  readonly channelId: string;
}

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

export interface AwsAuthGuardianProps {
  /** The clusters to guard: {@link GuardedClusters.named} or {@link GuardedClusters.discover}. */
  readonly clusters: GuardedClusters;

  /**
   * E-mail addresses subscribed to the alert topic (each confirms the subscription once).
   *
   * @default - no e-mail subscription
   */
  readonly alertEmails?: string[];

  /**
   * An AWS Chatbot Slack channel subscribed to the alert topic. Its guardrail is `ReadOnlyAccess` and its
   * role has no permissions, so nobody can act on AWS from the channel.
   *
   * @default - no Slack channel
   */
  readonly slack?: GuardianSlackChannel;

  /**
   * IAM ARN patterns (`*` allowed) whose writes to aws-auth are expected (your IaC pipeline's role).
   *
   * @default - none: every write that is neither EKS's own nor the guardian's is alerted on
   */
  readonly trustedWriters?: string[];

  /**
   * Role ARNs (`arn:aws:iam::ACCOUNT:role/NAME`, without a path: aws-auth is matched against that form) to
   * protect as node roles even when their aws-auth mapping does not look like one (`EXTRA_NODE_ROLE_ARNS` of
   * the classifier and the cluster-access function). Losing such a mapping, its node groups or its username
   * template is then a critical `node-role-lost` finding.
   *
   * @default - none: only mappings that look like node roles (a `system:node:` username or the `system:nodes` group)
   */
  readonly extraNodeRoleArns?: string[];

  /**
   * The write classes that alert (`ALERT_CLASSES` of the classifier and the cluster-access function). An empty
   * list is only accepted together with {@link alertMinSeverity}, otherwise no write would ever alert.
   *
   * @default - the classifier's default: dangerous, routine, unverified
   */
  readonly alertClasses?: WriteClass[];

  /**
   * Any finding at or above this severity alerts whatever the write's class (the classifier's
   * `ALERT_MIN_SEVERITY`).
   *
   * @default - no severity threshold: only {@link alertClasses} decide
   */
  readonly alertMinSeverity?: Severity;

  /**
   * Give the cluster-access role an EKS access entry (type STANDARD) with `AmazonEKSEditPolicy` scoped to the
   * `kube-system` namespace on every guarded cluster, so that restore works while aws-auth is broken. Needs
   * authentication mode `API_AND_CONFIG_MAP` or `API`; for a static list every listed cluster must have it,
   * or the deployment fails on that cluster's access entry.
   *
   * @default true
   */
  readonly grantAccessEntries?: boolean;

  /**
   * Runs the cluster-access function in a VPC, for clusters with private or CIDR-restricted endpoints.
   *
   * @default - not in a VPC (reaches public cluster endpoints)
   */
  readonly network?: GuardianNetwork;

  /**
   * How long superseded snapshot versions are kept (S3 noncurrent-version expiration).
   *
   * @default - every version is kept forever
   */
  readonly snapshotRetention?: Duration;

  /**
   * S3 Object Lock in GOVERNANCE mode on the snapshot bucket: no version can be deleted or overwritten in
   * place during the retention period without `s3:BypassGovernanceRetention`. The default retention is
   * {@link snapshotRetention}, or 365 days when that is not set. Can only be turned on when the bucket is
   * created.
   *
   * @default false
   */
  readonly objectLock?: boolean;

  /**
   * How often the cluster-access function compares each cluster's live aws-auth with its last good snapshot.
   *
   * @default Schedule.rate(Duration.hours(6))
   */
  readonly verifySchedule?: events.Schedule;

  /**
   * How often discovery runs besides at deploy and on CloudTrail cluster events.
   *
   * @default Schedule.rate(Duration.days(1))
   */
  readonly discoverySchedule?: events.Schedule;

  /**
   * Retention of the functions' own log groups.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Bucket for the snapshot bucket's server access logs.
   *
   * @default - a new bucket (SSE-S3, TLS-only, retained, logs expire after 365 days)
   */
  readonly accessLogsBucket?: s3.IBucket;
}

/**
 * Watches the aws-auth ConfigMap of EKS clusters through CloudWatch Logs subscription filters on their audit
 * logs, classifies every write, snapshots every version to S3, alerts through SNS (e-mail, Slack through AWS
 * Chatbot) and restores through a cluster-access function that reaches each cluster with its own access entry.
 */
export class AwsAuthGuardian extends Construct {
  /** The subscription filter's name on every guarded log group. */
  static readonly FILTER_NAME = SUBSCRIPTION_FILTER_NAME;

  /** Encrypts the snapshots, the alert topic and the failure queue. Rotated yearly; retained on deletion. */
  readonly encryptionKey: kms.Key;
  /** Every version of every cluster's aws-auth (versioned, KMS, TLS-only, retained). */
  readonly snapshotBucket: s3.Bucket;
  /** Receives the snapshot bucket's server access logs. */
  readonly accessLogsBucket: s3.IBucket;
  /** Alerts from the classifier, the cluster-access and discovery functions, and the alarms. */
  readonly alertTopic: sns.Topic;
  /** The Slack channel configuration, when Slack is configured. */
  readonly slackChannel?: chatbot.SlackChannelConfiguration;
  /** Classifies each aws-auth write delivered by the subscription filters. */
  readonly classifierFunction: nodejs.NodejsFunction;
  /** Restores, captures and verifies aws-auth inside the clusters. */
  readonly clusterAccessFunction: nodejs.NodejsFunction;
  /** The identity the cluster-access function reaches clusters with (named in the access entries). */
  readonly clusterAccessRole: iam.Role;
  /** Puts filters and access entries on clusters, takes baselines, alerts on unguarded clusters. */
  readonly discoveryFunction: nodejs.NodejsFunction;
  /** On-failure destination of every asynchronous invocation of the guardian's functions (KMS-encrypted). */
  readonly failureQueue: sqs.Queue;
  /** CloudTrail cluster events waiting for discovery (retried until the cluster is ready). */
  readonly clusterEventQueue: sqs.Queue;
  /** The stack-declared subscription filters (static cluster list only). */
  readonly subscriptionFilters: logs.SubscriptionFilter[] = [];
  /** The stack-declared access entries (static cluster list with access entries only). */
  readonly accessEntries: eks.CfnAccessEntry[] = [];
  /** Alarms on the guardian itself, all notifying {@link alertTopic}. */
  readonly alarms: cloudwatch.Alarm[] = [];
  /** The guarded cluster names, or undefined in discovery mode. */
  readonly clusterNames: readonly string[] | undefined;

  constructor(scope: Construct, id: string, props: AwsAuthGuardianProps) {
    super(scope, id);
    // The access-logs bucket grants the log delivery service through its bucket policy (no ACLs, as
    // cdk-nag and S3's defaults want); CDK does that only under this flag, so the construct sets it for
    // itself and also works inside an app whose cdk.json does not carry it.
    this.node.setContext("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", true);
    checkAlertingProps(props);
    const names = props.clusters.names;
    this.clusterNames = names;
    const grantAccessEntries = props.grantAccessEntries ?? true;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const accessPolicyArn = `arn:${Aws.PARTITION}:eks::aws:cluster-access-policy/${ACCESS_POLICY_NAME}`;

    // --- Encryption key -------------------------------------------------------------------------------------
    this.encryptionKey = new kms.Key(this, "Key", {
      description: "aws-auth-guardian: snapshots, alert topic, failure queue",
      enableKeyRotation: true,
      // Deleting the key would make every retained snapshot unreadable.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudWatch alarms publish to the encrypted topic through SNS, which needs the key on their behalf.
    this.encryptionKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "AllowCloudWatchAlarmsToUseTheAlertTopic",
        principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["kms:Decrypt", "kms:GenerateDataKey"],
        resources: ["*"],
      }),
    );

    // --- Snapshot bucket --------------------------------------------------------------------------------------
    const accessLogsBucket =
      props.accessLogsBucket ??
      new s3.Bucket(this, "AccessLogsBucket", {
        // Server access logs can only be delivered to SSE-S3 buckets.
        encryption: s3.BucketEncryption.S3_MANAGED,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        enforceSSL: true,
        minimumTLSVersion: 1.2,
        versioned: true,
        removalPolicy: RemovalPolicy.RETAIN,
        lifecycleRules: [{ expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
      });
    this.accessLogsBucket = accessLogsBucket;
    if (!props.accessLogsBucket) {
      Validations.of(accessLogsBucket).acknowledge({
        id: "AwsSolutions-S1",
        reason:
          "This bucket is the server-access-log target of the snapshot bucket; logging it as well would need " +
          "yet another bucket, and its writer is the S3 log delivery service only (bucket policy).",
      });
    }

    const objectLock = props.objectLock ?? false;
    const retention = props.snapshotRetention;
    this.snapshotBucket = new s3.Bucket(this, "SnapshotBucket", {
      versioned: true,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.encryptionKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      removalPolicy: RemovalPolicy.RETAIN,
      serverAccessLogsBucket: accessLogsBucket,
      serverAccessLogsPrefix: "snapshot-bucket/",
      objectLockEnabled: objectLock ? true : undefined,
      objectLockDefaultRetention: objectLock
        ? s3.ObjectLockRetention.governance(retention ?? Duration.days(365))
        : undefined,
      lifecycleRules: [
        {
          id: "abort-incomplete-uploads",
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
        ...(retention ? [{ id: "expire-superseded-snapshots", noncurrentVersionExpiration: retention }] : []),
      ],
    });

    // --- Alert topic ------------------------------------------------------------------------------------------
    this.alertTopic = new sns.Topic(this, "AlertTopic", {
      displayName: "aws-auth-guardian",
      masterKey: this.encryptionKey,
      enforceSSL: true,
    });
    // The topic policy replaces SNS's default one, so CloudWatch alarms of this account need it said explicitly.
    this.alertTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "AllowThisAccountsAlarms",
        principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["sns:Publish"],
        resources: [this.alertTopic.topicArn],
        conditions: {
          ArnLike: {
            "aws:SourceArn": `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*`,
          },
          StringEquals: { "aws:SourceAccount": Aws.ACCOUNT_ID },
        },
      }),
    );
    for (const address of props.alertEmails ?? []) {
      this.alertTopic.addSubscription(new subscriptions.EmailSubscription(address));
    }
    if (props.slack) {
      this.slackChannel = new chatbot.SlackChannelConfiguration(this, "SlackChannel", {
        slackChannelConfigurationName: Names.uniqueResourceName(this, { maxLength: 120, separator: "-" }),
        slackWorkspaceId: props.slack.workspaceId,
        slackChannelId: props.slack.channelId,
        notificationTopics: [this.alertTopic],
        // Without a guardrail AWS Chatbot applies AdministratorAccess. Read-only caps whatever the channel role
        // is ever given; the role itself gets no permissions (notifications only).
        guardrailPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName("ReadOnlyAccess")],
        userRoleRequired: false,
      });
    }

    // --- Failure queue ----------------------------------------------------------------------------------------
    this.failureQueue = new sqs.Queue(this, "FailureQueue", {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.failureQueue).acknowledge({
      id: "AwsSolutions-SQS3",
      reason:
        "This queue is itself the dead-letter (on-failure) destination of the guardian's asynchronous " +
        "invocations; its depth raises an alarm and a message stays 14 days for replay.",
    });
    const onFailure = new QueueOnFailure(this.failureQueue);

    // --- Cluster-access role and function ---------------------------------------------------------------------
    // No `path`: its ARN is GUARDIAN_WRITERS, which the classifier matches against the writer's canonical ARN
    // (arn:…:iam::ACCOUNT:role/NAME, path stripped), so a path would make the guardian's restores unrecognised.
    this.clusterAccessRole = new iam.Role(this, "ClusterAccessRole", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description:
        "aws-auth-guardian cluster access (restore/capture/verify); named in each cluster's access entry",
    });
    const clusterArns = names
      ? names.map((name) => `arn:${Aws.PARTITION}:eks:${Aws.REGION}:${Aws.ACCOUNT_ID}:cluster/${name}`)
      : [`arn:${Aws.PARTITION}:eks:${Aws.REGION}:${Aws.ACCOUNT_ID}:cluster/*`];
    const guardianWriters = this.clusterAccessRole.roleArn;
    const trustedWriters = (props.trustedWriters ?? []).join(",");
    // What the classifier and the cluster-access function both read to build their policy.
    const policyEnvironment: Record<string, string> = {
      ...(props.alertClasses ? { ALERT_CLASSES: props.alertClasses.join(",") } : {}),
      ...(props.extraNodeRoleArns?.length ? { EXTRA_NODE_ROLE_ARNS: props.extraNodeRoleArns.join(",") } : {}),
    };

    const clusterAccessLogGroup = new logs.LogGroup(this, "ClusterAccessLogGroup", {
      retention: logRetention,
    });
    const securityGroups = props.network
      ? (props.network.securityGroups ?? [this.outboundHttpsOnly(props.network.vpc)])
      : undefined;
    this.clusterAccessFunction = this.guardianFunction("ClusterAccessFunction", {
      entry: entry("lambda/restore/handler.ts"),
      description: "aws-auth-guardian: restore, capture and verify aws-auth inside the clusters",
      role: this.clusterAccessRole,
      logGroup: clusterAccessLogGroup,
      timeout: Duration.minutes(2),
      memorySize: 512,
      onFailure,
      environment: {
        SNAPSHOT_BUCKET: this.snapshotBucket.bucketName,
        ALERT_TOPIC_ARN: this.alertTopic.topicArn,
        GUARDIAN_WRITERS: guardianWriters,
        TRUSTED_WRITERS: trustedWriters,
        ...policyEnvironment,
      },
      ...(props.network
        ? { vpc: props.network.vpc, vpcSubnets: props.network.subnets, securityGroups: securityGroups ?? [] }
        : {}),
    });
    this.grantDescribeClusters(
      this.clusterAccessRole,
      clusterArns,
      "Discovery mode guards every cluster of the region, including clusters created after deployment; " +
        "eks:DescribeCluster (endpoint and CA) on clusters of this account and region only.",
    );
    this.grantSnapshots(this.clusterAccessRole);
    this.grantAlerts(this.clusterAccessRole);
    if (props.network) {
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

    // --- Classifier -------------------------------------------------------------------------------------------
    const classifierRole = new iam.Role(this, "ClassifierRole", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: "aws-auth-guardian classifier",
    });
    const classifierLogGroup = new logs.LogGroup(this, "ClassifierLogGroup", { retention: logRetention });
    this.classifierFunction = this.guardianFunction("ClassifierFunction", {
      entry: entry("lambda/classifier/handler.ts"),
      description: "aws-auth-guardian: classify, snapshot and alert on each aws-auth write",
      role: classifierRole,
      logGroup: classifierLogGroup,
      timeout: Duration.minutes(1),
      memorySize: 512,
      onFailure,
      environment: {
        SNAPSHOT_BUCKET: this.snapshotBucket.bucketName,
        ALERT_TOPIC_ARN: this.alertTopic.topicArn,
        CAPTURE_FUNCTION_NAME: this.clusterAccessFunction.functionName,
        TRUSTED_WRITERS: trustedWriters,
        GUARDIAN_WRITERS: guardianWriters,
        ...policyEnvironment,
        ...(props.alertMinSeverity ? { ALERT_MIN_SEVERITY: props.alertMinSeverity } : {}),
      },
    });
    this.grantSnapshots(classifierRole);
    this.grantAlerts(classifierRole);
    this.grantInvoke(classifierRole, this.clusterAccessFunction);

    // --- Subscription filters (static list) -------------------------------------------------------------------
    const discoverMode = names === undefined;
    let logsPermission: lambda.CfnPermission | undefined;
    if (names) {
      for (const name of names) {
        const scopeForCluster = new Construct(this, `Cluster-${name}`);
        const logGroup = logs.LogGroup.fromLogGroupName(
          scopeForCluster,
          "AuditLogGroup",
          AUDIT_LOG_GROUP(name),
        );
        // LambdaDestination adds the logs.amazonaws.com invoke permission (source ARN: this log group) and
        // makes the filter depend on it, otherwise the filter can be created before the permission.
        this.subscriptionFilters.push(
          new logs.SubscriptionFilter(scopeForCluster, "SubscriptionFilter", {
            logGroup,
            filterName: SUBSCRIPTION_FILTER_NAME,
            filterPattern: logs.FilterPattern.literal(AWS_AUTH_WRITE_FILTER_PATTERN),
            destination: new logsDestinations.LambdaDestination(this.classifierFunction),
          }),
        );
        if (grantAccessEntries) {
          this.accessEntries.push(
            new eks.CfnAccessEntry(scopeForCluster, "AccessEntry", {
              clusterName: name,
              principalArn: this.clusterAccessRole.roleArn,
              type: "STANDARD",
              accessPolicies: [
                {
                  policyArn: accessPolicyArn,
                  accessScope: { type: "namespace", namespaces: [ACCESS_NAMESPACE] },
                },
              ],
            }),
          );
        }
      }
    } else {
      // Discovery puts filters on log groups unknown at deploy time: one permission for all EKS audit groups.
      logsPermission = new lambda.CfnPermission(this, "ClassifierInvokeFromEksLogGroups", {
        action: "lambda:InvokeFunction",
        functionName: this.classifierFunction.functionArn,
        principal: "logs.amazonaws.com",
        sourceAccount: Aws.ACCOUNT_ID,
        sourceArn: `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:/aws/eks/*/cluster:*`,
      });
    }

    // --- Discovery --------------------------------------------------------------------------------------------
    const accessEntryMode: AccessEntryMode = !grantAccessEntries ? "off" : discoverMode ? "create" : "check";
    const discoveryRole = new iam.Role(this, "DiscoveryRole", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: "aws-auth-guardian discovery",
    });
    const discoveryLogGroup = new logs.LogGroup(this, "DiscoveryLogGroup", { retention: logRetention });
    this.discoveryFunction = this.guardianFunction("DiscoveryFunction", {
      entry: entry("lambda/discovery/handler.ts"),
      description:
        "aws-auth-guardian: guard every cluster (filters, access entries, baselines) and report gaps",
      role: discoveryRole,
      logGroup: discoveryLogGroup,
      timeout: Duration.minutes(5),
      memorySize: 256,
      onFailure,
      environment: {
        [DISCOVERY_ENV.clusters]: names ? names.join(",") : "*",
        [DISCOVERY_ENV.classifierArn]: this.classifierFunction.functionArn,
        [DISCOVERY_ENV.filterName]: SUBSCRIPTION_FILTER_NAME,
        [DISCOVERY_ENV.accessEntries]: accessEntryMode,
        [DISCOVERY_ENV.clusterAccessRoleArn]: this.clusterAccessRole.roleArn,
        [DISCOVERY_ENV.accessPolicyArn]: accessPolicyArn,
        [DISCOVERY_ENV.clusterAccessFunctionName]: this.clusterAccessFunction.functionName,
        [DISCOVERY_ENV.topicArn]: this.alertTopic.topicArn,
        [DISCOVERY_ENV.maxEventAttempts]: "6",
      },
    });
    this.grantDiscovery(discoveryRole, { names, accessEntryMode, accessPolicyArn, clusterArns });
    this.grantAlerts(discoveryRole);
    this.grantInvoke(discoveryRole, this.clusterAccessFunction);

    // At deploy: custom_resources.Provider (not AwsCustomResource) because discovery is our own function; the
    // framework turns its return value or exception into the CloudFormation response, so a blind guardian
    // (e.g. AccessDenied on ListClusters) fails the deployment instead of being silently "created".
    const providerRole = new iam.Role(this, "DiscoveryProviderRole", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: "aws-auth-guardian: CloudFormation custom resource framework for discovery",
    });
    const providerLogGroup = new logs.LogGroup(this, "DiscoveryProviderLogGroup", {
      retention: logRetention,
    });
    providerLogGroup.grantWrite(providerRole);
    const provider = new cr.Provider(this, "DiscoveryProvider", {
      onEventHandler: this.discoveryFunction,
      frameworkOnEventRole: providerRole,
      logGroup: providerLogGroup,
    });
    const discoveryRun = new CustomResource(this, "Discovery", {
      serviceToken: provider.serviceToken,
      resourceType: "Custom::AwsAuthGuardianDiscovery",
      properties: {
        // Re-run discovery whenever what it puts on clusters changes.
        FilterPattern: AWS_AUTH_WRITE_FILTER_PATTERN,
        FilterName: SUBSCRIPTION_FILTER_NAME,
        Destination: this.classifierFunction.functionArn,
        Clusters: names ? names.join(",") : "*",
        AccessEntries: accessEntryMode,
      },
    });
    // Baselines need the filters, the access entries and the invoke permission in place first.
    for (const filter of this.subscriptionFilters) discoveryRun.node.addDependency(filter);
    for (const accessEntry of this.accessEntries) discoveryRun.node.addDependency(accessEntry);
    if (logsPermission) discoveryRun.node.addDependency(logsPermission);

    new events.Rule(this, "DiscoverySchedule", {
      description: "aws-auth-guardian: daily discovery",
      schedule: props.discoverySchedule ?? events.Schedule.rate(Duration.days(1)),
      targets: [
        new targets.LambdaFunction(this.discoveryFunction, {
          event: events.RuleTargetInput.fromObject({ action: "discover" }),
          retryAttempts: 2,
        }),
      ],
    });

    // CloudTrail cluster events go through a queue: a new cluster is not ready (no audit log group) for
    // several minutes, so discovery asks for a redelivery after the visibility timeout until it is.
    const clusterEventDlq = new sqs.Queue(this, "ClusterEventDeadLetterQueue", {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.clusterEventQueue = new sqs.Queue(this, "ClusterEventQueue", {
      // SSE-SQS rather than the key: EventBridge would need the key, and a key policy naming the rule would
      // make a dependency cycle (key → rule → queue → key). The events carry cluster names and caller ARNs.
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.minutes(10),
      retentionPeriod: Duration.days(1),
      deadLetterQueue: { queue: clusterEventDlq, maxReceiveCount: 8 },
    });
    Validations.of(clusterEventDlq).acknowledge({
      id: "AwsSolutions-SQS3",
      reason: "This queue is the dead-letter queue of the cluster event queue; its depth raises an alarm.",
    });
    new events.Rule(this, "ClusterEventRule", {
      description: "aws-auth-guardian: discover clusters as they are created or reconfigured",
      eventPattern: {
        source: ["aws.eks"],
        detailType: ["AWS API Call via CloudTrail"],
        detail: {
          eventSource: ["eks.amazonaws.com"],
          eventName: ["CreateCluster", "UpdateClusterConfig"],
        },
      },
      targets: [new targets.SqsQueue(this.clusterEventQueue)],
    });
    this.discoveryFunction.addEventSource(
      new SqsEventSource(this.clusterEventQueue, { batchSize: 5, reportBatchItemFailures: true }),
    );

    // --- Verify schedule --------------------------------------------------------------------------------------
    const verifySchedule = props.verifySchedule ?? events.Schedule.rate(Duration.hours(6));
    if (names) {
      // A rule holds at most 5 targets: one target per cluster, five clusters per rule.
      for (let i = 0; i < names.length; i += 5) {
        new events.Rule(this, `VerifySchedule${i / 5 + 1}`, {
          description: "aws-auth-guardian: verify aws-auth against the last good snapshot",
          schedule: verifySchedule,
          targets: names.slice(i, i + 5).map(
            (cluster) =>
              new targets.LambdaFunction(this.clusterAccessFunction, {
                event: events.RuleTargetInput.fromObject({ action: "verify", cluster }),
                retryAttempts: 2,
              }),
          ),
        });
      }
    } else {
      // Discovered clusters are unknown at deploy time: discovery fans out one `verify` per guarded cluster.
      new events.Rule(this, "VerifySchedule", {
        description: "aws-auth-guardian: verify every guarded cluster (fanned out by discovery)",
        schedule: verifySchedule,
        targets: [
          new targets.LambdaFunction(this.discoveryFunction, {
            event: events.RuleTargetInput.fromObject({ action: "verify" }),
            retryAttempts: 2,
          }),
        ],
      });
    }

    // --- Alarms: the guardian watches itself ------------------------------------------------------------------
    const alarmAction = new cloudwatchActions.SnsAction(this.alertTopic);
    // Every alarm fires on one breaching period at 1 or more (an error, a message, a drift) and stays quiet
    // without data (no invocation, an empty queue).
    const alarm = (
      id: string,
      props: Pick<cloudwatch.AlarmProps, "alarmDescription" | "metric">,
    ): cloudwatch.Alarm => {
      const created = new cloudwatch.Alarm(this, id, {
        ...props,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(alarmAction);
      this.alarms.push(created);
      return created;
    };
    const fiveMinutes = Duration.minutes(5);
    alarm("ClassifierErrorsAlarm", {
      alarmDescription:
        "The aws-auth classifier failed. Writes to aws-auth may be unclassified and unsnapshotted: read its log, " +
        "then replay the failure queue.",
      metric: this.classifierFunction.metricErrors({ period: fiveMinutes, statistic: "Sum" }),
    });
    alarm("ClusterAccessErrorsAlarm", {
      alarmDescription:
        "The cluster-access function (restore/capture/verify) failed. A restore or drift check may not have happened.",
      metric: this.clusterAccessFunction.metricErrors({ period: fiveMinutes, statistic: "Sum" }),
    });
    alarm("DiscoveryErrorsAlarm", {
      alarmDescription: "Discovery failed: new clusters may be unguarded. Read the discovery function's log.",
      metric: this.discoveryFunction.metricErrors({ period: fiveMinutes, statistic: "Sum" }),
    });
    alarm("FailureQueueDepthAlarm", {
      alarmDescription:
        "An asynchronous invocation of a guardian function failed after its retries; the event waits in the " +
        "failure queue (14 days).",
      metric: this.failureQueue.metricApproximateNumberOfMessagesVisible({
        period: fiveMinutes,
        statistic: "Maximum",
      }),
    });
    alarm("ClusterEventDeadLetterAlarm", {
      alarmDescription:
        "A CloudTrail cluster event could not be processed by discovery; the cluster may be unguarded.",
      metric: clusterEventDlq.metricApproximateNumberOfMessagesVisible({
        period: fiveMinutes,
        statistic: "Maximum",
      }),
    });
    // Metrics Insights queries: one alarm covers every guarded log group and cluster, including discovered ones.
    // When delivery fails, CloudWatch Logs disables the filter for up to 10 minutes and skips those logs.
    alarm("DeliveryErrorsAlarm", {
      alarmDescription:
        "CloudWatch Logs could not deliver audit events to the classifier (events in that window are lost). " +
        "Check the classifier's invoke permission and that the function exists, then run verify.",
      metric: new cloudwatch.MathExpression({
        expression: `SELECT SUM(DeliveryErrors) FROM "AWS/Logs" WHERE FilterName = '${SUBSCRIPTION_FILTER_NAME}'`,
        period: fiveMinutes,
        label: "DeliveryErrors",
        usingMetrics: {},
      }),
    });
    alarm("VerifyDriftAlarm", {
      alarmDescription:
        "A scheduled verify found a cluster's live aws-auth different from its last good snapshot, a change the " +
        "subscription did not deliver. The cluster-access function's alert names the cluster and the restore command.",
      metric: new cloudwatch.MathExpression({
        expression: `SELECT MAX(${VERIFY_DRIFT_METRIC}) FROM "${GUARDIAN_METRICS_NAMESPACE}"`,
        period: Duration.hours(1),
        label: VERIFY_DRIFT_METRIC,
        usingMetrics: {},
      }),
    });

    // --- cdk-nag acknowledgements for what CDK generates ------------------------------------------------------
    for (const fn of [this.classifierFunction, this.clusterAccessFunction, this.discoveryFunction]) {
      Validations.of(fn).acknowledge({
        id: "AwsSolutions-L1",
        reason:
          "nodejs22.x (supported, not deprecated) is the project's declared Lambda runtime and the handlers are " +
          "bundled for it (esbuild target node22); moving to nodejs24.x is a deliberate upgrade, not drift.",
      });
    }
    acknowledgeWildcardResources(
      providerRole,
      [`${this.discoveryFunction.functionArn}:*`],
      "CDK's custom resource framework grants its onEvent function lambda:InvokeFunction on the discovery " +
        "function and its versions (`<arn>:*`); no other function.",
    );
  }

  /** A Node.js function built the guardian's way: ESM, arm64, minified with source maps, SDK bundled. */
  private guardianFunction(id: string, props: GuardianFunctionProps): nodejs.NodejsFunction {
    const { onFailure, environment, ...rest } = props;
    const fn = new nodejs.NodejsFunction(this, id, {
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
    return fn;
  }

  private outboundHttpsOnly(vpc: ec2.IVpc): ec2.ISecurityGroup {
    const sg = new ec2.SecurityGroup(this, "ClusterAccessSecurityGroup", {
      vpc,
      description: "aws-auth-guardian cluster access: outbound HTTPS to cluster endpoints and AWS APIs only",
      allowAllOutbound: false,
    });
    sg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), "HTTPS to the cluster endpoints and AWS APIs");
    return sg;
  }

  /** Read and write snapshot objects (conditional writes), list the bucket, use the key for them. */
  private grantSnapshots(role: iam.Role): void {
    const snapshotObjects = this.snapshotBucket.arnForObjects("clusters/*");
    role.addToPrincipalPolicy(allow("ListSnapshots", ["s3:ListBucket"], [this.snapshotBucket.bucketArn]));
    role.addToPrincipalPolicy(
      allow("ReadWriteSnapshots", ["s3:GetObject", "s3:PutObject"], [snapshotObjects]),
    );
    role.addToPrincipalPolicy(useKey(this.encryptionKey));
    acknowledgeWildcardResources(
      role,
      [snapshotObjects],
      "Snapshot object keys are created per cluster and version at run time (clusters/<cluster>/…); the " +
        "permission is limited to that prefix of the guardian's own bucket.",
    );
  }

  /** Publish to the alert topic, with the key (the same statement as grantSnapshots', kept once). */
  private grantAlerts(role: iam.Role): void {
    role.addToPrincipalPolicy(allow("PublishAlerts", ["sns:Publish"], [this.alertTopic.topicArn]));
    role.addToPrincipalPolicy(useKey(this.encryptionKey));
  }

  /** Invoke the unqualified function only (not `:*`): enough for the async invokes the guardian makes. */
  private grantInvoke(role: iam.Role, fn: lambda.IFunction): void {
    role.addToPrincipalPolicy(allow("InvokeClusterAccess", ["lambda:InvokeFunction"], [fn.functionArn]));
  }

  /** eks:DescribeCluster (endpoint and CA) on the guarded clusters; `reason` acknowledges discovery's wildcard. */
  private grantDescribeClusters(role: iam.Role, clusterArns: string[], reason: string): void {
    role.addToPrincipalPolicy(allow("DescribeClusters", ["eks:DescribeCluster"], clusterArns));
    acknowledgeWildcardResources(role, clusterArns, reason);
  }

  private grantDiscovery(
    role: iam.Role,
    options: {
      names: readonly string[] | undefined;
      accessEntryMode: AccessEntryMode;
      accessPolicyArn: string;
      clusterArns: string[];
    },
  ): void {
    const logGroupArn = (name: string) =>
      `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:${name}`;
    const groups = options.names ? options.names.map(AUDIT_LOG_GROUP) : ["/aws/eks/*/cluster"];
    const groupArns = groups.flatMap((group) => [logGroupArn(group), `${logGroupArn(group)}:*`]);
    role.addToPrincipalPolicy(
      allow(
        "ManageOwnSubscriptionFilter",
        ["logs:DescribeSubscriptionFilters", "logs:PutSubscriptionFilter", "logs:DeleteSubscriptionFilter"],
        groupArns,
      ),
    );
    acknowledgeWildcardResources(
      role,
      groupArns,
      options.names
        ? "The EKS audit log groups of the listed clusters only; the trailing `:*` is the form CloudWatch Logs " +
            "authorizes some log-group actions against (it is what CDK's own log group grants use)."
        : "Discovery mode: the control-plane log group of every EKS cluster of this account and region " +
            "(/aws/eks/<cluster>/cluster), including clusters created later; nothing else.",
    );
    this.grantDescribeClusters(
      role,
      options.clusterArns,
      "Discovery mode: eks:DescribeCluster on the clusters of this account and region, including ones created later.",
    );
    if (!options.names) {
      role.addToPrincipalPolicy(allow("ListClusters", ["eks:ListClusters"], ["*"]));
      acknowledgeWildcardResources(
        role,
        ["*"],
        "eks:ListClusters supports no resource-level permission; discovery needs the region's cluster names.",
      );
    }
    const roleName = this.clusterAccessRole.roleName;
    const ownAccessEntries = options.clusterArns.map(
      (arn) =>
        // arn:…:cluster/<name> → arn:…:access-entry/<name>/role/<account>/<role name>/<uuid>
        `${arn.replace(":cluster/", ":access-entry/")}/role/${Aws.ACCOUNT_ID}/${roleName}/*`,
    );
    if (options.accessEntryMode !== "off") {
      acknowledgeWildcardResources(
        role,
        ownAccessEntries,
        "Only the cluster-access role's own access entry on each guarded cluster; EKS ends an access entry's " +
          "ARN with a UUID assigned at creation, hence the trailing `/*`.",
      );
      role.addToPrincipalPolicy(
        allow(
          "ReadOwnAccessEntry",
          ["eks:DescribeAccessEntry", "eks:ListAssociatedAccessPolicies"],
          ownAccessEntries,
        ),
      );
    }
    if (options.accessEntryMode === "create") {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: "CreateOwnAccessEntry",
          actions: ["eks:CreateAccessEntry"],
          resources: options.clusterArns,
          conditions: {
            StringEquals: {
              "eks:principalArn": this.clusterAccessRole.roleArn,
              "eks:accessEntryType": "STANDARD",
            },
          },
        }),
      );
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: "AssociateKubeSystemEditOnly",
          actions: ["eks:AssociateAccessPolicy"],
          resources: ownAccessEntries,
          conditions: {
            StringEquals: { "eks:policyArn": options.accessPolicyArn, "eks:accessScope": "namespace" },
            "ForAllValues:StringEquals": { "eks:namespaces": [ACCESS_NAMESPACE] },
          },
        }),
      );
      // Stack deletion removes the entry, so that a role re-created with the same name inherits nothing.
      role.addToPrincipalPolicy(allow("DeleteOwnAccessEntry", ["eks:DeleteAccessEntry"], ownAccessEntries));
    }
  }
}

interface GuardianFunctionProps {
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

/**
 * An on-failure destination that grants exactly what Lambda needs to put the failed event on the queue
 * (sqs:SendMessage and the key for it), instead of the broader grant of `SqsDestination`.
 */
class QueueOnFailure implements lambda.IDestination {
  constructor(private readonly queue: sqs.Queue) {}

  bind(_scope: Construct, fn: lambda.IFunction): lambda.DestinationConfig {
    fn.addToRolePolicy(allow("SendFailedEvents", ["sqs:SendMessage"], [this.queue.queueArn]));
    if (this.queue.encryptionMasterKey) fn.addToRolePolicy(useKey(this.queue.encryptionMasterKey));
    return { destination: this.queue.queueArn };
  }
}

/** An Allow statement named by its sid. */
function allow(sid: string, actions: string[], resources: string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({ sid, actions, resources });
}

/**
 * Encrypt and decrypt with the guardian's key: for snapshots, alerts and failed events alike, under one sid, so
 * that a role granted several of those keeps a single statement (CDK drops identical statements).
 */
function useKey(key: kms.IKey): iam.PolicyStatement {
  return allow("UseKeyForSnapshotsAlertsAndFailures", ["kms:Decrypt", "kms:GenerateDataKey"], [key.keyArn]);
}

/**
 * Refuses alerting props the functions would reject at cold start (a classifier that cannot start loses every
 * write) or that would silence the classifier, and ARNs that cannot travel in a comma-separated variable.
 */
function checkAlertingProps(props: AwsAuthGuardianProps): void {
  const unknownClass = props.alertClasses?.find((item) => !Token.isUnresolved(item) && !isWriteClass(item));
  if (unknownClass !== undefined) {
    throw new Error(
      `AwsAuthGuardian: alertClasses contains "${unknownClass}"; expected each of ${WRITE_CLASSES.join(", ")}`,
    );
  }
  const severity = props.alertMinSeverity;
  if (severity !== undefined && !Token.isUnresolved(severity) && !isSeverity(severity)) {
    throw new Error(
      `AwsAuthGuardian: alertMinSeverity is "${severity}"; expected one of ${SEVERITIES.join(", ")}`,
    );
  }
  if (props.alertClasses?.length === 0 && severity === undefined) {
    throw new Error(
      "AwsAuthGuardian: alertClasses is empty and alertMinSeverity is not set, so no write to aws-auth would " +
        "ever alert; list the classes that alert, or set alertMinSeverity",
    );
  }
  const withComma = props.extraNodeRoleArns?.find((arn) => !Token.isUnresolved(arn) && arn.includes(","));
  if (withComma !== undefined) {
    throw new Error(
      `AwsAuthGuardian: extraNodeRoleArns entry "${withComma}" contains a comma; the functions receive the list ` +
        "comma-separated",
    );
  }
}
