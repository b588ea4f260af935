/**
 * cdk-nag v3 `AwsSolutionsChecks` over the guardian stack in every configuration shape: zero findings left
 * unacknowledged, each acknowledgement specific and reasoned, and the check still live for new wildcards.
 */
import { createRequire } from "node:module";
import { Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import { describe, expect, it } from "vitest";
import { flattenCfnReference } from "../../lib/nag.js";
import { acknowledgements, synthesize, unacknowledgedFindings } from "./synth.js";

const CONFIGURATIONS: [string, Record<string, unknown>][] = [
  ["the example configuration (cdk.json)", {}],
  ["discovery mode", { clusters: "discover" }],
  ["discovery mode without access entries", { clusters: "discover", grantAccessEntries: false }],
  [
    "six static clusters, VPC, Slack, Object Lock and retention",
    {
      clusters: ["a", "b", "c", "d", "e", "f"],
      vpc: {
        vpcId: "vpc-0123456789abcdef0",
        subnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
      },
      slack: { workspaceId: "T0123ABCD", channelId: "C0123ABCD" },
      objectLock: true,
      snapshotRetentionDays: 90,
    },
  ],
  [
    "discovery mode in a VPC with given security groups",
    {
      clusters: "discover",
      vpc: {
        vpcId: "vpc-0123456789abcdef0",
        subnetIds: ["subnet-0123456789abcdef0"],
        securityGroupIds: ["sg-0123456789abcdef0"],
      },
    },
  ],
];

describe("AwsSolutionsChecks", () => {
  // Synthesized while the tests are collected (the first synthesis loads most of aws-cdk-lib and is slow on a
  // busy machine), once per configuration, shared by the read-only checks below.
  const synthesized = new Map(CONFIGURATIONS.map(([name, overrides]) => [name, synthesize(overrides)]));
  const synthesizeOnce = (name: string) => synthesized.get(name) as ReturnType<typeof synthesize>;

  it.each(CONFIGURATIONS)("finds nothing unacknowledged with %s", (name) => {
    // Prepare
    const { app } = synthesizeOnce(name);

    // Act
    const findings = unacknowledgedFindings(app);

    // Assess
    expect(findings).toEqual([]);
  });

  it.each(CONFIGURATIONS)(
    "acknowledges each finding by its exact id, with a reason, in %s",
    (_name, overrides) => {
      // Prepare
      const { app } = synthesize(overrides);

      // Act
      const acks = acknowledgements(app);

      // Assess
      expect(acks.length).toBeGreaterThan(0);
      for (const ack of acks) {
        expect(ack.reason.length, `${ack.id} on ${ack.path}`).toBeGreaterThanOrEqual(60);
        // A whole-rule IAM5 acknowledgement would hide every future wildcard on that construct.
        if (ack.id.startsWith("AwsSolutions-IAM5"))
          expect(ack.id).toMatch(/^AwsSolutions-IAM5\[Resource::.+\]$/);
        expect(ack.id).not.toMatch(/^AwsSolutions-IAM4/);
      }
    },
  );

  it("fails when a wildcard permission is added without an acknowledgement", () => {
    // Prepare
    const { app, stack } = synthesize();
    stack.guardian.classifierFunction.addToRolePolicy(
      new iam.PolicyStatement({ actions: ["s3:GetObject"], resources: ["*"] }),
    );

    // Act
    const findings = unacknowledgedFindings(app);

    // Assess
    expect(findings).toEqual([
      "AwsSolutions-IAM5[Resource::*] @ AwsAuthGuardian/Guardian/ClassifierRole/DefaultPolicy/Resource",
    ]);
  });
});

describe("flattenCfnReference", () => {
  // cdk-nag does not export its own flattening; load it from the installed package to prove parity.
  const require = createRequire(import.meta.url);
  const nag = require("cdk-nag/lib/utils/flatten-cfn-reference.js") as {
    flattenCfnReference: (v: unknown) => string;
  };

  it.each([
    ["a plain string", "arn:aws:s3:::bucket/*"],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub template, not a JS one
    ["a Fn::Sub template", { "Fn::Sub": "arn:${AWS::Partition}:logs:*" }],
    ["a Ref", { Ref: "AWS::AccountId" }],
    ["a Fn::GetAtt", { "Fn::GetAtt": ["Bucket1234", "Arn"] }],
    [
      "a Fn::Join of all of them",
      { "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, ":", { "Fn::GetAtt": ["Fn", "Arn"] }, ":*"]] },
    ],
  ])("matches cdk-nag's on %s", (_name, value) => {
    // Act
    const ours = flattenCfnReference(value);

    // Assess
    expect(ours).toBe(nag.flattenCfnReference(value));
  });

  it("names the findings of the resources the guardian builds", () => {
    // Prepare
    const stack = new Stack();

    // Act
    const flat = flattenCfnReference(
      stack.resolve(`arn:${stack.partition}:eks:${stack.region}:${stack.account}:cluster/*`),
    );

    // Assess
    expect(flat).toBe("arn:<AWS::Partition>:eks:<AWS::Region>:<AWS::AccountId>:cluster/*");
  });
});
