/**
 * The guardian's classifier: the function that judges, snapshots and alerts on each aws-auth write delivered
 * by the audit logs' subscription filters, and those filters (a static cluster list) or the permission that
 * lets discovery's filters invoke it (discovery mode). Creates its resources in the guardian's scope (see
 * lib/storage.ts for why).
 */
import { Aws, Duration, Token } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import type * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import * as logsDestinations from "aws-cdk-lib/aws-logs-destinations";
import type { Construct } from "constructs";
import { SEVERITIES, type Severity, WRITE_CLASSES, type WriteClass } from "../lambda/core/policy.js";
import { AUDIT_LOG_GROUP, AWS_AUTH_WRITE_FILTER_PATTERN } from "../lambda/core/subscription-filter.js";
import { SUBSCRIPTION_FILTER_NAME } from "../lambda/discovery/config.js";
import type { GuardianAlerting } from "./alerting.js";
import type { GuardianClusterAccess } from "./cluster-access.js";
import { isSeverity, isWriteClass } from "./config.js";
import { entry, guardianFunction } from "./guardian-function.js";
import type { GuardianStorage } from "./storage.js";

/** How writes are judged and which ones alert: read by the classifier and the cluster-access function alike. */
export interface GuardianPolicyProps {
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
}

/** The environment variables the classifier and the cluster-access function both read to build their policy. */
export function policyEnvironment(props: GuardianPolicyProps): Record<string, string> {
  return {
    ...(props.alertClasses ? { ALERT_CLASSES: props.alertClasses.join(",") } : {}),
    ...(props.extraNodeRoleArns?.length ? { EXTRA_NODE_ROLE_ARNS: props.extraNodeRoleArns.join(",") } : {}),
  };
}

export interface GuardianClassifierProps extends GuardianPolicyProps {
  /** The snapshot bucket and key the classifier writes. */
  readonly storage: GuardianStorage;
  /** The topic the classifier alerts on. */
  readonly alerting: GuardianAlerting;
  /** The cluster-access function, invoked to capture the live aws-auth when an event cannot be trusted. */
  readonly clusterAccess: GuardianClusterAccess;
  /** The on-failure destination of its asynchronous invocations. */
  readonly onFailure: lambda.IDestination;
  /**
   * Retention of the function's log group.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/** The classifier function and what delivers audit events to it. */
export class GuardianClassifier {
  /** Classifies each aws-auth write delivered by the subscription filters. */
  readonly classifierFunction: nodejs.NodejsFunction;
  /** The classifier's execution role. */
  readonly classifierRole: iam.Role;
  /** The stack-declared subscription filters (static cluster list only). */
  readonly subscriptionFilters: logs.SubscriptionFilter[] = [];

  private readonly scope: Construct;

  constructor(scope: Construct, props: GuardianClassifierProps) {
    this.scope = scope;
    this.classifierRole = new iam.Role(scope, "ClassifierRole", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: "aws-auth-guardian classifier",
    });
    const classifierLogGroup = new logs.LogGroup(scope, "ClassifierLogGroup", {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
    });
    this.classifierFunction = guardianFunction(scope, "ClassifierFunction", {
      entry: entry("lambda/classifier/handler.ts"),
      description: "aws-auth-guardian: classify, snapshot and alert on each aws-auth write",
      role: this.classifierRole,
      logGroup: classifierLogGroup,
      timeout: Duration.minutes(1),
      memorySize: 512,
      onFailure: props.onFailure,
      environment: {
        SNAPSHOT_BUCKET: props.storage.snapshotBucket.bucketName,
        ALERT_TOPIC_ARN: props.alerting.alertTopic.topicArn,
        CAPTURE_FUNCTION_NAME: props.clusterAccess.clusterAccessFunction.functionName,
        TRUSTED_WRITERS: (props.trustedWriters ?? []).join(","),
        GUARDIAN_WRITERS: props.clusterAccess.clusterAccessRole.roleArn,
        INTEGRITY_KEY_ID: props.storage.integrityKey.keyArn,
        ...policyEnvironment(props),
        ...(props.alertMinSeverity ? { ALERT_MIN_SEVERITY: props.alertMinSeverity } : {}),
      },
    });
    props.storage.grantSnapshots(this.classifierRole);
    props.alerting.grantPublish(this.classifierRole);
    props.clusterAccess.grantInvoke(this.classifierRole);
  }

  /** The subscription filter on one cluster's audit log group; `scope` is the cluster's own construct. */
  subscribe(scope: Construct, clusterName: string): logs.SubscriptionFilter {
    const logGroup = logs.LogGroup.fromLogGroupName(scope, "AuditLogGroup", AUDIT_LOG_GROUP(clusterName));
    // LambdaDestination adds the logs.amazonaws.com invoke permission (source ARN: this log group) and
    // makes the filter depend on it, otherwise the filter can be created before the permission.
    const filter = new logs.SubscriptionFilter(scope, "SubscriptionFilter", {
      logGroup,
      filterName: SUBSCRIPTION_FILTER_NAME,
      filterPattern: logs.FilterPattern.literal(AWS_AUTH_WRITE_FILTER_PATTERN),
      destination: new logsDestinations.LambdaDestination(this.classifierFunction),
    });
    this.subscriptionFilters.push(filter);
    return filter;
  }

  /** Discovery puts filters on log groups unknown at deploy time: one permission for all EKS audit groups. */
  allowEveryEksAuditLogGroup(): lambda.CfnPermission {
    return new lambda.CfnPermission(this.scope, "ClassifierInvokeFromEksLogGroups", {
      action: "lambda:InvokeFunction",
      functionName: this.classifierFunction.functionArn,
      principal: "logs.amazonaws.com",
      sourceAccount: Aws.ACCOUNT_ID,
      sourceArn: `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:/aws/eks/*/cluster:*`,
    });
  }
}

/**
 * Refuses policy props the functions would reject at cold start (a classifier that cannot start loses every
 * write) or that would silence the classifier, and ARNs that cannot travel in a comma-separated variable.
 */
export function checkPolicyProps(props: GuardianPolicyProps): void {
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
