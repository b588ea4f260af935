/**
 * The classifier Lambda: CloudWatch Logs subscription (aws-auth audit events) and EventBridge
 * (CloudTrail records of access-entry calls) → versioned records in S3 and alerts on SNS.
 * Thin: configuration and clients are built once per container, the work is in process-batch.ts.
 */
import {
  createEksClient,
  createKmsClient,
  createLambdaClient,
  createS3Client,
  createSnsClient,
} from "../adapters/aws-clients.js";
import { loadClassifierConfig } from "./config.js";
import { createClassifierHandler } from "./create-handler.js";

// Cold start: a missing variable fails here, naming it, before any event is touched.
const config = loadClassifierConfig(process.env);

export const handler = createClassifierHandler(config, {
  s3: createS3Client(),
  sns: createSnsClient(),
  lambda: createLambdaClient(),
  eks: createEksClient(),
  kms: createKmsClient(),
});
