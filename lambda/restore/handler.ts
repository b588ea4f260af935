/**
 * The cluster-access function: restore, capture and verify aws-auth through an identity that does not
 * depend on aws-auth (the function's role, given an EKS access entry). Thin: configuration and
 * clients are built once per container, the work is in restore.ts and capture-verify.ts.
 *
 * This is the only Lambda that bundles @kubernetes/client-node (via cluster/kube-aws-auth-client.ts);
 * the classifier never imports anything from this folder.
 */
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import {
  createEksClient,
  createKmsClient,
  createS3Client,
  createSnsClient,
} from "../adapters/aws-clients.js";
import { EksAccessEntryApi } from "../adapters/eks-access-entries.js";
import { IntegrityBlobStore } from "../adapters/integrity-blob-store.js";
import { KmsMac } from "../adapters/kms-mac.js";
import { S3BlobStore } from "../adapters/s3-blob-store.js";
import { SnsNotifier } from "../adapters/sns-notifier.js";
import { AccessStore } from "../core/access-store.js";
import { verifyAccessEntries } from "../discovery/access-facts.js";
import { loadClusterAccessConfig } from "./config.js";
import { createHandler } from "./create-handler.js";

export { createHandler } from "./create-handler.js";

// Cold start: a missing variable fails here, naming it, before any event is touched.
const config = loadClusterAccessConfig(process.env);

const s3 = createS3Client();
const sns = createSnsClient();
const eks = createEksClient();
const kms = createKmsClient();
// What verify files (access records, the cluster's fact sheet) carries the guardian's MAC, like every record.
const accessStore = new AccessStore(
  new IntegrityBlobStore(new S3BlobStore(s3, config.bucket), {
    signer: new KmsMac(kms, config.integrityKeyId),
  }),
);

export const handler = createHandler(config, {
  s3,
  sns,
  eks,
  kms,
  credentials: fromNodeProviderChain(),
  // The creator verify filed (cluster.json beside the access records), a default restore operator, is read by
  // createHandler through its verifying store: only a fact sheet with the guardian's MAC names anyone.
  verifyAccessEntries: (cluster) =>
    verifyAccessEntries(
      {
        api: new EksAccessEntryApi(eks),
        cloudtrail: new CloudTrailClient({}),
        store: accessStore,
        notifier: new SnsNotifier(sns, config.topicArn),
        policy: config.policy,
        ...(config.policy.guardianWriters[0] ? { guardianRoleArn: config.policy.guardianWriters[0] } : {}),
        now: () => new Date(),
      },
      cluster,
    ),
});
