/**
 * The synthesized guardian stack: security-relevant wiring asserted with `Template`, for the example
 * configuration in cdk.json and for the other shapes the configuration can take. Synthesized without
 * bundling (see synth.ts).
 */
import { App, type CfnElement, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as iam from "aws-cdk-lib/aws-iam";
import { describe, expect, it } from "vitest";
import { AWS_AUTH_WRITE_FILTER_PATTERN } from "../../lambda/core/subscription-filter.js";
import {
  AwsAuthGuardian,
  type AwsAuthGuardianProps,
  GuardedClusters,
  type Severity,
  type WriteClass,
} from "../../lib/aws-auth-guardian.js";
import { CDK_CONTEXT, synthesize } from "./synth.js";

type Json = Record<string, unknown>;

const DISCOVER = { clusters: "discover" };
const NETWORK = {
  vpc: {
    vpcId: "vpc-0123456789abcdef0",
    subnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
  },
};

function resourcesOf(template: ReturnType<typeof synthesize>["template"], type: string): [string, Json][] {
  return Object.entries(template.findResources(type)) as [string, Json][];
}

function only<T>(items: T[]): T {
  expect(items).toHaveLength(1);
  return items[0] as T;
}

/** The logical id of the guardian's resource `name` (its construct path below the guardian, e.g. `Clusterdemo…`). */
function logicalIdOf(
  template: ReturnType<typeof synthesize>["template"],
  type: string,
  name: string,
): string {
  const pattern = new RegExp(`^Guardian${name}[0-9A-F]{8}$`);
  return only(resourcesOf(template, type).filter(([id]) => pattern.test(id)))[0];
}

/** Every policy statement attached to the role whose logical id contains `roleFragment`. */
function statementsOf(template: ReturnType<typeof synthesize>["template"], roleFragment: string): Json[] {
  return resourcesOf(template, "AWS::IAM::Policy")
    .filter(([, policy]) => JSON.stringify((policy.Properties as Json).Roles).includes(roleFragment))
    .flatMap(([, policy]) => ((policy.Properties as Json).PolicyDocument as { Statement: Json[] }).Statement);
}

function actionsOf(statements: Json[]): string[] {
  return statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]) as string[]).sort();
}

/**
 * What a function that snapshots and alerts is granted whatever else it does: its log streams, the snapshot
 * objects and listing, the alert topic, the key, and the failure queue.
 */
const SNAPSHOT_AND_ALERT_ACTIONS = [
  "kms:Decrypt",
  "kms:GenerateDataKey",
  "logs:CreateLogStream",
  "logs:PutLogEvents",
  // Moves a deletion to its place when a late write lands before it; never object versions.
  "s3:DeleteObject",
  "s3:GetObject",
  "s3:ListBucket",
  "s3:PutObject",
  "sns:Publish",
  "sqs:SendMessage",
];
/** The classifier reads a cluster's access picture after each access-entry change (lib/access-events.ts). */
const ACCESS_PICTURE_READS = [
  "eks:DescribeCluster",
  "eks:ListAccessEntries",
  "eks:DescribeAccessEntry",
  "eks:ListAssociatedAccessPolicies",
];
/** What verify reads for the access facts (trail, creator, drift) besides the restore's own reads. */
const FACTS_READS = [
  "cloudtrail:DescribeTrails",
  "cloudtrail:LookupEvents",
  "cloudtrail:GetTrailStatus",
  "cloudtrail:GetEventSelectors",
  "eks:DescribeCluster",
  "eks:ListAccessEntries",
  "eks:DescribeAccessEntry",
  "eks:ListAssociatedAccessPolicies",
];
/** What `restore --access-entries` through the cluster-access function calls (lib/access-events.ts). */
const ACCESS_ENTRY_RESTORE_ACTIONS = [
  "eks:ListAccessEntries",
  "eks:CreateAccessEntry",
  "eks:AssociateAccessPolicy",
  "eks:DeleteAccessEntry",
  "eks:DescribeAccessEntry",
  "eks:DisassociateAccessPolicy",
  "eks:ListAssociatedAccessPolicies",
  "eks:UpdateAccessEntry",
];

/** The environment variables of the guardian's function `name` (e.g. `ClassifierFunction`). */
function environmentOf(template: ReturnType<typeof synthesize>["template"], name: string): Json {
  const fn = template.findResources("AWS::Lambda::Function")[
    logicalIdOf(template, "AWS::Lambda::Function", name)
  ] as Json;
  return ((fn.Properties as Json).Environment as { Variables: Json }).Variables;
}

/** `{ "Fn::GetAtt": [<the cluster-access role>, "Arn"] }`: GUARDIAN_WRITERS and the access entries' principal. */
function clusterAccessRoleArn(template: ReturnType<typeof synthesize>["template"]): Json {
  return { "Fn::GetAtt": [logicalIdOf(template, "AWS::IAM::Role", "ClusterAccessRole"), "Arn"] };
}

describe("the example configuration (cdk.json: one static cluster, demo)", () => {
  const { template } = synthesize();

  it("subscribes demo's audit log group with exactly the shared filter pattern", () => {
    // Assess
    const filter = only(resourcesOf(template, "AWS::Logs::SubscriptionFilter"))[1].Properties as Json;
    expect(filter.FilterPattern).toBe(AWS_AUTH_WRITE_FILTER_PATTERN);
    expect(filter).toMatchObject({ LogGroupName: "/aws/eks/demo/cluster", FilterName: "aws-auth-guardian" });
    expect(filter.DestinationArn).toEqual({
      "Fn::GetAtt": [logicalIdOf(template, "AWS::Lambda::Function", "ClassifierFunction"), "Arn"],
    });
  });

  it("lets CloudWatch Logs invoke the classifier from demo's log group only, before the filter exists", () => {
    // Assess
    const [permissionId, permission] = only(
      resourcesOf(template, "AWS::Lambda::Permission").filter(
        ([, p]) => (p.Properties as Json).Principal === "logs.amazonaws.com",
      ),
    );
    expect(JSON.stringify((permission.Properties as Json).SourceArn)).toContain(
      ":log-group:/aws/eks/demo/cluster:*",
    );
    const [, filter] = only(resourcesOf(template, "AWS::Logs::SubscriptionFilter"));
    expect(filter.DependsOn).toContain(permissionId);
  });

  it("gives the cluster-access role a STANDARD access entry with edit rights in kube-system only", () => {
    // Assess
    template.hasResourceProperties("AWS::EKS::AccessEntry", {
      ClusterName: "demo",
      Type: "STANDARD",
      PrincipalArn: { "Fn::GetAtt": [logicalIdOf(template, "AWS::IAM::Role", "ClusterAccessRole"), "Arn"] },
      AccessPolicies: [
        {
          PolicyArn: {
            "Fn::Join": [
              "",
              ["arn:", { Ref: "AWS::Partition" }, ":eks::aws:cluster-access-policy/AmazonEKSEditPolicy"],
            ],
          },
          AccessScope: { Type: "namespace", Namespaces: ["kube-system"] },
        },
      ],
    });
  });

  it("keeps snapshots in a versioned, KMS-encrypted, private, TLS-only bucket that survives stack deletion", () => {
    // Assess
    const keyId = logicalIdOf(template, "AWS::KMS::Key", "Key");
    template.hasResource("AWS::S3::Bucket", {
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
      Properties: Match.objectLike({
        VersioningConfiguration: { Status: "Enabled" },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              BucketKeyEnabled: true,
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: "aws:kms",
                KMSMasterKeyID: { "Fn::GetAtt": [keyId, "Arn"] },
              },
            },
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LoggingConfiguration: Match.objectLike({ LogFilePrefix: "snapshot-bucket/" }),
      }),
    });
    const bucketId = logicalIdOf(template, "AWS::S3::Bucket", "SnapshotBucket");
    template.hasResourceProperties("AWS::S3::BucketPolicy", {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: "Deny",
            Action: "s3:*",
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          }),
          Match.objectLike({
            Effect: "Deny",
            Action: "s3:*",
            Condition: { NumericLessThan: { "s3:TlsVersion": 1.2 } },
          }),
        ]),
      },
    });
  });

  it("keeps every snapshot version by default (no expiration) and has no Object Lock", () => {
    // Assess
    const bucket = template.findResources("AWS::S3::Bucket")[
      logicalIdOf(template, "AWS::S3::Bucket", "SnapshotBucket")
    ] as Json;
    const props = bucket.Properties as Json;
    expect(JSON.stringify(props.LifecycleConfiguration)).not.toContain("Expiration");
    expect(props.ObjectLockEnabled).toBeUndefined();
  });

  it("rotates the key and retains it (deleting it would make the snapshots unreadable)", () => {
    // Assess
    template.hasResource("AWS::KMS::Key", {
      DeletionPolicy: "Retain",
      Properties: Match.objectLike({ EnableKeyRotation: true }),
    });
  });

  /** The statements of the snapshot bucket's policy, by sid. */
  function snapshotBucketStatements(): Record<string, Json> {
    const bucketId = logicalIdOf(template, "AWS::S3::Bucket", "SnapshotBucket");
    const policy = only(
      resourcesOf(template, "AWS::S3::BucketPolicy").filter(
        ([, p]) => JSON.stringify((p.Properties as Json).Bucket) === JSON.stringify({ Ref: bucketId }),
      ),
    )[1];
    const statements = ((policy.Properties as Json).PolicyDocument as { Statement: Json[] }).Statement;
    return Object.fromEntries(statements.filter((st) => st.Sid).map((st) => [st.Sid as string, st]));
  }

  function keyStatements(name = "Key"): Json[] {
    const key = template.findResources("AWS::KMS::Key")[logicalIdOf(template, "AWS::KMS::Key", name)] as Json;
    return ((key.Properties as Json).KeyPolicy as { Statement: Json[] }).Statement;
  }

  const roleArn = (name: string) => ({
    "Fn::GetAtt": [logicalIdOf(template, "AWS::IAM::Role", name), "Arn"],
  });
  const ROOT_USER = {
    "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, ":iam::", { Ref: "AWS::AccountId" }, ":root"]],
  };
  const DEPLOYER = {
    // A CloudFormation Fn::Sub string: its ${…} are CloudFormation's, escaped here.
    "Fn::Sub": `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/cdk-hnb659fds-cfn-exec-role-\${AWS::AccountId}-\${AWS::Region}`,
  };

  it("denies object writes, deletes and version deletes on the snapshot bucket to all but the guardian's writers", () => {
    // Assess
    expect(snapshotBucketStatements().DenyObjectWritesButTheGuardians).toEqual({
      Sid: "DenyObjectWritesButTheGuardians",
      Effect: "Deny",
      Principal: { AWS: "*" },
      Action: [
        "s3:BypassGovernanceRetention",
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
        "s3:PutObject",
        "s3:PutObjectLegalHold",
        "s3:PutObjectRetention",
      ],
      Resource: {
        "Fn::Join": [
          "",
          [{ "Fn::GetAtt": [logicalIdOf(template, "AWS::S3::Bucket", "SnapshotBucket"), "Arn"] }, "/*"],
        ],
      },
      Condition: {
        ArnNotLike: { "aws:PrincipalArn": [roleArn("ClassifierRole"), roleArn("ClusterAccessRole")] },
      },
    });
  });

  it("denies changes to the snapshot bucket's policy, versioning and lifecycle to all but the deployer and root", () => {
    // Assess
    expect(snapshotBucketStatements().DenyBucketChangesButTheAdministrators).toMatchObject({
      Effect: "Deny",
      Principal: { AWS: "*" },
      Action: expect.arrayContaining([
        "s3:PutBucketPolicy",
        "s3:DeleteBucketPolicy",
        "s3:PutBucketVersioning",
        "s3:PutLifecycleConfiguration",
      ]),
      Condition: { ArnNotLike: { "aws:PrincipalArn": [DEPLOYER, ROOT_USER] } },
    });
  });

  it("gives the account root no kms:* and nobody data use of the key through IAM policies", () => {
    // Assess: every Allow names its principals; none grants kms:* or delegates data use to the account.
    const statements = keyStatements();
    expect(statements.map((st) => st.Sid)).toEqual([
      "KeyAdministration",
      "KeyAdministrationByTheRootUser",
      "AllowCloudWatchAlarmsToUseTheAlertTopic",
      "DataUseByTheGuardiansRoles",
    ]);
    expect(JSON.stringify(statements)).not.toContain('"kms:*"');
    const dataActions = /^kms:(Decrypt|Encrypt|GenerateDataKey|ReEncrypt|GenerateMac|VerifyMac)/;
    const admin = statements.filter((st) => String(st.Sid).startsWith("KeyAdministration"));
    for (const st of admin) expect((st.Action as string[]).filter((a) => dataActions.test(a))).toEqual([]);
    // The root principal only with aws:PrincipalArn = the root user: no delegation to the account's IAM policies.
    expect(admin[1]?.Condition).toEqual({ ArnEquals: { "aws:PrincipalArn": ROOT_USER } });
    expect(admin[0]?.Principal).toEqual({ AWS: DEPLOYER });
  });

  it("lets only the guardian's three roles (through S3, SNS and SQS) and CloudWatch alarms use the key for data", () => {
    // Assess
    const data = keyStatements().filter((st) => !String(st.Sid).startsWith("KeyAdministration"));
    expect(data).toEqual([
      expect.objectContaining({
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      }),
      expect.objectContaining({
        Principal: {
          AWS: [roleArn("ClassifierRole"), roleArn("ClusterAccessRole"), roleArn("DiscoveryRole")],
        },
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Condition: {
          StringEquals: {
            "kms:ViaService": ["s3.", "sns.", "sqs."].map((service) => ({
              "Fn::Join": ["", [service, { Ref: "AWS::Region" }, ".amazonaws.com"]],
            })),
          },
        },
      }),
    ]);
  });

  it("makes an HMAC_256 integrity key, retained, administered like the data key, with no data use by anyone else", () => {
    // Assess
    const integrityId = logicalIdOf(template, "AWS::KMS::Key", "IntegrityKey");
    const key = template.findResources("AWS::KMS::Key")[integrityId] as Json;
    expect(key).toMatchObject({
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
      Properties: { KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" },
    });
    const statements = keyStatements("IntegrityKey");
    expect(statements.map((st) => st.Sid)).toEqual([
      "KeyAdministration",
      "KeyAdministrationByTheRootUser",
      "RecordMacsByTheGuardiansWriters",
      "VerifyRecordMacsBeforeARestore",
    ]);
    expect(JSON.stringify(statements)).not.toContain('"kms:*"');
    expect(statements.slice(0, 2)).toEqual(keyStatements("Key").slice(0, 2));
  });

  it("lets only the guardian's writers make record MACs and only the cluster-access role verify them", () => {
    // Assess
    const [, , generate, verify] = keyStatements("IntegrityKey");
    expect(generate).toEqual({
      Sid: "RecordMacsByTheGuardiansWriters",
      Effect: "Allow",
      Principal: { AWS: [roleArn("ClassifierRole"), roleArn("ClusterAccessRole")] },
      Action: "kms:GenerateMac",
      Resource: "*",
    });
    expect(verify).toEqual({
      Sid: "VerifyRecordMacsBeforeARestore",
      Effect: "Allow",
      Principal: { AWS: roleArn("ClusterAccessRole") },
      Action: "kms:VerifyMac",
      Resource: "*",
    });
    // No identity policy grants either (the key policy is the only grant), and no role gets kms:*Mac on "*".
    const identity = resourcesOf(template, "AWS::IAM::Policy").map(([, p]) => JSON.stringify(p));
    for (const policy of identity) expect(policy).not.toMatch(/kms:(GenerateMac|VerifyMac|\*)/);
    // The functions that sign or verify are told which key.
    const keyArn = { "Fn::GetAtt": [logicalIdOf(template, "AWS::KMS::Key", "IntegrityKey"), "Arn"] };
    expect(environmentOf(template, "ClassifierFunction").INTEGRITY_KEY_ID).toEqual(keyArn);
    expect(environmentOf(template, "ClusterAccessFunction").INTEGRITY_KEY_ID).toEqual(keyArn);
    expect(environmentOf(template, "DiscoveryFunction").INTEGRITY_KEY_ID).toBeUndefined();
  });

  it("lets the writers read and write the MAC objects beside the snapshots, and nothing else of the bucket", () => {
    // Assess
    for (const role of ["ClassifierRole", "ClusterAccessRole"]) {
      const readWrite = statementsOf(template, role).find((st) => st.Sid === "ReadWriteSnapshots");
      expect(JSON.stringify(readWrite?.Resource)).toContain("/clusters/*");
      expect(JSON.stringify(readWrite?.Resource)).toContain("/integrity/*");
      expect(readWrite?.Resource).toHaveLength(2);
    }
  });

  it("encrypts the alert topic, refuses plain HTTP publishes, and lets only this account's alarms in", () => {
    // Assess
    const keyId = logicalIdOf(template, "AWS::KMS::Key", "Key");
    template.hasResourceProperties("AWS::SNS::Topic", { KmsMasterKeyId: { "Fn::GetAtt": [keyId, "Arn"] } });
    template.hasResourceProperties("AWS::SNS::TopicPolicy", {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Effect: "Deny",
            Principal: "*",
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          }),
          Match.objectLike({
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: "sns:Publish",
            Condition: Match.objectLike({ StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } }),
          }),
        ],
      },
    });
    template.hasResourceProperties("AWS::KMS::Key", {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: ["kms:Decrypt", "kms:GenerateDataKey"],
          }),
        ]),
      },
    });
  });

  it("subscribes the configured e-mail address", () => {
    // Assess
    template.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "platform-oncall@example.com",
    });
  });

  it("builds the classifier as an arm64 nodejs22.x function with its own log group and the contract's environment", () => {
    // Assess
    const classifier = template.findResources("AWS::Lambda::Function")[
      logicalIdOf(template, "AWS::Lambda::Function", "ClassifierFunction")
    ] as Json;
    const props = classifier.Properties as Json;
    expect(props).toMatchObject({
      Runtime: "nodejs22.x",
      Architectures: ["arm64"],
      Handler: "index.handler",
    });
    expect((props.LoggingConfig as Json).LogGroup).toEqual({
      Ref: logicalIdOf(template, "AWS::Logs::LogGroup", "ClassifierLogGroup"),
    });
    expect((props.Environment as { Variables: Json }).Variables).toEqual({
      NODE_OPTIONS: "--enable-source-maps",
      POWERTOOLS_SERVICE_NAME: "aws-auth-guardian",
      POWERTOOLS_METRICS_NAMESPACE: "AwsAuthGuardian",
      SNAPSHOT_BUCKET: { Ref: logicalIdOf(template, "AWS::S3::Bucket", "SnapshotBucket") },
      ALERT_TOPIC_ARN: { Ref: logicalIdOf(template, "AWS::SNS::Topic", "AlertTopic") },
      CAPTURE_FUNCTION_NAME: { Ref: logicalIdOf(template, "AWS::Lambda::Function", "ClusterAccessFunction") },
      TRUSTED_WRITERS: "arn:aws:iam::111122223333:role/platform-terraform",
      GUARDIAN_WRITERS: {
        "Fn::GetAtt": [logicalIdOf(template, "AWS::IAM::Role", "ClusterAccessRole"), "Arn"],
      },
      INTEGRITY_KEY_ID: { "Fn::GetAtt": [logicalIdOf(template, "AWS::KMS::Key", "IntegrityKey"), "Arn"] },
      // Access-entry events: only the guarded clusters, and the guardian's own entry to watch for.
      GUARDED_CLUSTERS: "demo",
      GUARDIAN_ACCESS_ROLE_ARN: {
        "Fn::GetAtt": [logicalIdOf(template, "AWS::IAM::Role", "ClusterAccessRole"), "Arn"],
      },
    });
    template.hasResourceProperties("AWS::Logs::LogGroup", { RetentionInDays: 365 });
  });

  it("gives the cluster-access function the same writers, so that it judges versions as the classifier does", () => {
    // Assess
    expect(environmentOf(template, "ClusterAccessFunction")).toEqual({
      NODE_OPTIONS: "--enable-source-maps",
      POWERTOOLS_SERVICE_NAME: "aws-auth-guardian",
      POWERTOOLS_METRICS_NAMESPACE: "AwsAuthGuardian",
      SNAPSHOT_BUCKET: { Ref: logicalIdOf(template, "AWS::S3::Bucket", "SnapshotBucket") },
      ALERT_TOPIC_ARN: { Ref: logicalIdOf(template, "AWS::SNS::Topic", "AlertTopic") },
      GUARDIAN_WRITERS: clusterAccessRoleArn(template),
      TRUSTED_WRITERS: "arn:aws:iam::111122223333:role/platform-terraform",
      INTEGRITY_KEY_ID: { "Fn::GetAtt": [logicalIdOf(template, "AWS::KMS::Key", "IntegrityKey"), "Arn"] },
    });
  });

  it("gives the cluster-access role no path, so that its ARN (GUARDIAN_WRITERS) is the canonical ARN of its writes", () => {
    // Prepare: the classifier matches GUARDIAN_WRITERS against the writer's canonical ARN,
    // arn:aws:iam::ACCOUNT:role/NAME, which never has a path; a role with one would make its restores unrecognised.
    const roleId = logicalIdOf(template, "AWS::IAM::Role", "ClusterAccessRole");

    // Act
    const role = template.findResources("AWS::IAM::Role")[roleId] as Json;

    // Assess
    expect(role.Properties as Json).not.toHaveProperty("Path");
    expect(environmentOf(template, "ClassifierFunction").GUARDIAN_WRITERS).toEqual({
      "Fn::GetAtt": [roleId, "Arn"],
    });
    expect(environmentOf(template, "ClusterAccessFunction").GUARDIAN_WRITERS).toEqual({
      "Fn::GetAtt": [roleId, "Arn"],
    });
  });

  it("sends every function's failed async invocations, after 2 retries, to the KMS-encrypted failure queue", () => {
    // Assess
    const queueId = logicalIdOf(template, "AWS::SQS::Queue", "FailureQueue");
    const configs = resourcesOf(template, "AWS::Lambda::EventInvokeConfig");
    expect(configs).toHaveLength(3);
    for (const [, config] of configs) {
      expect(config.Properties).toMatchObject({
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: { "Fn::GetAtt": [queueId, "Arn"] } } },
      });
    }
    template.hasResourceProperties("AWS::SQS::Queue", {
      KmsMasterKeyId: { "Fn::GetAtt": [logicalIdOf(template, "AWS::KMS::Key", "Key"), "Arn"] },
      MessageRetentionPeriod: 1209600,
    });
    template.hasResourceProperties("AWS::SQS::QueuePolicy", {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
        ],
      },
    });
  });

  it("gives the classifier only what the contract lists, without wildcard actions", () => {
    // Assess
    const statements = statementsOf(template, "ClassifierRole");
    expect(actionsOf(statements)).toEqual(
      [...SNAPSHOT_AND_ALERT_ACTIONS, "lambda:InvokeFunction", ...ACCESS_PICTURE_READS].sort(),
    );
    const invoke = statements.find((s) => s.Action === "lambda:InvokeFunction");
    expect(invoke?.Resource).toEqual({
      "Fn::GetAtt": [logicalIdOf(template, "AWS::Lambda::Function", "ClusterAccessFunction"), "Arn"],
    });
    const objects = statements.find((s) => JSON.stringify(s.Action).includes("s3:PutObject"));
    expect(JSON.stringify(objects?.Resource)).toContain("/clusters/*");
    const deletes = statements.find((s) => JSON.stringify(s.Action).includes("s3:DeleteObject"));
    expect(deletes?.Action).toBe("s3:DeleteObject");
    expect(JSON.stringify(deletes?.Resource)).toContain("/clusters/*");
  });

  it("lets the cluster-access function describe only demo, and use snapshots and alerts", () => {
    // Assess
    const statements = statementsOf(template, "ClusterAccessRole");
    const allowed = statements.filter((s) => s.Effect === "Allow");
    expect(actionsOf(allowed)).toEqual(
      [
        ...SNAPSHOT_AND_ALERT_ACTIONS,
        "eks:DescribeCluster",
        ...ACCESS_ENTRY_RESTORE_ACTIONS,
        ...FACTS_READS,
      ].sort(),
    );
    const describe = statements.find((s) => s.Action === "eks:DescribeCluster");
    expect(JSON.stringify(describe?.Resource)).toContain(":cluster/demo");
  });

  it("runs verify for demo every 6 hours", () => {
    // Assess
    const accessFn = logicalIdOf(template, "AWS::Lambda::Function", "ClusterAccessFunction");
    template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(6 hours)",
      Targets: [
        Match.objectLike({
          Arn: { "Fn::GetAtt": [accessFn, "Arn"] },
          Input: JSON.stringify({ action: "verify", cluster: "demo" }),
          RetryPolicy: { MaximumRetryAttempts: 2 },
        }),
      ],
    });
  });

  it("runs discovery at deploy (after the filter and the access entry exist), daily, and on CloudTrail cluster events", () => {
    // Assess
    const [, discovery] = only(resourcesOf(template, "Custom::AwsAuthGuardianDiscovery"));
    expect(discovery.DependsOn).toEqual(
      expect.arrayContaining([
        logicalIdOf(template, "AWS::Logs::SubscriptionFilter", "ClusterdemoSubscriptionFilter"),
        logicalIdOf(template, "AWS::EKS::AccessEntry", "ClusterdemoAccessEntry"),
      ]),
    );
    expect(discovery.Properties).toMatchObject({
      FilterPattern: AWS_AUTH_WRITE_FILTER_PATTERN,
      Clusters: "demo",
      AccessEntries: "check",
    });
    template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(1 day)",
      Targets: [Match.objectLike({ Input: JSON.stringify({ action: "discover" }) })],
    });
    template.hasResourceProperties("AWS::Events::Rule", {
      EventPattern: {
        source: ["aws.eks"],
        "detail-type": ["AWS API Call via CloudTrail"],
        detail: { eventSource: ["eks.amazonaws.com"], eventName: ["CreateCluster", "UpdateClusterConfig"] },
      },
      Targets: [
        Match.objectLike({
          Arn: { "Fn::GetAtt": [logicalIdOf(template, "AWS::SQS::Queue", "ClusterEventQueue"), "Arn"] },
        }),
      ],
    });
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      FunctionResponseTypes: ["ReportBatchItemFailures"],
    });
    template.hasResourceProperties("AWS::SQS::Queue", {
      VisibilityTimeout: 600,
      SqsManagedSseEnabled: true,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 8 }),
    });
  });

  it("checks (does not create) access entries in static mode and cannot create or associate them", () => {
    // Assess
    const fn = template.findResources("AWS::Lambda::Function")[
      logicalIdOf(template, "AWS::Lambda::Function", "DiscoveryFunction")
    ] as Json;
    expect(((fn.Properties as Json).Environment as { Variables: Json }).Variables).toMatchObject({
      CLUSTERS: "demo",
      ACCESS_ENTRIES: "check",
      FILTER_NAME: "aws-auth-guardian",
    });
    const actions = actionsOf(statementsOf(template, "DiscoveryRole"));
    expect(actions).not.toContain("eks:CreateAccessEntry");
    expect(actions).not.toContain("eks:AssociateAccessPolicy");
    expect(actions).not.toContain("eks:ListClusters");
  });

  it("alarms on the guardian itself, every alarm notifying the alert topic", () => {
    // Assess
    const alarms = resourcesOf(template, "AWS::CloudWatch::Alarm");
    const topic = { Ref: logicalIdOf(template, "AWS::SNS::Topic", "AlertTopic") };
    expect(alarms.map(([id]) => id.replace(/[0-9A-F]{8}$/, "")).sort()).toEqual(
      [
        "GuardianClassifierErrorsAlarm",
        "GuardianClusterAccessErrorsAlarm",
        "GuardianClusterEventDeadLetterAlarm",
        "GuardianDeliveryErrorsAlarm",
        "GuardianDiscoveryErrorsAlarm",
        "GuardianFailureQueueDepthAlarm",
        "GuardianVerifyDriftAlarm",
        // lib/access-events.ts, under its own construct
        "GuardianAccessEventsDeadLetterAlarm",
        "GuardianAccessEventsFailedInvocationsAlarm",
      ].sort(),
    );
    for (const [, alarm] of alarms) expect((alarm.Properties as Json).AlarmActions).toEqual([topic]);
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Metrics: [
        Match.objectLike({
          Expression: `SELECT SUM(DeliveryErrors) FROM "AWS/Logs" WHERE FilterName = 'aws-auth-guardian'`,
        }),
      ],
    });
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Metrics: [
        Match.objectLike({ Expression: `SELECT MAX(VerifyDrift) FROM "AwsAuthGuardian"`, Period: 3600 }),
      ],
      Threshold: 1,
      TreatMissingData: "notBreaching",
    });
  });

  it("outputs the bucket, the topic, the functions and the exact restore command", () => {
    // Assess
    const accessFn = logicalIdOf(template, "AWS::Lambda::Function", "ClusterAccessFunction");
    template.hasOutput("SnapshotBucketName", {
      Value: { Ref: logicalIdOf(template, "AWS::S3::Bucket", "SnapshotBucket") },
    });
    template.hasOutput("AlertTopicArn", {
      Value: { Ref: logicalIdOf(template, "AWS::SNS::Topic", "AlertTopic") },
    });
    template.hasOutput("ClassifierFunctionName", Match.anyValue());
    template.hasOutput("DiscoveryFunctionName", Match.anyValue());
    template.hasOutput("ClusterAccessFunctionName", { Value: { Ref: accessFn } });
    template.hasOutput("RestoreCommand", {
      Value: {
        "Fn::Join": ["", ["aws-auth-guardian restore --cluster demo --function ", { Ref: accessFn }]],
      },
    });
  });

  it("has no Slack channel and no VPC configuration unless configured", () => {
    // Assess
    template.resourceCountIs("AWS::Chatbot::SlackChannelConfiguration", 0);
    template.resourceCountIs("AWS::EC2::SecurityGroup", 0);
  });
});

describe('discovery mode (clusters: "discover")', () => {
  const { template } = synthesize(DISCOVER);

  it("declares no filter and no access entry: discovery puts them, with the same pattern", () => {
    // Assess
    template.resourceCountIs("AWS::Logs::SubscriptionFilter", 0);
    template.resourceCountIs("AWS::EKS::AccessEntry", 0);
    template.hasResourceProperties("Custom::AwsAuthGuardianDiscovery", {
      FilterPattern: AWS_AUTH_WRITE_FILTER_PATTERN,
      Clusters: "*",
      AccessEntries: "create",
    });
  });

  it("lets CloudWatch Logs invoke the classifier from any EKS control-plane log group of this account", () => {
    // Assess
    const [permissionId, permission] = only(
      resourcesOf(template, "AWS::Lambda::Permission").filter(
        ([, p]) => (p.Properties as Json).Principal === "logs.amazonaws.com",
      ),
    );
    expect(permission.Properties).toMatchObject({ SourceAccount: { Ref: "AWS::AccountId" } });
    expect(JSON.stringify((permission.Properties as Json).SourceArn)).toContain(
      ":log-group:/aws/eks/*/cluster:*",
    );
    const [, discovery] = only(resourcesOf(template, "Custom::AwsAuthGuardianDiscovery"));
    expect(discovery.DependsOn).toContain(permissionId);
  });

  it("lets discovery create only the cluster-access role's STANDARD entry and associate only kube-system edit", () => {
    // Assess
    const statements = statementsOf(template, "DiscoveryRole");
    const create = statements.find((s) => s.Action === "eks:CreateAccessEntry");
    const roleArn = { "Fn::GetAtt": [logicalIdOf(template, "AWS::IAM::Role", "ClusterAccessRole"), "Arn"] };
    expect(create?.Condition).toEqual({
      StringEquals: { "eks:principalArn": roleArn, "eks:accessEntryType": "STANDARD" },
    });
    const associate = statements.find((s) => s.Action === "eks:AssociateAccessPolicy");
    expect(associate?.Condition).toMatchObject({
      StringEquals: { "eks:accessScope": "namespace" },
      "ForAllValues:StringEquals": { "eks:namespaces": ["kube-system"] },
    });
    expect(JSON.stringify(associate?.Resource)).toContain(":access-entry/*/role/");
    expect(actionsOf(statements)).toContain("eks:ListClusters");
  });

  it("verifies through discovery, which fans out one verify per guarded cluster", () => {
    // Assess
    template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(6 hours)",
      Targets: [
        Match.objectLike({
          Arn: { "Fn::GetAtt": [logicalIdOf(template, "AWS::Lambda::Function", "DiscoveryFunction"), "Arn"] },
          Input: JSON.stringify({ action: "verify" }),
        }),
      ],
    });
    template.hasOutput("RestoreCommand", {
      Value: Match.objectLike({
        "Fn::Join": ["", Match.arrayWith(["aws-auth-guardian restore --cluster <name> --function "])],
      }),
    });
  });
});

describe("other configurations", () => {
  it("spreads more than five static clusters over verify rules of at most five targets", () => {
    // Act
    const { template } = synthesize({ clusters: ["a", "b", "c", "d", "e", "f"] });

    // Assess
    const verifyRules = resourcesOf(template, "AWS::Events::Rule").filter(([id]) =>
      id.includes("VerifySchedule"),
    );
    expect(verifyRules.map(([, r]) => ((r.Properties as Json).Targets as unknown[]).length)).toEqual([5, 1]);
    template.resourceCountIs("AWS::Logs::SubscriptionFilter", 6);
    template.resourceCountIs("AWS::EKS::AccessEntry", 6);
  });

  it("declares no access entry and no access-entry permission when grantAccessEntries is false", () => {
    // Act
    const { template } = synthesize({ grantAccessEntries: false });

    // Assess
    template.resourceCountIs("AWS::EKS::AccessEntry", 0);
    // Reads stay (the creator's bootstrapped entry is a fact discovery reports); no access-entry write.
    expect(
      actionsOf(statementsOf(template, "DiscoveryRole")).filter(
        (a) => a.includes("Access") && !/^eks:(Describe|List)/.test(a),
      ),
    ).toEqual([]);
    template.hasResourceProperties("Custom::AwsAuthGuardianDiscovery", { AccessEntries: "off" });
  });

  it("puts the cluster-access function in the configured subnets with an outbound-HTTPS-only security group", () => {
    // Act
    const { template } = synthesize(NETWORK);

    // Assess
    const sgId = logicalIdOf(template, "AWS::EC2::SecurityGroup", "ClusterAccessSecurityGroup");
    template.hasResourceProperties("AWS::EC2::SecurityGroup", {
      VpcId: "vpc-0123456789abcdef0",
      SecurityGroupEgress: [
        { CidrIp: "0.0.0.0/0", IpProtocol: "tcp", FromPort: 443, ToPort: 443, Description: Match.anyValue() },
      ],
    });
    expect(JSON.stringify(template.findResources("AWS::EC2::SecurityGroup"))).not.toContain(
      "SecurityGroupIngress",
    );
    template.hasResourceProperties("AWS::Lambda::Function", {
      VpcConfig: {
        SubnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
        SecurityGroupIds: [{ "Fn::GetAtt": [sgId, "GroupId"] }],
      },
    });
    expect(actionsOf(statementsOf(template, "ClusterAccessRole"))).toContain("ec2:CreateNetworkInterface");
    // Only the cluster-access function needs the cluster network.
    const inVpc = resourcesOf(template, "AWS::Lambda::Function").filter(
      ([, f]) => (f.Properties as Json).VpcConfig,
    );
    expect(inVpc.map(([id]) => id)).toEqual([
      logicalIdOf(template, "AWS::Lambda::Function", "ClusterAccessFunction"),
    ]);
  });

  it("uses the configured security groups instead of creating one", () => {
    // Act
    const { template } = synthesize({ vpc: { ...NETWORK.vpc, securityGroupIds: ["sg-0123456789abcdef0"] } });

    // Assess
    template.resourceCountIs("AWS::EC2::SecurityGroup", 0);
    template.hasResourceProperties("AWS::Lambda::Function", {
      VpcConfig: Match.objectLike({ SecurityGroupIds: ["sg-0123456789abcdef0"] }),
    });
  });

  it("subscribes a Slack channel through AWS Chatbot with a read-only guardrail and a role without permissions", () => {
    // Act
    const { template } = synthesize({ slack: { workspaceId: "T0123ABCD", channelId: "C0123ABCD" } });

    // Assess
    template.hasResourceProperties("AWS::Chatbot::SlackChannelConfiguration", {
      SlackWorkspaceId: "T0123ABCD",
      SlackChannelId: "C0123ABCD",
      SnsTopicArns: [{ Ref: logicalIdOf(template, "AWS::SNS::Topic", "AlertTopic") }],
      GuardrailPolicies: [
        { "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, ":iam::aws:policy/ReadOnlyAccess"]] },
      ],
      UserRoleRequired: false,
    });
    const chatbotRole = logicalIdOf(template, "AWS::IAM::Role", "SlackChannelConfigurationRole");
    const role = template.findResources("AWS::IAM::Role")[chatbotRole] as Json;
    expect((role.Properties as Json).ManagedPolicyArns).toBeUndefined();
    expect(statementsOf(template, chatbotRole)).toEqual([]);
  });

  it("turns on Object Lock in governance mode and expires superseded versions after the retention", () => {
    // Act
    const { template } = synthesize({ objectLock: true, snapshotRetentionDays: 90 });

    // Assess
    template.hasResourceProperties("AWS::S3::Bucket", {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: "Enabled",
        Rule: { DefaultRetention: { Mode: "GOVERNANCE", Days: 90 } },
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 90 }, Status: "Enabled" }),
        ]),
      },
    });
  });

  it("passes restoreOperators to the cluster-access function and lets them read snapshots through S3 only", () => {
    // Act
    const { template } = synthesize({ restoreOperators: ["arn:aws:iam::111122223333:role/sre-*"] });

    // Assess
    expect(environmentOf(template, "ClusterAccessFunction").RESTORE_OPERATORS).toBe(
      "arn:aws:iam::111122223333:role/sre-*",
    );
    template.hasResourceProperties("AWS::KMS::Key", {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: "ReadSnapshotsThroughS3",
            Action: "kms:Decrypt",
            Condition: {
              ArnLike: { "aws:PrincipalArn": ["arn:aws:iam::111122223333:role/sre-*"] },
              StringEquals: Match.objectLike({ "kms:ViaService": Match.anyValue() }),
            },
          }),
        ]),
      },
    });
  });

  it("gives key administration to the configured keyAdministrators and bucket writes to breakGlassPrincipals, from cdk.json", () => {
    // Act
    const admins = ["arn:aws:iam::111122223333:role/platform-deployer"];
    const breakGlass = ["arn:aws:iam::111122223333:role/break-glass-*"];
    const { template } = synthesize({ keyAdministrators: admins, breakGlassPrincipals: breakGlass });

    // Assess: both keys administered by exactly the configured role (and the root user), no deployer default.
    for (const key of ["Key", "IntegrityKey"]) {
      const resource = template.findResources("AWS::KMS::Key")[
        logicalIdOf(template, "AWS::KMS::Key", key)
      ] as Json;
      const statements = ((resource.Properties as Json).KeyPolicy as { Statement: Json[] }).Statement;
      expect(statements.find((st) => st.Sid === "KeyAdministration")?.Principal).toEqual({ AWS: admins[0] });
      expect(JSON.stringify(statements)).not.toContain("cfn-exec-role");
      // Break-glass gets no MAC: what it writes is never taken for the guardian's own records.
      expect(JSON.stringify(statements.filter((st) => /Mac/.test(JSON.stringify(st.Action))))).not.toContain(
        "break-glass",
      );
    }
    const policy = only(
      resourcesOf(template, "AWS::S3::BucketPolicy").filter(([id]) => id.includes("SnapshotBucket")),
    )[1];
    const deny = ((policy.Properties as Json).PolicyDocument as { Statement: Json[] }).Statement.find(
      (st) => st.Sid === "DenyObjectWritesButTheGuardians",
    );
    expect(JSON.stringify(deny?.Condition)).toContain("arn:aws:iam::111122223333:role/break-glass-*");
  });

  it("uses the configured verify schedule", () => {
    // Act
    const { template } = synthesize({ verifySchedule: "rate(1 hour)" });

    // Assess
    template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(1 hour)",
      Targets: [Match.objectLike({ Input: JSON.stringify({ action: "verify", cluster: "demo" }) })],
    });
  });

  it("passes extraNodeRoleArns, alertClasses and alertMinSeverity from cdk.json to the functions that read them", () => {
    // Act
    const { template } = synthesize({
      extraNodeRoleArns: [
        "arn:aws:iam::111122223333:role/karpenter-node",
        "arn:aws:iam::111122223333:role/self-managed-nodes",
      ],
      alertClasses: ["dangerous", "unverified"],
      alertMinSeverity: "high",
    });

    // Assess: the classifier reads all three; the cluster-access function reads no ALERT_MIN_SEVERITY.
    const extraNodeRoles =
      "arn:aws:iam::111122223333:role/karpenter-node,arn:aws:iam::111122223333:role/self-managed-nodes";
    expect(environmentOf(template, "ClassifierFunction")).toMatchObject({
      EXTRA_NODE_ROLE_ARNS: extraNodeRoles,
      ALERT_CLASSES: "dangerous,unverified",
      ALERT_MIN_SEVERITY: "high",
      TRUSTED_WRITERS: "arn:aws:iam::111122223333:role/platform-terraform",
      GUARDIAN_WRITERS: clusterAccessRoleArn(template),
    });
    const clusterAccess = environmentOf(template, "ClusterAccessFunction");
    expect(clusterAccess).toMatchObject({
      EXTRA_NODE_ROLE_ARNS: extraNodeRoles,
      ALERT_CLASSES: "dangerous,unverified",
      TRUSTED_WRITERS: "arn:aws:iam::111122223333:role/platform-terraform",
      GUARDIAN_WRITERS: clusterAccessRoleArn(template),
    });
    expect(clusterAccess).not.toHaveProperty("ALERT_MIN_SEVERITY");
  });

  it("passes an empty alertClasses as an empty ALERT_CLASSES when alertMinSeverity decides instead", () => {
    // Act
    const { template } = synthesize({ alertClasses: [], alertMinSeverity: "medium" });

    // Assess
    expect(environmentOf(template, "ClassifierFunction")).toMatchObject({
      ALERT_CLASSES: "",
      ALERT_MIN_SEVERITY: "medium",
    });
  });

  it("sets no EXTRA_NODE_ROLE_ARNS for an empty extraNodeRoleArns", () => {
    // Act
    const { template } = synthesize({ extraNodeRoleArns: [] });

    // Assess
    expect(environmentOf(template, "ClassifierFunction")).not.toHaveProperty("EXTRA_NODE_ROLE_ARNS");
    expect(environmentOf(template, "ClusterAccessFunction")).not.toHaveProperty("EXTRA_NODE_ROLE_ARNS");
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      "extraNodeRoleArns names a role with a path",
      { extraNodeRoleArns: ["arn:aws:iam::111122223333:role/eks/nodes"] },
      /context key "extraNodeRoleArns"\[0\] is "arn:aws:iam::111122223333:role\/eks\/nodes", a role ARN with a path/,
    ],
    [
      "alertClasses names an unknown class",
      { alertClasses: ["loud"] },
      /context key "alertClasses"\[0\] is "loud"; expected one of aws-internal, cosmetic, routine, dangerous, rejected, dry-run, unverified/,
    ],
    [
      "alertMinSeverity is not a severity",
      { alertMinSeverity: "severe" },
      /context key "alertMinSeverity" is "severe"; expected one of "info", "low", "medium", "high", "critical"/,
    ],
  ])("fails at synth when %s", (_name, overrides, message) => {
    // Act
    const build = () => synthesize(overrides);

    // Assess
    expect(build).toThrow(message);
  });

  it("fails at synth with a message naming the key when the configuration is wrong", () => {
    // Act
    const build = () => synthesize({ clusters: "prod eu" });

    // Assess
    expect(build).toThrow(/context key "clusters" is "prod eu"; expected a list of EKS cluster names/);
  });
});

describe("the AwsAuthGuardian construct used directly", () => {
  /** A stack in an app with cdk.json's feature flags that skips bundling, as synth.ts does. */
  function stack(): Stack {
    return new Stack(new App({ context: { ...CDK_CONTEXT, "aws:cdk:bundling-stacks": [] } }), "Stack");
  }

  it("keeps the logical ids of its stateful resources: a changed id would replace the bucket, key or topic", () => {
    // Prepare
    const scope = stack();

    // Act
    const guardian = new AwsAuthGuardian(scope, "Guardian", { clusters: GuardedClusters.named("demo") });

    // Assess: the ids the guardian has always had (the construct path is hashed into them).
    const idOf = (construct: { node: { defaultChild?: unknown } }) =>
      scope.getLogicalId(construct.node.defaultChild as CfnElement);
    expect(idOf(guardian.snapshotBucket)).toBe("GuardianSnapshotBucketFCB29661");
    expect(idOf(guardian.encryptionKey)).toBe("GuardianKeyE01995E2");
    expect(idOf(guardian.alertTopic)).toBe("GuardianAlertTopicCFAD1271");
    // The parts expose what the guardian exposes: the same objects, not copies.
    expect(guardian.storage.snapshotBucket).toBe(guardian.snapshotBucket);
    expect(guardian.alerting.alertTopic).toBe(guardian.alertTopic);
    expect(guardian.clusterAccess.clusterAccessRole).toBe(guardian.clusterAccessRole);
    expect(guardian.classifier.subscriptionFilters).toHaveLength(1);
    expect(guardian.discovery.discoveryFunction).toBe(guardian.discoveryFunction);
    expect(guardian.selfMonitoring.alarms).toHaveLength(7);
    expect(guardian.accessEvents.alarms).toHaveLength(2);
    expect(guardian.alarms).toHaveLength(9);
  });

  it("exempts the break-glass principals from the bucket's denials and names the configured key administrators", () => {
    // Prepare
    const scope = stack();

    // Act
    new AwsAuthGuardian(scope, "Guardian", {
      clusters: GuardedClusters.named("demo"),
      breakGlassPrincipals: ["arn:aws:iam::111122223333:role/store-repair"],
      keyAdministrators: ["arn:aws:iam::111122223333:role/security-admin"],
    });

    // Assess
    const template = Template.fromStack(scope);
    const text = JSON.stringify(template.findResources("AWS::S3::BucketPolicy"));
    expect(text.match(/arn:aws:iam::111122223333:role\/store-repair/g)).toHaveLength(2);
    template.hasResourceProperties("AWS::KMS::Key", {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: "KeyAdministration",
            Principal: { AWS: "arn:aws:iam::111122223333:role/security-admin" },
          }),
          Match.objectLike({ Sid: "BreakGlassWritesSnapshotsThroughS3", Action: "kms:GenerateDataKey" }),
        ]),
      },
    });
  });

  it("works inside an app that carries none of cdk.json's feature flags", () => {
    // Prepare
    const bare = new Stack(new App({ context: { "aws:cdk:bundling-stacks": [] } }), "Stack");

    // Act
    new AwsAuthGuardian(bare, "Guardian", { clusters: GuardedClusters.named("demo") });

    // Assess
    const template = Template.fromStack(bare);
    template.resourceCountIs("AWS::Logs::SubscriptionFilter", 1);
    template.hasResourceProperties("AWS::S3::BucketPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: "logging.s3.amazonaws.com" }, Action: "s3:PutObject" }),
        ]),
      },
    });
  });

  it("joins extraNodeRoleArns given as references to roles of the same app", () => {
    // Prepare
    const scope = stack();
    const nodeRole = new iam.Role(scope, "NodeRole", {
      assumedBy: new iam.ServicePrincipal("ec2.amazonaws.com"),
    });

    // Act
    new AwsAuthGuardian(scope, "Guardian", {
      clusters: GuardedClusters.named("demo"),
      extraNodeRoleArns: [nodeRole.roleArn, "arn:aws:iam::111122223333:role/karpenter-node"],
    });

    // Assess
    const environment = environmentOf(Template.fromStack(scope), "ClassifierFunction");
    expect(environment.EXTRA_NODE_ROLE_ARNS).toEqual({
      "Fn::Join": [
        "",
        [
          { "Fn::GetAtt": [expect.stringMatching(/^NodeRole[0-9A-F]{8}$/), "Arn"] },
          ",arn:aws:iam::111122223333:role/karpenter-node",
        ],
      ],
    });
  });

  it.each<[string, Partial<AwsAuthGuardianProps>, RegExp]>([
    [
      "alertClasses names an unknown class",
      { alertClasses: ["loud" as WriteClass] },
      /alertClasses contains "loud"; expected each of aws-internal, cosmetic, routine, dangerous, rejected, dry-run, unverified/,
    ],
    [
      "alertMinSeverity is not a severity",
      { alertMinSeverity: "severe" as Severity },
      /alertMinSeverity is "severe"; expected one of info, low, medium, high, critical/,
    ],
    [
      "alertClasses is empty without alertMinSeverity",
      { alertClasses: [] },
      /no write to aws-auth would ever alert/,
    ],
    [
      "an extra node role ARN contains a comma",
      { extraNodeRoleArns: ["arn:aws:iam::111122223333:role/a,b"] },
      /extraNodeRoleArns entry "arn:aws:iam::111122223333:role\/a,b" contains a comma/,
    ],
  ])("fails when %s", (_name, props, message) => {
    // Act
    const build = () =>
      new AwsAuthGuardian(stack(), "Guardian", { clusters: GuardedClusters.named("demo"), ...props });

    // Assess
    expect(build).toThrow(message);
  });
});
