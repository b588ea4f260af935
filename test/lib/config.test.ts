/**
 * The cdk.json configuration: what is accepted, the defaults, and the messages that say what to fix.
 */
import { describe, expect, it } from "vitest";
import {
  CONFIG_KEYS,
  ConfigError,
  checkContextKeys,
  configWarnings,
  loadGuardianConfig,
  rateToMinutes,
} from "../../lib/config.js";
import { CDK_CONTEXT } from "./synth.js";

const VALID = {
  clusters: ["prod-eu-1", "staging_2"],
  alertEmails: ["oncall@example.com"],
  trustedWriters: ["arn:aws:iam::111122223333:role/platform-*"],
};

function load(context: Record<string, unknown>) {
  return loadGuardianConfig((key) => context[key]);
}

describe("loadGuardianConfig", () => {
  it("reads the example configuration in cdk.json: one static cluster, demo", () => {
    // Act
    const config = load(CDK_CONTEXT);

    // Assess
    expect(config).toEqual({
      clusters: ["demo"],
      alertEmails: ["platform-oncall@example.com"],
      trustedWriters: ["arn:aws:iam::111122223333:role/platform-terraform"],
      grantAccessEntries: true,
      objectLock: false,
      verifySchedule: "rate(6 hours)",
    });
  });

  it("applies the defaults: access entries granted, no Object Lock, nothing optional", () => {
    // Act
    const config = load(VALID);

    // Assess
    expect(config).toEqual({ ...VALID, grantAccessEntries: true, objectLock: false });
  });

  it("accepts every key in its full form", () => {
    // Prepare
    const full = {
      ...VALID,
      clusters: "discover",
      alertEmails: [],
      trustedWriters: [],
      restoreOperators: ["arn:aws:iam::111122223333:role/sre-*"],
      keyAdministrators: [
        "arn:aws:iam::111122223333:role/platform-deployer",
        "arn:aws:iam::111122223333:user/ops/alice",
      ],
      breakGlassPrincipals: ["arn:aws:iam::111122223333:role/break-glass-*"],
      extraNodeRoleArns: [
        "arn:aws:iam::111122223333:role/karpenter-node",
        "arn:aws-cn:iam::111122223333:role/x",
      ],
      alertClasses: ["dangerous", "unverified", "rejected"],
      alertMinSeverity: "high",
      slack: { workspaceId: "T07EA123LEP", channelId: "C07EZ1ABC23" },
      grantAccessEntries: false,
      vpc: {
        vpcId: "vpc-0123456789abcdef0",
        subnetIds: ["subnet-0123456789abcdef0"],
        securityGroupIds: ["sg-0123456789abcdef0"],
      },
      snapshotRetentionDays: 400,
      objectLock: true,
      verifySchedule: "rate(1 day)",
    };

    // Act
    const config = load(full);

    // Assess
    expect(config).toEqual(full);
    expect(Object.keys(config).sort()).toEqual([...CONFIG_KEYS].sort());
  });

  it("accepts JSON strings, as `cdk synth -c key=value` passes them", () => {
    // Act
    const config = load({
      clusters: '["a","b"]',
      alertEmails: "[]",
      trustedWriters: "[]",
      grantAccessEntries: "false",
      snapshotRetentionDays: "30",
      slack: '{"workspaceId":"T1","channelId":"C1"}',
      extraNodeRoleArns: '["arn:aws:iam::111122223333:role/karpenter-node"]',
      alertClasses: '["dangerous","routine"]',
      alertMinSeverity: "critical",
    });

    // Assess
    expect(config).toMatchObject({
      clusters: ["a", "b"],
      grantAccessEntries: false,
      snapshotRetentionDays: 30,
      slack: { workspaceId: "T1", channelId: "C1" },
      extraNodeRoleArns: ["arn:aws:iam::111122223333:role/karpenter-node"],
      alertClasses: ["dangerous", "routine"],
      alertMinSeverity: "critical",
    });
  });

  it.each(["info", "low", "medium", "high", "critical"])("accepts alertMinSeverity %s", (severity) => {
    // Act
    const config = load({ ...VALID, alertMinSeverity: severity });

    // Assess
    expect(config.alertMinSeverity).toBe(severity);
  });

  it("accepts every write class in alertClasses", () => {
    // Prepare
    const every = ["aws-internal", "cosmetic", "routine", "dangerous", "rejected", "dry-run", "unverified"];

    // Act
    const config = load({ ...VALID, alertClasses: every });

    // Assess
    expect(config.alertClasses).toEqual(every);
  });

  it("accepts an empty alertClasses when alertMinSeverity decides instead", () => {
    // Act
    const config = load({ ...VALID, alertClasses: [], alertMinSeverity: "medium" });

    // Assess
    expect(config).toMatchObject({ alertClasses: [], alertMinSeverity: "medium" });
  });

  it("accepts an empty extraNodeRoleArns", () => {
    // Act
    const config = load({ ...VALID, extraNodeRoleArns: [] });

    // Assess
    expect(config.extraNodeRoleArns).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      "clusters is missing",
      { ...VALID, clusters: undefined },
      /context key "clusters" is missing; set it in cdk\.json/,
    ],
    [
      'clusters is neither a list nor "discover"',
      { ...VALID, clusters: "prod eu" },
      /"clusters" is "prod eu"; expected a list of EKS cluster names.*"discover"/,
    ],
    ["clusters is empty", { ...VALID, clusters: [] }, /"clusters" is an empty list/],
    [
      "a cluster name is invalid",
      { ...VALID, clusters: ["ok", "no spaces"] },
      /"clusters"\[1\] is "no spaces"; expected an EKS cluster name/,
    ],
    ["a cluster is listed twice", { ...VALID, clusters: ["a", "a"] }, /names "a" twice/],
    [
      "alertEmails is missing",
      { ...VALID, alertEmails: undefined },
      /"alertEmails" is missing.*may be empty: \[\]/,
    ],
    [
      "an e-mail address is not one",
      { ...VALID, alertEmails: ["oncall"] },
      /"alertEmails"\[0\] is "oncall"; expected an e-mail address/,
    ],
    [
      "trustedWriters is a string",
      { ...VALID, trustedWriters: "arn:aws:iam::1:role/x" },
      /"trustedWriters" is "arn:aws:iam::1:role\/x"; expected a list of IAM ARN patterns/,
    ],
    [
      "a trusted writer is not an ARN",
      { ...VALID, trustedWriters: ["platform-terraform"] },
      /"trustedWriters"\[0\] is "platform-terraform"; expected an ARN/,
    ],
    [
      "keyAdministrators is empty (KMS would refuse the key policy)",
      { ...VALID, keyAdministrators: [] },
      /"keyAdministrators" is an empty list; expected a non-empty list of exact IAM role or user ARNs.*KMS refuses a key policy that locks out the role creating it/,
    ],
    [
      "a key administrator is a pattern (a key policy names principals exactly)",
      { ...VALID, keyAdministrators: ["arn:aws:iam::111122223333:role/platform-*"] },
      /"keyAdministrators"\[0\] is "arn:aws:iam::111122223333:role\/platform-\*"; expected an exact IAM role or user ARN \(no wildcard/,
    ],
    [
      "a key administrator is the account root",
      { ...VALID, keyAdministrators: ["arn:aws:iam::111122223333:root"] },
      /"keyAdministrators"\[0\] is "arn:aws:iam::111122223333:root"; expected an exact IAM role or user ARN/,
    ],
    [
      "breakGlassPrincipals is a string",
      { ...VALID, breakGlassPrincipals: "arn:aws:iam::111122223333:role/break-glass" },
      /"breakGlassPrincipals" is "arn:aws:iam::111122223333:role\/break-glass"; expected a list of IAM role or user ARN patterns/,
    ],
    [
      "a break-glass principal is a service or another kind of ARN",
      { ...VALID, breakGlassPrincipals: ["arn:aws:s3:::bucket/*"] },
      /"breakGlassPrincipals"\[0\] is "arn:aws:s3:::bucket\/\*"; expected an IAM role or user ARN of this account/,
    ],
    [
      "a break-glass principal is every account's",
      { ...VALID, breakGlassPrincipals: ["arn:aws:iam::*:role/break-glass"] },
      /"breakGlassPrincipals"\[0\] is "arn:aws:iam::\*:role\/break-glass"; expected an IAM role or user ARN/,
    ],
    [
      "extraNodeRoleArns is a string",
      { ...VALID, extraNodeRoleArns: "arn:aws:iam::111122223333:role/karpenter-node" },
      /"extraNodeRoleArns" is "arn:aws:iam::111122223333:role\/karpenter-node"; expected a list of IAM role ARNs/,
    ],
    [
      "an extra node role is a role name, not an ARN",
      { ...VALID, extraNodeRoleArns: ["karpenter-node"] },
      /"extraNodeRoleArns"\[0\] is "karpenter-node"; expected an IAM role ARN such as "arn:aws:iam::111122223333:role\/karpenter-node"/,
    ],
    [
      "an extra node role is a user ARN",
      { ...VALID, extraNodeRoleArns: ["arn:aws:iam::111122223333:user/alice"] },
      /"extraNodeRoleArns"\[0\] is "arn:aws:iam::111122223333:user\/alice"; expected an IAM role ARN/,
    ],
    [
      "an extra node role is a pattern",
      { ...VALID, extraNodeRoleArns: ["arn:aws:iam::111122223333:role/nodes-*"] },
      /"extraNodeRoleArns"\[0\] is "arn:aws:iam::111122223333:role\/nodes-\*"; expected an IAM role ARN/,
    ],
    [
      "an extra node role has a path",
      { ...VALID, extraNodeRoleArns: ["arn:aws:iam::111122223333:role/eks/karpenter-node"] },
      /"extraNodeRoleArns"\[0\] is "arn:aws:iam::111122223333:role\/eks\/karpenter-node", a role ARN with a path; .*write arn:aws:iam::ACCOUNT:role\/NAME/,
    ],
    [
      "an extra node role's name has a comma",
      { ...VALID, extraNodeRoleArns: ["arn:aws:iam::111122223333:role/a,b"] },
      /"extraNodeRoleArns"\[0\] is "arn:aws:iam::111122223333:role\/a,b", which contains a comma/,
    ],
    [
      "alertClasses is a string",
      { ...VALID, alertClasses: "dangerous" },
      /"alertClasses" is "dangerous"; expected a list of write classes that alert, each one of aws-internal, cosmetic, routine, dangerous, rejected, dry-run, unverified/,
    ],
    [
      "alertClasses names an unknown class",
      { ...VALID, alertClasses: ["dangerous", "suspicious"] },
      /"alertClasses"\[1\] is "suspicious"; expected one of aws-internal, cosmetic, routine, dangerous, rejected, dry-run, unverified\./,
    ],
    [
      "alertClasses is empty without alertMinSeverity",
      { ...VALID, alertClasses: [] },
      /"alertClasses" is an empty list and "alertMinSeverity" is not set, so no write to aws-auth would ever alert/,
    ],
    [
      "alertMinSeverity is not a severity",
      { ...VALID, alertMinSeverity: "urgent" },
      /"alertMinSeverity" is "urgent"; expected one of "info", "low", "medium", "high", "critical"/,
    ],
    [
      "alertMinSeverity is upper-case",
      { ...VALID, alertMinSeverity: "HIGH" },
      /"alertMinSeverity" is "HIGH"; expected one of "info"/,
    ],
    [
      "alertMinSeverity is a number",
      { ...VALID, alertMinSeverity: 3 },
      /"alertMinSeverity" is 3; expected one of "info"/,
    ],
    [
      "slack misses the channel",
      { ...VALID, slack: { workspaceId: "T1" } },
      /"slack\.channelId" is missing; expected the Slack channel id/,
    ],
    [
      "slack has an unknown field",
      { ...VALID, slack: { workspaceId: "T1", channelId: "C1", channel: "#ops" } },
      /"slack" has unknown field\(s\) channel/,
    ],
    [
      "grantAccessEntries is not a boolean",
      { ...VALID, grantAccessEntries: "yes" },
      /"grantAccessEntries" is "yes"; expected true or false \(default true\)/,
    ],
    [
      "vpc has no subnets",
      { ...VALID, vpc: { vpcId: "vpc-0123456789abcdef0", subnetIds: [] } },
      /"vpc\.subnetIds" is \[\]; expected a non-empty list of subnet ids/,
    ],
    [
      "vpc has a bad id",
      { ...VALID, vpc: { vpcId: "my-vpc", subnetIds: ["subnet-0123456789abcdef0"] } },
      /"vpc\.vpcId" is "my-vpc"; expected a VPC id/,
    ],
    [
      "a security group id is wrong",
      {
        ...VALID,
        vpc: {
          vpcId: "vpc-0123456789abcdef0",
          subnetIds: ["subnet-0123456789abcdef0"],
          securityGroupIds: ["default"],
        },
      },
      /"vpc\.securityGroupIds"\[0\] is "default"/,
    ],
    [
      "snapshotRetentionDays is not a whole number",
      { ...VALID, snapshotRetentionDays: 0.5 },
      /"snapshotRetentionDays" is 0\.5; expected a whole number of days/,
    ],
    [
      "objectLock is not a boolean",
      { ...VALID, objectLock: "governance" },
      /"objectLock" is "governance"; expected true or false \(default false\)/,
    ],
    [
      "verifySchedule is a cron expression",
      { ...VALID, verifySchedule: "cron(0 * * * ? *)" },
      /"verifySchedule" is "cron\(0 \* \* \* \? \*\)"; expected an EventBridge rate expression/,
    ],
    ["verifySchedule has the wrong plural", { ...VALID, verifySchedule: "rate(1 hours)" }, /singular for 1/],
    [
      "verifySchedule is too frequent",
      { ...VALID, verifySchedule: "rate(1 minute)" },
      /at least 5 minutes apart/,
    ],
  ])("fails when %s", (_name, context, message) => {
    // Act
    const read = () => load(context);

    // Assess
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(message);
  });
});

describe("checkContextKeys", () => {
  it("accepts the guardian's keys and the CDK's own (feature flags, aws:cdk:…, lookups)", () => {
    expect(() => checkContextKeys(Object.keys(CDK_CONTEXT))).not.toThrow();
    expect(() =>
      checkContextKeys([
        "aws:cdk:enable-path-metadata",
        "availability-zones:account=111122223333:region=eu-west-1",
        "acknowledged-issue-numbers",
      ]),
    ).not.toThrow();
  });

  it.each([
    ["cluster", "clusters"],
    ["alertEmail", "alertEmails"],
    ["trustedWriter", "trustedWriters"],
    ["verifyschedule", "verifySchedule"],
    ["slak", "slack"],
  ])("fails on %s, naming the closest key %s", (typo, known) => {
    expect(() => checkContextKeys([...CONFIG_KEYS, typo])).toThrow(
      new RegExp(`^unknown context key "${typo}"; did you mean "${known}"\\?`),
    );
  });

  it("fails on a key like no other without guessing", () => {
    expect(() => checkContextKeys(["xyzzy"])).toThrow(
      /^unknown context key "xyzzy" The guardian reads clusters,/,
    );
  });
});

describe("configWarnings", () => {
  it("warns when alerts have no destination: no e-mail, no Slack", () => {
    const warnings = configWarnings(load({ ...VALID, alertEmails: [] }));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^No alert destination: "alertEmails" is empty and "slack" is not set/);
  });

  it("is quiet with an e-mail address or a Slack channel", () => {
    expect(configWarnings(load(VALID))).toEqual([]);
    expect(
      configWarnings(
        load({ ...VALID, alertEmails: [], slack: { workspaceId: "T0123ABCD", channelId: "C0123ABCD" } }),
      ),
    ).toEqual([]);
  });
});

describe("a single cluster given as a string", () => {
  it("is a list of one (-c clusters=prod)", () => {
    expect(load({ ...VALID, clusters: "prod-eu-1" }).clusters).toEqual(["prod-eu-1"]);
  });
});

describe("rateToMinutes", () => {
  it.each([
    ["rate(5 minutes)", 5],
    ["rate(1 hour)", 60],
    ["rate(6 hours)", 360],
    ["rate(2 days)", 2880],
  ])("%s is %i minutes", (rate, minutes) => {
    // Act
    const result = rateToMinutes(rate);

    // Assess
    expect(result).toBe(minutes);
  });
});
