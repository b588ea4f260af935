/**
 * The guardian's storage: the KMS key, the versioned snapshot bucket and the bucket for its access logs.
 *
 * Like every part of {@link AwsAuthGuardian} (see lib/aws-auth-guardian.ts), it creates its resources directly
 * in the guardian's scope, not under a construct of its own: CDK derives each logical ID from the construct
 * path, so a new level in the path would give the bucket and the key new logical IDs, and CloudFormation
 * replaces a resource whose logical ID changed.
 */
import { Duration, RemovalPolicy, Validations } from "aws-cdk-lib";
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
}

/** The key, the snapshot bucket and its access-logs bucket, with the grants to read and write snapshots. */
export class GuardianStorage {
  /** Encrypts the snapshots, the alert topic and the failure queue. Rotated yearly; retained on deletion. */
  readonly encryptionKey: kms.Key;
  /** Every version of every cluster's aws-auth (versioned, KMS, TLS-only, retained). */
  readonly snapshotBucket: s3.Bucket;
  /** Receives the snapshot bucket's server access logs. */
  readonly accessLogsBucket: s3.IBucket;

  constructor(scope: Construct, props: GuardianStorageProps = {}) {
    this.encryptionKey = new kms.Key(scope, "Key", {
      description: "aws-auth-guardian: snapshots, alert topic, failure queue",
      enableKeyRotation: true,
      // Deleting the key would make every retained snapshot unreadable.
      removalPolicy: RemovalPolicy.RETAIN,
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

  /** Read and write snapshot objects (conditional writes), list the bucket, use the key for them. */
  grantSnapshots(role: iam.Role): void {
    const snapshotObjects = this.snapshotBucket.arnForObjects("clusters/*");
    role.addToPrincipalPolicy(allow("ListSnapshots", ["s3:ListBucket"], [this.snapshotBucket.bucketArn]));
    role.addToPrincipalPolicy(
      allow("ReadWriteSnapshots", ["s3:GetObject", "s3:PutObject"], [snapshotObjects]),
    );
    role.addToPrincipalPolicy(useKey(this.encryptionKey));
    acknowledgeWildcardResources(
      role,
      [snapshotObjects],
      "Snapshot object keys are created per cluster and version at run time (clusters/<cluster>/…); the " +
        "permission is limited to that prefix of the guardian's own bucket.",
    );
  }
}
