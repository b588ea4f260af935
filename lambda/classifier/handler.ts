/**
 * The classifier Lambda: CloudWatch Logs subscription → snapshots in S3 and alerts on SNS.
 * Thin: configuration and clients are built once per container, the work is in process-batch.ts.
 */
import { createLambdaClient, createS3Client, createSnsClient } from "../adapters/aws-clients.js";
import { loadClassifierConfig } from "./config.js";
import { createHandler } from "./create-handler.js";

// Cold start: a missing variable fails here, naming it, before any event is touched.
const config = loadClassifierConfig(process.env);

export const handler = createHandler(config, {
  s3: createS3Client(),
  sns: createSnsClient(),
  lambda: createLambdaClient(),
});
