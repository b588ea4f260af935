/**
 * `AwsAuthGuardian`: everything that watches, snapshots and restores the `kube-system/aws-auth` ConfigMap of
 * a set of EKS clusters (or of every cluster in the region), with secure defaults and alarms on itself.
 *
 * It wires small parts, one file each, by concern: storage (lib/storage.ts), alerting (lib/alerting.ts), the
 * cluster access (lib/cluster-access.ts), the classifier (lib/classifier.ts), discovery (lib/discovery.ts)
 * and self-monitoring (lib/self-monitoring.ts); the watch on EKS access entries (lib/access-events.ts: the
 * CloudTrail rule to the classifier, its dead-letter queue and alarms) is newer and lives under a construct of
 * its own, `AccessEvents`. Each part has its own documented props and exposes what it
 * creates. The parts create their resources directly in this construct's scope rather than under a construct
 * of their own: CDK derives every logical ID from the construct path, so an extra level (`Guardian/Storage/…`)
 * would give every resource a new logical ID, and CloudFormation replaces a resource whose logical ID changed
 * (the snapshot bucket, the key and the topic among them). The order below is the order the resources have
 * always been created in, so the synthesized template is the same to the byte.
 *
 * Runtime code lives in `lambda/`; the parts only wire it. The subscription filter pattern is imported from
 * `lambda/core/subscription-filter.ts`, the single definition shared with the discovery function.
 */
import { Aws, Duration } from "aws-cdk-lib";
import type * as chatbot from "aws-cdk-lib/aws-chatbot";
import type * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as eks from "aws-cdk-lib/aws-eks";
import * as events from "aws-cdk-lib/aws-events";
import type * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import type * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as s3 from "aws-cdk-lib/aws-s3";
import type * as sns from "aws-cdk-lib/aws-sns";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct, type IDependable } from "constructs";
import type { Severity, WriteClass } from "../lambda/core/policy.js";
import { type AccessEntryMode, SUBSCRIPTION_FILTER_NAME } from "../lambda/discovery/config.js";
import { GuardianAccessEvents } from "./access-events.js";
import { GuardianAlerting, type GuardianAlertingProps } from "./alerting.js";
import {
  checkPolicyProps,
  GuardianClassifier,
  type GuardianPolicyProps,
  policyEnvironment,
} from "./classifier.js";
import { GuardianClusterAccess, type GuardianNetwork } from "./cluster-access.js";
import { GuardianDiscovery } from "./discovery.js";
import { GuardianSelfMonitoring } from "./self-monitoring.js";
import { GuardianStorage, type GuardianStorageProps } from "./storage.js";

export type { GuardianSlackChannel } from "./alerting.js";
export type { GuardianNetwork } from "./cluster-access.js";
export { GUARDIAN_METRICS_NAMESPACE, VERIFY_DRIFT_METRIC } from "./guardian-function.js";
export type { Severity, WriteClass };

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

export interface AwsAuthGuardianProps
  extends GuardianStorageProps,
    Omit<GuardianAlertingProps, "encryptionKey">,
    GuardianPolicyProps {
  /** The clusters to guard: {@link GuardedClusters.named} or {@link GuardedClusters.discover}. */
  readonly clusters: GuardedClusters;

  /**
   * IAM ARN patterns (`*` allowed) of the callers the cluster-access function restores for, `force` included.
   * Every restore must carry the caller's proof of identity (a presigned STS GetCallerIdentity; the CLI sends
   * it), which the function checks with STS before anything else.
   *
   * @default - none: restores (without force) only for the principals mapped to system:masters in the last
   *   good aws-auth, and the cluster's creator where known; nobody may force
   */
  readonly restoreOperators?: string[];

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
}

/**
 * Watches the aws-auth ConfigMap of EKS clusters through CloudWatch Logs subscription filters on their audit
 * logs, classifies every write, snapshots every version to S3, alerts through SNS (e-mail, Slack through AWS
 * Chatbot) and restores through a cluster-access function that reaches each cluster with its own access entry.
 */
export class AwsAuthGuardian extends Construct {
  /** The subscription filter's name on every guarded log group. */
  static readonly FILTER_NAME = SUBSCRIPTION_FILTER_NAME;

  /** The key, the snapshot bucket and its access-logs bucket. */
  readonly storage: GuardianStorage;
  /** The alert topic, its subscriptions and the Slack channel. */
  readonly alerting: GuardianAlerting;
  /** The failure queue and the alarms on the guardian itself. */
  readonly selfMonitoring: GuardianSelfMonitoring;
  /** The cluster-access role and function, the access entries and the scheduled verify of a static list. */
  readonly clusterAccess: GuardianClusterAccess;
  /** The classifier and the subscription filters that feed it. */
  readonly classifier: GuardianClassifier;
  /** The discovery function, its deploy-time run, schedule and CloudTrail event queue. */
  readonly discovery: GuardianDiscovery;
  /** The access-entry rule to the classifier, its dead-letter queue, alarms and EKS permissions. */
  readonly accessEvents: GuardianAccessEvents;

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
  readonly subscriptionFilters: logs.SubscriptionFilter[];
  /** The stack-declared access entries (static cluster list with access entries only). */
  readonly accessEntries: eks.CfnAccessEntry[];
  /** Alarms on the guardian itself (the access-entry rule's included), all notifying {@link alertTopic}. */
  readonly alarms: cloudwatch.Alarm[];
  /** The guarded cluster names, or undefined in discovery mode. */
  readonly clusterNames: readonly string[] | undefined;

  constructor(scope: Construct, id: string, props: AwsAuthGuardianProps) {
    super(scope, id);
    // The access-logs bucket grants the log delivery service through its bucket policy (no ACLs, as
    // cdk-nag and S3's defaults want); CDK does that only under this flag, so the construct sets it for
    // itself and also works inside an app whose cdk.json does not carry it.
    this.node.setContext("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", true);
    checkPolicyProps(props);
    const names = props.clusters.names;
    this.clusterNames = names;
    const grantAccessEntries = props.grantAccessEntries ?? true;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const clusterArns = names
      ? names.map((name) => `arn:${Aws.PARTITION}:eks:${Aws.REGION}:${Aws.ACCOUNT_ID}:cluster/${name}`)
      : [`arn:${Aws.PARTITION}:eks:${Aws.REGION}:${Aws.ACCOUNT_ID}:cluster/*`];

    const storage = new GuardianStorage(this, props);
    const alerting = new GuardianAlerting(this, { ...props, encryptionKey: storage.encryptionKey });
    const selfMonitoring = new GuardianSelfMonitoring(this, {
      encryptionKey: storage.encryptionKey,
      alertTopic: alerting.alertTopic,
    });
    const onFailure = selfMonitoring.onFailure;
    const clusterAccess = new GuardianClusterAccess(this, {
      storage,
      alerting,
      onFailure,
      clusterArns,
      trustedWriters: (props.trustedWriters ?? []).join(","),
      ...(props.restoreOperators ? { restoreOperators: props.restoreOperators } : {}),
      policyEnvironment: policyEnvironment(props),
      logRetention,
      ...(props.network ? { network: props.network } : {}),
    });
    const classifier = new GuardianClassifier(this, {
      ...props,
      storage,
      alerting,
      clusterAccess,
      onFailure,
    });

    // A static list: each cluster's filter and access entry under one construct per cluster (`Cluster-<name>`).
    const runDiscoveryAfter: IDependable[] = [];
    if (names) {
      for (const name of names) {
        const clusterScope = new Construct(this, `Cluster-${name}`);
        runDiscoveryAfter.push(classifier.subscribe(clusterScope, name));
        if (grantAccessEntries) runDiscoveryAfter.push(clusterAccess.addAccessEntry(clusterScope, name));
      }
    } else {
      runDiscoveryAfter.push(classifier.allowEveryEksAuditLogGroup());
    }

    const accessEntryMode: AccessEntryMode = !grantAccessEntries ? "off" : names ? "check" : "create";
    const discovery = new GuardianDiscovery(this, {
      clusterNames: names,
      clusterArns,
      accessEntryMode,
      classifier,
      clusterAccess,
      alerting,
      onFailure,
      runAfter: runDiscoveryAfter,
      logRetention,
      ...(props.discoverySchedule ? { schedule: props.discoverySchedule } : {}),
    });

    const verifySchedule = props.verifySchedule ?? events.Schedule.rate(Duration.hours(6));
    if (names) clusterAccess.addVerifySchedules(names, verifySchedule);
    else discovery.addVerifyFanOut(verifySchedule);

    // The store is the guardian's alone (its roles exist only now).
    storage.restrictTo({
      writers: [classifier.classifierRole, clusterAccess.clusterAccessRole],
      verifiers: [clusterAccess.clusterAccessRole],
      keyUsers: [classifier.classifierRole, clusterAccess.clusterAccessRole, discovery.discoveryRole],
      readers: props.restoreOperators ?? [],
    });

    selfMonitoring.watch({
      classifierFunction: classifier.classifierFunction,
      clusterAccessFunction: clusterAccess.clusterAccessFunction,
      discoveryFunction: discovery.discoveryFunction,
      clusterEventDeadLetterQueue: discovery.clusterEventDeadLetterQueue,
    });

    // New resources, under a construct of their own (`Guardian/AccessEvents/…`): no existing logical ID moves.
    const accessEvents = new GuardianAccessEvents(this, "AccessEvents", {
      classifierFunction: classifier.classifierFunction,
      classifierRole: classifier.classifierRole,
      clusterAccessRole: clusterAccess.clusterAccessRole,
      discoveryRole: discovery.discoveryRole,
      clusterNames: names,
      alertTopic: alerting.alertTopic,
    });

    this.storage = storage;
    this.accessEvents = accessEvents;
    this.alerting = alerting;
    this.selfMonitoring = selfMonitoring;
    this.clusterAccess = clusterAccess;
    this.classifier = classifier;
    this.discovery = discovery;
    this.encryptionKey = storage.encryptionKey;
    this.snapshotBucket = storage.snapshotBucket;
    this.accessLogsBucket = storage.accessLogsBucket;
    this.alertTopic = alerting.alertTopic;
    if (alerting.slackChannel) this.slackChannel = alerting.slackChannel;
    this.failureQueue = selfMonitoring.failureQueue;
    this.alarms = [...selfMonitoring.alarms, ...accessEvents.alarms];
    this.clusterAccessFunction = clusterAccess.clusterAccessFunction;
    this.clusterAccessRole = clusterAccess.clusterAccessRole;
    this.accessEntries = clusterAccess.accessEntries;
    this.classifierFunction = classifier.classifierFunction;
    this.subscriptionFilters = classifier.subscriptionFilters;
    this.discoveryFunction = discovery.discoveryFunction;
    this.clusterEventQueue = discovery.clusterEventQueue;
  }
}
