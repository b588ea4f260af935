/**
 * lib/access-events.ts in the synthesized stack: the CloudTrail rule for the six access-entry calls to the
 * classifier with its dead-letter queue and retry policy, the alarms on failed deliveries and dead letters, and
 * the least-privilege EKS permissions of the classifier (read) and the cluster-access role (restore). Both
 * configuration shapes, and the construct on its own with its props.
 */
import { App, Duration, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as sns from "aws-cdk-lib/aws-sns";
import { describe, expect, it } from "vitest";
import { ACCESS_EVENT_NAMES } from "../../lambda/core/access-event.js";
import { GuardianAccessEvents } from "../../lib/access-events.js";
import { synthesize, unacknowledgedFindings } from "./synth.js";

type Json = Record<string, unknown>;

const SIX_EVENTS = [
  "CreateAccessEntry",
  "UpdateAccessEntry",
  "DeleteAccessEntry",
  "AssociateAccessPolicy",
  "DisassociateAccessPolicy",
  "UpdateClusterConfig",
];

function resourcesOf(template: Template, type: string): [string, Json][] {
  return Object.entries(template.findResources(type)) as [string, Json][];
}

function idOf(template: Template, type: string, pattern: RegExp): string {
  const found = resourcesOf(template, type).filter(([id]) => pattern.test(id));
  expect(found.map(([id]) => id)).toHaveLength(1);
  return (found[0] as [string, Json])[0];
}

function policyStatements(template: Template, name: string): Json[] {
  const id = idOf(template, "AWS::IAM::Policy", new RegExp(`^GuardianAccessEvents${name}[0-9A-F]{8}$`));
  const policy = template.findResources("AWS::IAM::Policy")[id] as Json;
  return ((policy.Properties as Json).PolicyDocument as { Statement: Json[] }).Statement;
}

const actions = (statement: Json | undefined): string[] =>
  ([] as string[]).concat((statement?.Action as string | string[] | undefined) ?? []).sort();

describe("the access-entry events of the example configuration (one static cluster, demo)", () => {
  const { template } = synthesize();
  const ruleId = idOf(template, "AWS::Events::Rule", /^GuardianAccessEventsRule[0-9A-F]{8}$/);
  const dlqId = idOf(template, "AWS::SQS::Queue", /^GuardianAccessEventsDeadLetterQueue[0-9A-F]{8}$/);
  const classifierId = idOf(template, "AWS::Lambda::Function", /^GuardianClassifierFunction[0-9A-F]{8}$/);
  const topic = { Ref: idOf(template, "AWS::SNS::Topic", /^GuardianAlertTopic[0-9A-F]{8}$/) };

  it("sends the six access-entry CloudTrail calls of demo to the classifier", () => {
    // Assess
    expect([...ACCESS_EVENT_NAMES]).toEqual(SIX_EVENTS);
    template.hasResourceProperties("AWS::Events::Rule", {
      EventPattern: {
        source: ["aws.eks"],
        "detail-type": ["AWS API Call via CloudTrail"],
        detail: {
          eventSource: ["eks.amazonaws.com"],
          eventName: SIX_EVENTS,
          requestParameters: { name: ["demo"] },
        },
      },
      State: "ENABLED",
    });
    const rule = template.findResources("AWS::Events::Rule")[ruleId] as Json;
    const targets = (rule.Properties as Json).Targets as Json[];
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({
      Arn: { "Fn::GetAtt": [classifierId, "Arn"] },
      DeadLetterConfig: { Arn: { "Fn::GetAtt": [dlqId, "Arn"] } },
      RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 6 * 3600 },
    });
    expect(targets[0]).not.toHaveProperty("Input");
  });

  it("lets EventBridge invoke the classifier from this rule only", () => {
    // Assess
    template.hasResourceProperties("AWS::Lambda::Permission", {
      Action: "lambda:InvokeFunction",
      FunctionName: { "Fn::GetAtt": [classifierId, "Arn"] },
      Principal: "events.amazonaws.com",
      SourceArn: { "Fn::GetAtt": [ruleId, "Arn"] },
    });
  });

  it("keeps undeliverable records in an encrypted, TLS-only dead-letter queue only the rule may write to", () => {
    // Assess
    const queue = template.findResources("AWS::SQS::Queue")[dlqId] as Json;
    expect(queue.Properties).toEqual({ MessageRetentionPeriod: 14 * 24 * 3600, SqsManagedSseEnabled: true });
    const [, policy] = resourcesOf(template, "AWS::SQS::QueuePolicy").find(
      ([, p]) => JSON.stringify((p.Properties as Json).Queues) === JSON.stringify([{ Ref: dlqId }]),
    ) as [string, Json];
    const statements = ((policy.Properties as Json).PolicyDocument as { Statement: Json[] }).Statement;
    expect(statements).toEqual([
      expect.objectContaining({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
      expect.objectContaining({
        Effect: "Allow",
        Action: "sqs:SendMessage",
        Principal: { Service: "events.amazonaws.com" },
        Condition: { ArnEquals: { "aws:SourceArn": { "Fn::GetAtt": [ruleId, "Arn"] } } },
      }),
    ]);
  });

  it("alarms on the rule's failed invocations and on the dead-letter queue's depth, notifying the alert topic", () => {
    // Assess
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "AWS/Events",
      MetricName: "FailedInvocations",
      Dimensions: [{ Name: "RuleName", Value: { Ref: ruleId } }],
      Statistic: "Sum",
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      TreatMissingData: "notBreaching",
      AlarmActions: [topic],
    });
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "AWS/SQS",
      MetricName: "ApproximateNumberOfMessagesVisible",
      Dimensions: [{ Name: "QueueName", Value: { "Fn::GetAtt": [dlqId, "QueueName"] } }],
      Threshold: 1,
      AlarmActions: [topic],
    });
  });

  it("tells the classifier which clusters it guards and which access entry is the guardian's own", () => {
    // Assess
    const fn = template.findResources("AWS::Lambda::Function")[classifierId] as Json;
    const variables = ((fn.Properties as Json).Environment as { Variables: Json }).Variables;
    expect(variables).toMatchObject({
      GUARDED_CLUSTERS: "demo",
      GUARDIAN_ACCESS_ROLE_ARN: {
        "Fn::GetAtt": [idOf(template, "AWS::IAM::Role", /^GuardianClusterAccessRole[0-9A-F]{8}$/), "Arn"],
      },
    });
  });

  it("lets the classifier only read demo's access configuration and entries", () => {
    // Assess
    const statements = policyStatements(template, "ClassifierReadPolicy");
    expect(statements.every((s) => s.Effect === "Allow")).toBe(true);
    expect(statements.flatMap((s) => actions(s)).sort()).toEqual([
      "eks:DescribeAccessEntry",
      "eks:DescribeCluster",
      "eks:ListAccessEntries",
      "eks:ListAssociatedAccessPolicies",
    ]);
    const text = JSON.stringify(statements);
    expect(text).toContain(":cluster/demo");
    expect(text).toContain(":access-entry/demo/*");
    expect(text).not.toMatch(/cluster\/\*|access-entry\/\*/);
    const policy = template.findResources("AWS::IAM::Policy")[
      idOf(template, "AWS::IAM::Policy", /^GuardianAccessEventsClassifierReadPolicy[0-9A-F]{8}$/)
    ] as Json;
    expect((policy.Properties as Json).Roles).toEqual([
      { Ref: idOf(template, "AWS::IAM::Role", /^GuardianClassifierRole[0-9A-F]{8}$/) },
    ]);
  });

  it("lets the cluster-access role restore demo's access entries, but never remove its own", () => {
    // Assess
    const statements = policyStatements(template, "RestorePolicy");
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid as string, s]));
    expect(actions(bySid.CreateAccessEntries)).toEqual(["eks:CreateAccessEntry"]);
    expect(JSON.stringify(bySid.CreateAccessEntries?.Resource)).toContain(":cluster/demo");
    expect(actions(bySid.RestoreAccessEntries)).toEqual([
      "eks:AssociateAccessPolicy",
      "eks:DeleteAccessEntry",
      "eks:DescribeAccessEntry",
      "eks:DisassociateAccessPolicy",
      "eks:ListAssociatedAccessPolicies",
      "eks:UpdateAccessEntry",
    ]);
    expect(JSON.stringify(bySid.RestoreAccessEntries?.Resource)).toContain(":access-entry/demo/*");
    // No cluster configuration writes: the mode only moves forward, the restore never changes it.
    expect(statements.flatMap((s) => actions(s))).not.toContain("eks:UpdateClusterConfig");
    const deny = bySid.NeverTouchOwnAccessEntry as Json;
    expect(deny.Effect).toBe("Deny");
    expect(actions(deny)).toEqual(["eks:DeleteAccessEntry", "eks:DisassociateAccessPolicy"]);
    expect(JSON.stringify(deny.Resource)).toContain(":access-entry/demo/role/");
    expect(JSON.stringify(deny.Resource)).toContain(
      idOf(template, "AWS::IAM::Role", /^GuardianClusterAccessRole[0-9A-F]{8}$/),
    );
  });
});

describe("the facts discovery and verify read (example configuration)", () => {
  const { template } = synthesize();

  it("lets discovery and the cluster-access role read trails, CloudTrail's history and demo's entries, nothing more", () => {
    // Assess
    const statements = policyStatements(template, "FactsReadPolicy");
    expect(statements.every((s) => s.Effect === "Allow")).toBe(true);
    expect(statements.flatMap((s) => actions(s)).sort()).toEqual([
      "cloudtrail:DescribeTrails",
      "cloudtrail:GetEventSelectors",
      "cloudtrail:GetTrailStatus",
      "cloudtrail:LookupEvents",
      "eks:DescribeAccessEntry",
      "eks:DescribeCluster",
      "eks:ListAccessEntries",
      "eks:ListAssociatedAccessPolicies",
    ]);
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid as string, s]));
    expect(JSON.stringify(bySid.ReadTrailStatus?.Resource)).toContain(":cloudtrail:*:*:trail/*");
    expect(JSON.stringify(bySid.ReadAccessEntries?.Resource)).toContain(":access-entry/demo/*");
    const id = idOf(template, "AWS::IAM::Policy", /^GuardianAccessEventsFactsReadPolicy[0-9A-F]{8}$/);
    const roles = ((template.findResources("AWS::IAM::Policy")[id] as Json).Properties as Json).Roles;
    expect(roles).toEqual([
      { Ref: idOf(template, "AWS::IAM::Role", /^GuardianDiscoveryRole[0-9A-F]{8}$/) },
      { Ref: idOf(template, "AWS::IAM::Role", /^GuardianClusterAccessRole[0-9A-F]{8}$/) },
    ]);
  });
});

describe("the access-entry events in discovery mode", () => {
  const { template, app } = synthesize({ clusters: "discover" });

  it("sends the calls of every cluster of the region and lets the classifier read any of their entries", () => {
    // Assess
    template.hasResourceProperties("AWS::Events::Rule", {
      EventPattern: {
        source: ["aws.eks"],
        detail: Match.exact({ eventSource: ["eks.amazonaws.com"], eventName: SIX_EVENTS }),
      },
    });
    const classifierId = idOf(template, "AWS::Lambda::Function", /^GuardianClassifierFunction[0-9A-F]{8}$/);
    const fn = template.findResources("AWS::Lambda::Function")[classifierId] as Json;
    expect(((fn.Properties as Json).Environment as { Variables: Json }).Variables).toMatchObject({
      GUARDED_CLUSTERS: "*",
    });
    const text = JSON.stringify(policyStatements(template, "ClassifierReadPolicy"));
    expect(text).toContain(":cluster/*");
    expect(text).toContain(":access-entry/*/*");
  });

  it("leaves no cdk-nag finding unacknowledged", () => {
    // Assess
    expect(unacknowledgedFindings(app)).toEqual([]);
  });
});

describe("GuardianAccessEvents on its own", () => {
  it("takes its retry policy from its props", () => {
    // Arrange
    const stack = new Stack(new App(), "S");
    const role = (id: string) =>
      new iam.Role(stack, id, { assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com") });
    const classifierRole = role("ClassifierRole");
    const fn = new lambda.Function(stack, "Fn", {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: "index.handler",
      code: lambda.Code.fromInline("export const handler = async () => {}"),
      role: classifierRole,
    });

    // Act
    const events = new GuardianAccessEvents(stack, "AccessEvents", {
      classifierFunction: fn,
      classifierRole,
      clusterAccessRole: role("AccessRole"),
      discoveryRole: role("DiscoveryRole"),
      clusterNames: ["a", "b"],
      alertTopic: new sns.Topic(stack, "Topic"),
      retryAttempts: 3,
      maxEventAge: Duration.hours(1),
    });

    // Assess
    const template = Template.fromStack(stack);
    template.hasResourceProperties("AWS::Events::Rule", {
      EventPattern: { detail: Match.objectLike({ requestParameters: { name: ["a", "b"] } }) },
      Targets: [
        Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 } }),
      ],
    });
    expect(events.alarms).toHaveLength(2);
    template.resourceCountIs("AWS::CloudWatch::Alarm", 2);
  });
});
