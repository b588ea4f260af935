/**
 * The cluster-access function: restore, capture and verify aws-auth through an identity that does not
 * depend on aws-auth (the function's role, given an EKS access entry). Thin: configuration and
 * clients are built once per container, the work is in restore.ts and capture-verify.ts.
 *
 * This is the only Lambda that bundles @kubernetes/client-node (via cluster/kube-aws-auth-client.ts);
 * the classifier never imports anything from this folder.
 */
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import {
  createEksClient,
  createKmsClient,
  createS3Client,
  createSnsClient,
} from "../adapters/aws-clients.js";
import { loadClusterAccessConfig } from "./config.js";
import { createHandler } from "./create-handler.js";

export { createHandler } from "./create-handler.js";

// Cold start: a missing variable fails here, naming it, before any event is touched.
const config = loadClusterAccessConfig(process.env);

export const handler = createHandler(config, {
  s3: createS3Client(),
  sns: createSnsClient(),
  eks: createEksClient(),
  kms: createKmsClient(),
  credentials: fromNodeProviderChain(),
});
