/**
 * The guardian watching itself: the queue that keeps every failed asynchronous invocation, and the alarms on
 * the functions, the queues, the audit-log deliveries and verify's drift metric, all notifying the alert
 * topic. Creates its resources in the guardian's scope (see lib/storage.ts for why).
 *
 * Two steps, in the order the resources were always created: the constructor makes the failure queue, which
 * every function needs as its on-failure destination; {@link GuardianSelfMonitoring.watch} adds the alarms
 * once the functions exist.
 */
import { Duration, Validations } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as cloudwatchActions from "aws-cdk-lib/aws-cloudwatch-actions";
import type * as kms from "aws-cdk-lib/aws-kms";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as sns from "aws-cdk-lib/aws-sns";
import * as sqs from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import { SUBSCRIPTION_FILTER_NAME } from "../lambda/discovery/config.js";
import { GUARDIAN_METRICS_NAMESPACE, QueueOnFailure, VERIFY_DRIFT_METRIC } from "./guardian-function.js";

/** What an alarm of the guardian says, and on what. */
export type AlarmOnAnyProps = Pick<cloudwatch.AlarmProps, "alarmDescription" | "metric">;

/**
 * An alarm as every alarm of the guardian is: it fires on one breaching period at 1 or more (an error,
 * a message, a drift), stays quiet without data (no invocation, an empty queue), and notifies `action`.
 */
export function alarmOnAny(
  scope: Construct,
  id: string,
  props: AlarmOnAnyProps,
  action: cloudwatch.IAlarmAction,
): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, {
    ...props,
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(action);
  return alarm;
}

export interface GuardianSelfMonitoringProps {
  /** Encrypts the failure queue (the guardian's key). */
  readonly encryptionKey: kms.IKey;
  /** Where the alarms notify. */
  readonly alertTopic: sns.ITopic;
}

/** What the alarms watch. */
export interface GuardianWatched {
  readonly classifierFunction: lambda.IFunction;
  readonly clusterAccessFunction: lambda.IFunction;
  readonly discoveryFunction: lambda.IFunction;
  /** The dead-letter queue of CloudTrail cluster events that discovery could not process. */
  readonly clusterEventDeadLetterQueue: sqs.IQueue;
}

/** The failure queue and the alarms on the guardian itself. */
export class GuardianSelfMonitoring {
  /** On-failure destination of every asynchronous invocation of the guardian's functions (KMS-encrypted). */
  readonly failureQueue: sqs.Queue;
  /** The on-failure destination to give each guardian function: {@link failureQueue}, least privilege. */
  readonly onFailure: lambda.IDestination;
  /** Alarms on the guardian itself, all notifying the alert topic. */
  readonly alarms: cloudwatch.Alarm[] = [];

  private readonly scope: Construct;
  private readonly alertTopic: sns.ITopic;

  constructor(scope: Construct, props: GuardianSelfMonitoringProps) {
    this.scope = scope;
    this.alertTopic = props.alertTopic;
    this.failureQueue = new sqs.Queue(scope, "FailureQueue", {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.failureQueue).acknowledge({
      id: "AwsSolutions-SQS3",
      reason:
        "This queue is itself the dead-letter (on-failure) destination of the guardian's asynchronous " +
        "invocations; its depth raises an alarm and a message stays 14 days for replay.",
    });
    this.onFailure = new QueueOnFailure(this.failureQueue);
  }

  /** Adds the alarms on the functions and queues; call once, after they exist. */
  watch(watched: GuardianWatched): void {
    const alarmAction = new cloudwatchActions.SnsAction(this.alertTopic);
    const alarm = (id: string, props: AlarmOnAnyProps): void => {
      this.alarms.push(alarmOnAny(this.scope, id, props, alarmAction));
    };
    const fiveMinutes = Duration.minutes(5);
    alarm("ClassifierErrorsAlarm", {
      alarmDescription:
        "The aws-auth classifier failed. Writes to aws-auth may be unclassified and unsnapshotted: read its log, " +
        "then replay the failure queue.",
      metric: watched.classifierFunction.metricErrors({ period: fiveMinutes, statistic: "Sum" }),
    });
    alarm("ClusterAccessErrorsAlarm", {
      alarmDescription:
        "The cluster-access function (restore/capture/verify) failed. A restore or drift check may not have happened.",
      metric: watched.clusterAccessFunction.metricErrors({ period: fiveMinutes, statistic: "Sum" }),
    });
    alarm("DiscoveryErrorsAlarm", {
      alarmDescription: "Discovery failed: new clusters may be unguarded. Read the discovery function's log.",
      metric: watched.discoveryFunction.metricErrors({ period: fiveMinutes, statistic: "Sum" }),
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
      metric: watched.clusterEventDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
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
  }
}
