/**
 * The guardian's discovery: the function that puts the subscription filters and access entries on clusters,
 * takes baselines and reports unguarded clusters; it runs at deploy (a custom resource), on a schedule, and on
 * CloudTrail `CreateCluster`/`UpdateClusterConfig` events through a queue. In discovery mode it also fans out
 * the scheduled `verify`. Creates its resources in the guardian's scope (see lib/storage.ts for why).
 */
import { Aws, CustomResource, Duration, Validations } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import type * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import * as sqs from "aws-cdk-lib/aws-sqs";
import * as cr from "aws-cdk-lib/custom-resources";
import type { Construct, IDependable } from "constructs";
import { AUDIT_LOG_GROUP, AWS_AUTH_WRITE_FILTER_PATTERN } from "../lambda/core/subscription-filter.js";
import {
  ACCESS_NAMESPACE,
  type AccessEntryMode,
  DISCOVERY_ENV,
  SUBSCRIPTION_FILTER_NAME,
} from "../lambda/discovery/config.js";
import type { GuardianAlerting } from "./alerting.js";
import type { GuardianClassifier } from "./classifier.js";
import { GuardianClusterAccess } from "./cluster-access.js";
import { allow, entry, grantDescribeClusters, guardianFunction } from "./guardian-function.js";
import { acknowledgeWildcardResources } from "./nag.js";

export interface GuardianDiscoveryProps {
  /** The guarded cluster names, or undefined for every cluster of the region. */
  readonly clusterNames: readonly string[] | undefined;
  /** ARNs of the guarded clusters (`cluster/*` in discovery mode). */
  readonly clusterArns: string[];
  /**
   * What discovery does about the cluster-access role's access entries: `create` them (discovery mode),
   * `check` the stack-declared ones (static list), or nothing (`off`).
   */
  readonly accessEntryMode: AccessEntryMode;
  readonly classifier: GuardianClassifier;
  readonly clusterAccess: GuardianClusterAccess;
  readonly alerting: GuardianAlerting;
  /** The on-failure destination of its asynchronous invocations. */
  readonly onFailure: lambda.IDestination;
  /** What the deploy-time run needs in place first: the filters, the access entries, the invoke permission. */
  readonly runAfter?: IDependable[];
  /**
   * How often discovery runs besides at deploy and on CloudTrail cluster events.
   *
   * @default Schedule.rate(Duration.days(1))
   */
  readonly schedule?: events.Schedule;
  /**
   * Retention of the function's and the custom resource provider's log groups.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/** The discovery function and everything that runs it. */
export class GuardianDiscovery {
  /** Puts filters and access entries on clusters, takes baselines, alerts on unguarded clusters. */
  readonly discoveryFunction: nodejs.NodejsFunction;
  /** CloudTrail cluster events waiting for discovery (retried until the cluster is ready). */
  readonly clusterEventQueue: sqs.Queue;
  /** The discovery function's execution role. */
  readonly discoveryRole: iam.Role;
  /** Cluster events discovery could not process after 8 receives. */
  readonly clusterEventDeadLetterQueue: sqs.Queue;

  private readonly scope: Construct;

  constructor(scope: Construct, props: GuardianDiscoveryProps) {
    this.scope = scope;
    const names = props.clusterNames;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const { classifierFunction } = props.classifier;
    const { clusterAccessFunction, clusterAccessRole } = props.clusterAccess;
    const discoveryRole = new iam.Role(scope, "DiscoveryRole", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: "aws-auth-guardian discovery",
    });
    const discoveryLogGroup = new logs.LogGroup(scope, "DiscoveryLogGroup", { retention: logRetention });
    this.discoveryRole = discoveryRole;
    this.discoveryFunction = guardianFunction(scope, "DiscoveryFunction", {
      entry: entry("lambda/discovery/handler.ts"),
      description:
        "aws-auth-guardian: guard every cluster (filters, access entries, baselines) and report gaps",
      role: discoveryRole,
      logGroup: discoveryLogGroup,
      timeout: Duration.minutes(5),
      memorySize: 256,
      onFailure: props.onFailure,
      environment: {
        [DISCOVERY_ENV.clusters]: names ? names.join(",") : "*",
        [DISCOVERY_ENV.classifierArn]: classifierFunction.functionArn,
        [DISCOVERY_ENV.filterName]: SUBSCRIPTION_FILTER_NAME,
        [DISCOVERY_ENV.accessEntries]: props.accessEntryMode,
        [DISCOVERY_ENV.clusterAccessRoleArn]: clusterAccessRole.roleArn,
        [DISCOVERY_ENV.accessPolicyArn]: GuardianClusterAccess.accessPolicyArn,
        [DISCOVERY_ENV.clusterAccessFunctionName]: clusterAccessFunction.functionName,
        [DISCOVERY_ENV.topicArn]: props.alerting.alertTopic.topicArn,
        [DISCOVERY_ENV.maxEventAttempts]: "6",
      },
    });
    grantDiscovery(discoveryRole, {
      names,
      accessEntryMode: props.accessEntryMode,
      clusterArns: props.clusterArns,
      clusterAccessRole,
    });
    props.alerting.grantPublish(discoveryRole);
    props.clusterAccess.grantInvoke(discoveryRole);

    // At deploy: custom_resources.Provider (not AwsCustomResource) because discovery is our own function; the
    // framework turns its return value or exception into the CloudFormation response, so a blind guardian
    // (e.g. AccessDenied on ListClusters) fails the deployment instead of being silently "created".
    const providerRole = new iam.Role(scope, "DiscoveryProviderRole", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: "aws-auth-guardian: CloudFormation custom resource framework for discovery",
    });
    const providerLogGroup = new logs.LogGroup(scope, "DiscoveryProviderLogGroup", {
      retention: logRetention,
    });
    providerLogGroup.grantWrite(providerRole);
    const provider = new cr.Provider(scope, "DiscoveryProvider", {
      onEventHandler: this.discoveryFunction,
      frameworkOnEventRole: providerRole,
      logGroup: providerLogGroup,
    });
    const discoveryRun = new CustomResource(scope, "Discovery", {
      serviceToken: provider.serviceToken,
      resourceType: "Custom::AwsAuthGuardianDiscovery",
      properties: {
        // Re-run discovery whenever what it puts on clusters changes.
        FilterPattern: AWS_AUTH_WRITE_FILTER_PATTERN,
        FilterName: SUBSCRIPTION_FILTER_NAME,
        Destination: classifierFunction.functionArn,
        Clusters: names ? names.join(",") : "*",
        AccessEntries: props.accessEntryMode,
      },
    });
    // Baselines need the filters, the access entries and the invoke permission in place first.
    for (const dependency of props.runAfter ?? []) discoveryRun.node.addDependency(dependency);
    acknowledgeWildcardResources(
      providerRole,
      [`${this.discoveryFunction.functionArn}:*`],
      "CDK's custom resource framework grants its onEvent function lambda:InvokeFunction on the discovery " +
        "function and its versions (`<arn>:*`); no other function.",
    );

    new events.Rule(scope, "DiscoverySchedule", {
      description: "aws-auth-guardian: daily discovery",
      schedule: props.schedule ?? events.Schedule.rate(Duration.days(1)),
      targets: [
        new targets.LambdaFunction(this.discoveryFunction, {
          event: events.RuleTargetInput.fromObject({ action: "discover" }),
          retryAttempts: 2,
        }),
      ],
    });

    // CloudTrail cluster events go through a queue: a new cluster is not ready (no audit log group) for
    // several minutes, so discovery asks for a redelivery after the visibility timeout until it is.
    this.clusterEventDeadLetterQueue = new sqs.Queue(scope, "ClusterEventDeadLetterQueue", {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.clusterEventQueue = new sqs.Queue(scope, "ClusterEventQueue", {
      // SSE-SQS rather than the key: EventBridge would need the key, and a key policy naming the rule would
      // make a dependency cycle (key → rule → queue → key). The events carry cluster names and caller ARNs.
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.minutes(10),
      retentionPeriod: Duration.days(1),
      deadLetterQueue: { queue: this.clusterEventDeadLetterQueue, maxReceiveCount: 8 },
    });
    Validations.of(this.clusterEventDeadLetterQueue).acknowledge({
      id: "AwsSolutions-SQS3",
      reason: "This queue is the dead-letter queue of the cluster event queue; its depth raises an alarm.",
    });
    new events.Rule(scope, "ClusterEventRule", {
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
  }

  /** Discovery mode: clusters are unknown at deploy time, so discovery fans out one `verify` per cluster. */
  addVerifyFanOut(schedule: events.Schedule): events.Rule {
    return new events.Rule(this.scope, "VerifySchedule", {
      description: "aws-auth-guardian: verify every guarded cluster (fanned out by discovery)",
      schedule,
      targets: [
        new targets.LambdaFunction(this.discoveryFunction, {
          event: events.RuleTargetInput.fromObject({ action: "verify" }),
          retryAttempts: 2,
        }),
      ],
    });
  }
}

function grantDiscovery(
  role: iam.Role,
  options: {
    names: readonly string[] | undefined;
    accessEntryMode: AccessEntryMode;
    clusterArns: string[];
    clusterAccessRole: iam.Role;
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
  grantDescribeClusters(
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
  const roleName = options.clusterAccessRole.roleName;
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
            "eks:principalArn": options.clusterAccessRole.roleArn,
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
          StringEquals: {
            "eks:policyArn": GuardianClusterAccess.accessPolicyArn,
            "eks:accessScope": "namespace",
          },
          "ForAllValues:StringEquals": { "eks:namespaces": [ACCESS_NAMESPACE] },
        },
      }),
    );
    // Stack deletion removes the entry, so that a role re-created with the same name inherits nothing.
    role.addToPrincipalPolicy(allow("DeleteOwnAccessEntry", ["eks:DeleteAccessEntry"], ownAccessEntries));
  }
}
