/**
 * The guardian's watch on EKS access entries: an EventBridge rule that sends the CloudTrail records of the
 * access-entry calls (`aws.eks`, `AWS API Call via CloudTrail`) to the classifier, a dead-letter queue for the
 * deliveries EventBridge gives up on, alarms on both, and the EKS permissions the classifier (read the access
 * picture after a change) and the cluster-access function (restore access entries) need.
 *
 * Unlike the older parts, these resources are new and live under a construct of their own
 * (`Guardian/AccessEvents/…`): no existing logical ID moves. The permissions are separate IAM policies
 * attached to the existing roles, so the roles' own policies stay as they were.
 *
 * EventBridge only receives these records when a CloudTrail trail records management events in the region;
 * discovery and `verify` say so when none does.
 */
import { Aws, Duration, Validations } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as cloudwatchActions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as sns from "aws-cdk-lib/aws-sns";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { ACCESS_EVENT_NAMES, CLOUDTRAIL_DETAIL_TYPE } from "../lambda/core/access-event.js";
import { allow } from "./guardian-function.js";
import { acknowledgeWildcardResources } from "./nag.js";
import { alarmOnAny } from "./self-monitoring.js";

export interface GuardianAccessEventsProps {
  /** The function the records go to (it tells them from CloudWatch Logs deliveries by shape). */
  readonly classifierFunction: lambda.Function;
  /** The classifier's role: gets read-only access-entry calls on the guarded clusters. */
  readonly classifierRole: iam.IRole;
  /** The cluster-access role: gets the access-entry writes `restore --access-entries` makes. */
  readonly clusterAccessRole: iam.IRole;
  /**
   * The discovery role: gets the read-only CloudTrail and access-entry calls that tell whether a trail records
   * management events and who created each cluster (as the cluster-access role does for `verify`).
   */
  readonly discoveryRole: iam.IRole;
  /** The guarded cluster names, or undefined for every cluster of the region (discovery). */
  readonly clusterNames: readonly string[] | undefined;
  /** Where the alarms notify. */
  readonly alertTopic: sns.ITopic;
  /**
   * How often EventBridge retries a delivery the classifier failed (throttled, erred) before the dead-letter queue.
   *
   * @default 8
   */
  readonly retryAttempts?: number;
  /**
   * How long EventBridge keeps retrying one delivery.
   *
   * @default Duration.hours(6)
   */
  readonly maxEventAge?: Duration;
}

/** The access-entry rule, its dead-letter queue, the alarms on them and the EKS permissions. */
export class GuardianAccessEvents extends Construct {
  /** Sends the CloudTrail records of the six access-entry calls to the classifier. */
  readonly rule: events.Rule;
  /** Deliveries EventBridge could not make after its retries (SSE-SQS, 14 days). */
  readonly deadLetterQueue: sqs.Queue;
  /** Failed deliveries and dead letters, both notifying the alert topic. */
  readonly alarms: cloudwatch.Alarm[] = [];
  /** The classifier's read-only access-entry permissions. */
  readonly classifierReadPolicy: iam.Policy;
  /** The cluster-access role's access-entry permissions for restores. */
  readonly restorePolicy: iam.Policy;
  /** Read-only CloudTrail and access entries for the facts discovery and `verify` report and file. */
  readonly factsReadPolicy: iam.Policy;

  constructor(scope: Construct, id: string, props: GuardianAccessEventsProps) {
    super(scope, id);
    const names = props.clusterNames;

    // SSE-SQS rather than the guardian's key: EventBridge would need the key, and a key policy naming the rule
    // would make a dependency cycle (as for the cluster event queue). The records carry cluster names and ARNs.
    this.deadLetterQueue = new sqs.Queue(this, "DeadLetterQueue", {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: "AwsSolutions-SQS3",
      reason:
        "This queue is itself the dead-letter queue of the access-entry rule's target; its depth raises an alarm.",
    });

    this.rule = new events.Rule(this, "Rule", {
      description:
        "aws-auth-guardian: access-entry and authentication-mode changes (CloudTrail) to the classifier",
      eventPattern: {
        source: ["aws.eks"],
        detailType: [CLOUDTRAIL_DETAIL_TYPE],
        detail: {
          eventSource: ["eks.amazonaws.com"],
          eventName: [...ACCESS_EVENT_NAMES],
          // A static list: only its clusters (the classifier checks again); discovery: every cluster.
          ...(names ? { requestParameters: { name: [...names] } } : {}),
        },
      },
      targets: [
        new targets.LambdaFunction(props.classifierFunction, {
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: props.retryAttempts ?? 8,
          maxEventAge: props.maxEventAge ?? Duration.hours(6),
        }),
      ],
    });

    // What the classifier learns from: the records of guarded clusters only, and its own access entry.
    props.classifierFunction.addEnvironment("GUARDED_CLUSTERS", names ? names.join(",") : "*");
    props.classifierFunction.addEnvironment("GUARDIAN_ACCESS_ROLE_ARN", props.clusterAccessRole.roleArn);

    const clusterArns = names
      ? names.map((name) => `arn:${Aws.PARTITION}:eks:${Aws.REGION}:${Aws.ACCOUNT_ID}:cluster/${name}`)
      : [`arn:${Aws.PARTITION}:eks:${Aws.REGION}:${Aws.ACCOUNT_ID}:cluster/*`];
    // arn:…:access-entry/<cluster>/<principal type>/<account>/<name>/<uuid>
    const accessEntryArns = clusterArns.map((arn) => `${arn.replace(":cluster/", ":access-entry/")}/*`);
    const wildcardReason = names
      ? "The access entries of the listed clusters only: an access entry's ARN continues with the principal's " +
        "type, account, name and a UUID EKS assigns, so it cannot be written out in the template."
      : "Discovery mode guards every cluster of this account and region, including clusters created later: " +
        "the clusters and their access entries of this account and region only.";

    this.classifierReadPolicy = new iam.Policy(this, "ClassifierReadPolicy", {
      roles: [props.classifierRole],
      statements: [
        allow("ReadClusterAccessConfig", ["eks:DescribeCluster", "eks:ListAccessEntries"], clusterArns),
        allow(
          "ReadAccessEntries",
          ["eks:DescribeAccessEntry", "eks:ListAssociatedAccessPolicies"],
          accessEntryArns,
        ),
      ],
    });
    acknowledgeWildcardResources(
      this.classifierReadPolicy,
      [...clusterArns, ...accessEntryArns],
      wildcardReason,
    );

    // The restore re-creates deleted entries and associations and removes added ones, so it needs the writes
    // on any entry of a guarded cluster; it never removes its own entry (a refusal rule in the code, and a Deny
    // here), nor the authentication mode (EKS only moves it forward).
    const ownEntries = clusterArns.map(
      (arn) =>
        `${arn.replace(":cluster/", ":access-entry/")}/role/${Aws.ACCOUNT_ID}/${props.clusterAccessRole.roleName}/*`,
    );
    this.restorePolicy = new iam.Policy(this, "RestorePolicy", {
      roles: [props.clusterAccessRole],
      statements: [
        allow("ReadClusterAccessEntries", ["eks:ListAccessEntries"], clusterArns),
        allow("CreateAccessEntries", ["eks:CreateAccessEntry"], clusterArns),
        allow(
          "RestoreAccessEntries",
          [
            "eks:DescribeAccessEntry",
            "eks:ListAssociatedAccessPolicies",
            "eks:UpdateAccessEntry",
            "eks:DeleteAccessEntry",
            "eks:AssociateAccessPolicy",
            "eks:DisassociateAccessPolicy",
          ],
          accessEntryArns,
        ),
        new iam.PolicyStatement({
          sid: "NeverTouchOwnAccessEntry",
          effect: iam.Effect.DENY,
          // Re-creating it (and re-associating its policy) after someone deleted it stays allowed.
          actions: ["eks:DeleteAccessEntry", "eks:DisassociateAccessPolicy"],
          resources: ownEntries,
        }),
      ],
    });
    acknowledgeWildcardResources(this.restorePolicy, [...clusterArns, ...accessEntryArns], wildcardReason);

    // Facts (discovery and verify): does a trail record management events, who created the cluster (the
    // CreateCluster record, else the creator's bootstrapped entry), do the live entries match the record.
    // DescribeTrails and LookupEvents have no resource-level permissions; the trail reads name trails of any
    // region and account (a multi-region or organization trail shows in every region of every member account).
    const trailArns = [`arn:${Aws.PARTITION}:cloudtrail:*:*:trail/*`];
    this.factsReadPolicy = new iam.Policy(this, "FactsReadPolicy", {
      roles: [props.discoveryRole, props.clusterAccessRole],
      statements: [
        allow(
          "FindTrailsAndClusterCreators",
          ["cloudtrail:DescribeTrails", "cloudtrail:LookupEvents"],
          ["*"],
        ),
        allow("ReadTrailStatus", ["cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors"], trailArns),
        allow("ReadClusterAccessEntries", ["eks:DescribeCluster", "eks:ListAccessEntries"], clusterArns),
        allow(
          "ReadAccessEntries",
          ["eks:DescribeAccessEntry", "eks:ListAssociatedAccessPolicies"],
          accessEntryArns,
        ),
      ],
    });
    acknowledgeWildcardResources(
      this.factsReadPolicy,
      ["*"],
      "cloudtrail:DescribeTrails and cloudtrail:LookupEvents support no resource-level permission; read-only, " +
        "to tell whether a trail records management events and who created each guarded cluster.",
    );
    acknowledgeWildcardResources(
      this.factsReadPolicy,
      trailArns,
      "Read-only status and event selectors of whichever trail covers this region: a multi-region or " +
        "organization trail has its home in another region or account.",
    );
    acknowledgeWildcardResources(this.factsReadPolicy, [...clusterArns, ...accessEntryArns], wildcardReason);

    const alarmAction = new cloudwatchActions.SnsAction(props.alertTopic);
    const alarm = (alarmId: string, description: string, metric: cloudwatch.IMetric): void => {
      this.alarms.push(alarmOnAny(this, alarmId, { alarmDescription: description, metric }, alarmAction));
    };
    const fiveMinutes = Duration.minutes(5);
    alarm(
      "FailedInvocationsAlarm",
      "EventBridge could not deliver an access-entry CloudTrail record to the classifier (it retries for 6 hours, " +
        "then keeps the record in the access-event dead-letter queue). Check the classifier's log and its invoke " +
        "permission, then run verify.",
      new cloudwatch.Metric({
        namespace: "AWS/Events",
        metricName: "FailedInvocations",
        dimensionsMap: { RuleName: this.rule.ruleName },
        period: fiveMinutes,
        statistic: "Sum",
      }),
    );
    alarm(
      "DeadLetterAlarm",
      "An access-entry change reached no classifier after EventBridge's retries: it is unjudged and unrecorded. " +
        "The record waits in the access-event dead-letter queue (14 days); run verify, then replay it.",
      this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: fiveMinutes,
        statistic: "Maximum",
      }),
    );
  }
}
