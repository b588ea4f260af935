/**
 * The guardian's storage: the KMS key, the versioned snapshot bucket and the bucket for its access logs.
 *
 * Like every part of {@link AwsAuthGuardian} (see lib/aws-auth-guardian.ts), it creates its resources directly
 * in the guardian's scope, not under a construct of its own: CDK derives each logical ID from the construct
 * path, so a new level in the path would give the bucket and the key new logical IDs, and CloudFormation
 * replaces a resource whose logical ID changed.
 */
import { Aws, DefaultStackSynthesizer, Duration, Fn, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import * as s3 from "aws-cdk-lib/aws-s3";
import type { Construct } from "constructs";
import { allow, useKey } from "./guardian-function.js";
import { acknowledgeWildcardResources } from "./nag.js";

export interface GuardianStorageProps {
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
   * Bucket for the snapshot bucket's server access logs.
   *
   * @default - a new bucket (SSE-S3, TLS-only, retained, logs expire after 365 days)
   */
  readonly accessLogsBucket?: s3.IBucket;

  /**
   * IAM role or user ARNs (exact, no wildcard) that administer the key and the snapshot bucket's
   * configuration: they may change the key policy and the bucket policy, versioning and lifecycle, but get no
   * data use of the key from that statement (whoever can rewrite a policy can grant themselves more: keep this
   * list to the deployers). The account's root user administers too, always, as the way back if this role is
   * gone; IAM policies of the account (PowerUserAccess, say) give nobody anything on the key.
   *
   * @default - the stack's CloudFormation execution role (the CDK bootstrap's `cfn-exec-role`), because
   *   CloudFormation must be able to update the key and the bucket policy on the next deployment, and KMS
   *   refuses a key policy that would lock out the principal creating it
   */
  readonly keyAdministrators?: string[];

  /**
   * IAM ARN patterns (`*` allowed) exempt from the snapshot bucket's write and configuration denials, and
   * allowed to read and write snapshots with the key through S3: a break-glass role for repairing the store
   * by hand. Its writes carry no integrity MAC, so restore does not take them for the guardian's own.
   *
   * @default - none: only the guardian's own roles write snapshots
   */
  readonly breakGlassPrincipals?: string[];
}

/** Key actions that administer without using the key for data (no Encrypt/Decrypt/GenerateDataKey/Mac). */
const KEY_ADMIN_ACTIONS = [
  "kms:Create*",
  "kms:Describe*",
  "kms:Enable*",
  "kms:List*",
  "kms:Put*",
  "kms:Update*",
  "kms:Revoke*",
  "kms:Disable*",
  "kms:Get*",
  "kms:Delete*",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:ScheduleKeyDeletion",
  "kms:CancelKeyDeletion",
  "kms:RotateKeyOnDemand",
];

/** Object writes the bucket denies to everyone but the guardian's writers and the break-glass principals. */
export const DENIED_OBJECT_WRITES = [
  "s3:PutObject",
  "s3:DeleteObject",
  "s3:DeleteObjectVersion",
  "s3:PutObjectRetention",
  "s3:PutObjectLegalHold",
  "s3:BypassGovernanceRetention",
];

/** Bucket configuration the bucket denies to everyone but the administrators and the break-glass principals. */
export const DENIED_BUCKET_CHANGES = [
  "s3:PutBucketPolicy",
  "s3:DeleteBucketPolicy",
  "s3:PutBucketVersioning",
  "s3:PutLifecycleConfiguration",
  "s3:PutBucketObjectLockConfiguration",
  "s3:DeleteBucket",
];

/** Who may use the store once the guardian's roles exist. */
export interface GuardianStoreAccess {
  /**
   * The roles that write snapshots (classifier, cluster access): the only principals besides break-glass the
   * bucket lets write, and the only ones the integrity key lets make record MACs (`kms:GenerateMac`).
   */
  readonly writers: iam.IRole[];
  /** The roles that check record MACs before a restore (`kms:VerifyMac`): the cluster-access role. */
  readonly verifiers: iam.IRole[];
  /** Every guardian role that uses the key for data (writers, and discovery for alerts). */
  readonly keyUsers: iam.IRole[];
  /** IAM ARN patterns that may read snapshots with the key through S3 (`history`, `show`, `diff`). */
  readonly readers: string[];
}

/** The key, the snapshot bucket and its access-logs bucket, with the grants to read and write snapshots. */
export class GuardianStorage {
  /** Encrypts the snapshots, the alert topic and the failure queue. Rotated yearly; retained on deletion. */
  readonly encryptionKey: kms.Key;
  /** Every version of every cluster's aws-auth (versioned, KMS, TLS-only, retained). */
  readonly snapshotBucket: s3.Bucket;
  /** Receives the snapshot bucket's server access logs. */
  readonly accessLogsBucket: s3.IBucket;
  /**
   * HMAC_256 key of the record MACs (lambda/core/integrity.ts): the guardian's writers make a MAC of each
   * record with it (GenerateMac), the cluster-access function checks it before restoring (VerifyMac). Nobody
   * else gets either: a record planted in the bucket cannot carry a MAC that verifies. Retained on deletion.
   */
  readonly integrityKey: kms.Key;

  private readonly administrators: string[];
  private readonly breakGlass: string[];

  constructor(scope: Construct, props: GuardianStorageProps = {}) {
    this.administrators = props.keyAdministrators ?? defaultAdministrators(scope);
    this.breakGlass = props.breakGlassPrincipals ?? [];
    this.encryptionKey = new kms.Key(scope, "Key", {
      description: "aws-auth-guardian: snapshots, alert topic, failure queue",
      enableKeyRotation: true,
      // Deleting the key would make every retained snapshot unreadable.
      removalPolicy: RemovalPolicy.RETAIN,
      // Our own policy instead of CDK's default `kms:*` for the account root (which lets every IAM policy of
      // the account, PowerUserAccess included, use the key): see addKeyAdministration and restrictTo.
      policy: new iam.PolicyDocument(),
    });
    addKeyAdministration(this.encryptionKey, this.administrators);
    this.integrityKey = new kms.Key(scope, "IntegrityKey", {
      description: "aws-auth-guardian: record MACs (GenerateMac by its writers, VerifyMac by its restore)",
      keySpec: kms.KeySpec.HMAC_256,
      keyUsage: kms.KeyUsage.GENERATE_VERIFY_MAC,
      // Deleting it would make every record unverifiable, so that no restore would use any.
      removalPolicy: RemovalPolicy.RETAIN,
      policy: new iam.PolicyDocument(),
    });
    addKeyAdministration(this.integrityKey, this.administrators);
    Validations.of(this.integrityKey).acknowledge({
      id: "AwsSolutions-KMS5",
      reason:
        "KMS does not rotate HMAC keys automatically (rotation is for symmetric encryption keys only); a new " +
        "integrity key would make every existing record MAC unverifiable.",
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

    const accessLogsBucket =
      props.accessLogsBucket ??
      new s3.Bucket(scope, "AccessLogsBucket", {
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
    this.snapshotBucket = new s3.Bucket(scope, "SnapshotBucket", {
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
  }

  /**
   * The store becomes the guardian's alone: the bucket denies object writes, deletes and version deletes to
   * every principal but `writers` and the break-glass principals, and bucket configuration changes to every
   * principal but the administrators and break-glass; the key serves data only to the guardian's roles (through
   * S3, SNS and SQS), to `readers` and break-glass for snapshots through S3, and to CloudWatch alarms.
   */
  restrictTo(access: GuardianStoreAccess): void {
    const bucket = this.snapshotBucket;
    const writerArns = access.writers.map((role) => role.roleArn);
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "DenyObjectWritesButTheGuardians",
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: DENIED_OBJECT_WRITES,
        resources: [bucket.arnForObjects("*")],
        conditions: { ArnNotLike: { "aws:PrincipalArn": [...writerArns, ...this.breakGlass] } },
      }),
    );
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "DenyBucketChangesButTheAdministrators",
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: DENIED_BUCKET_CHANGES,
        resources: [bucket.bucketArn],
        conditions: {
          ArnNotLike: { "aws:PrincipalArn": [...this.administrators, rootUser(), ...this.breakGlass] },
        },
      }),
    );
    const region = Aws.REGION;
    this.encryptionKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "DataUseByTheGuardiansRoles",
        principals: access.keyUsers.map((role) => new iam.ArnPrincipal(role.roleArn)),
        actions: ["kms:Decrypt", "kms:GenerateDataKey"],
        resources: ["*"],
        conditions: {
          StringEquals: {
            "kms:ViaService": [
              `s3.${region}.amazonaws.com`,
              `sns.${region}.amazonaws.com`,
              `sqs.${region}.amazonaws.com`,
            ],
          },
        },
      }),
    );
    this.integrityKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "RecordMacsByTheGuardiansWriters",
        principals: access.writers.map((role) => new iam.ArnPrincipal(role.roleArn)),
        actions: ["kms:GenerateMac"],
        resources: ["*"],
      }),
    );
    this.integrityKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "VerifyRecordMacsBeforeARestore",
        principals: access.verifiers.map((role) => new iam.ArnPrincipal(role.roleArn)),
        actions: ["kms:VerifyMac"],
        resources: ["*"],
      }),
    );
    const snapshotUsers = [...access.readers, ...this.breakGlass];
    if (snapshotUsers.length > 0) {
      this.encryptionKey.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: "ReadSnapshotsThroughS3",
          principals: [new iam.AnyPrincipal()],
          actions: ["kms:Decrypt"],
          resources: ["*"],
          conditions: {
            ArnLike: { "aws:PrincipalArn": snapshotUsers },
            StringEquals: {
              "aws:PrincipalAccount": Aws.ACCOUNT_ID,
              "kms:ViaService": `s3.${region}.amazonaws.com`,
            },
          },
        }),
      );
    }
    if (this.breakGlass.length > 0) {
      this.encryptionKey.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: "BreakGlassWritesSnapshotsThroughS3",
          principals: [new iam.AnyPrincipal()],
          actions: ["kms:GenerateDataKey"],
          resources: ["*"],
          conditions: {
            ArnLike: { "aws:PrincipalArn": this.breakGlass },
            StringEquals: {
              "aws:PrincipalAccount": Aws.ACCOUNT_ID,
              "kms:ViaService": `s3.${region}.amazonaws.com`,
            },
          },
        }),
      );
    }
  }

  /**
   * Read and write snapshot objects and their MAC objects (conditional writes), list the bucket, use the key
   * for them.
   */
  grantSnapshots(role: iam.Role): void {
    const snapshotObjects = this.snapshotBucket.arnForObjects("clusters/*");
    const macObjects = this.snapshotBucket.arnForObjects("integrity/*");
    role.addToPrincipalPolicy(allow("ListSnapshots", ["s3:ListBucket"], [this.snapshotBucket.bucketArn]));
    role.addToPrincipalPolicy(
      allow("ReadWriteSnapshots", ["s3:GetObject", "s3:PutObject"], [snapshotObjects, macObjects]),
    );
    // A late write can change where a deletion belongs in the history (its key) and which version is
    // last good: the pipeline moves the record and drops a pointer no version deserves. The bucket
    // is versioned, so a delete only adds a marker; object versions stay out of reach
    // (s3:DeleteObjectVersion is not granted).
    role.addToPrincipalPolicy(allow("MoveSnapshotRecords", ["s3:DeleteObject"], [snapshotObjects]));
    role.addToPrincipalPolicy(useKey(this.encryptionKey));
    acknowledgeWildcardResources(
      role,
      [snapshotObjects, macObjects],
      "Snapshot object keys are created per cluster and version at run time (clusters/<cluster>/…, and their " +
        "MACs under integrity/clusters/<cluster>/…); the permission is limited to those prefixes of the " +
        "guardian's own bucket.",
    );
  }
}

/** `arn:<partition>:iam::<account>:root`, matched as `aws:PrincipalArn`: the account's root user only. */
function rootUser(): string {
  return `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:root`;
}

/** The deployer: the CloudFormation execution role of the stack's synthesizer, when it has one. */
function defaultAdministrators(scope: Construct): string[] {
  const synthesizer = Stack.of(scope).synthesizer;
  if (synthesizer instanceof DefaultStackSynthesizer) {
    // The synthesizer's ARN holds ${AWS::…} placeholders for CloudFormation to substitute.
    return [Fn.sub(synthesizer.cloudFormationExecutionRoleArn)];
  }
  throw new Error(
    "AwsAuthGuardian: the stack's synthesizer has no CloudFormation execution role; set keyAdministrators to the " +
      "role that deploys the stack (KMS refuses a key policy that locks out its creator)",
  );
}

/**
 * Administration of the key, without data use: the administrators by ARN, and the account's root user (the
 * principal `:root` with `aws:PrincipalArn` equal to it, so IAM users and roles of the account are not
 * included by delegation).
 */
function addKeyAdministration(key: kms.Key, administrators: string[]): void {
  if (administrators.length > 0) {
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "KeyAdministration",
        principals: administrators.map((arn) => new iam.ArnPrincipal(arn)),
        actions: KEY_ADMIN_ACTIONS,
        resources: ["*"],
      }),
    );
  }
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: "KeyAdministrationByTheRootUser",
      principals: [new iam.AccountRootPrincipal()],
      actions: KEY_ADMIN_ACTIONS,
      resources: ["*"],
      conditions: { ArnEquals: { "aws:PrincipalArn": rootUser() } },
    }),
  );
}
