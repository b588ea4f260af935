/**
 * The discovery Lambda: puts the guardian's subscription filter on every guarded cluster's audit log group,
 * grants the cluster-access role its access entry, requests baseline captures and alerts on unguarded
 * clusters. Thin: configuration and clients are built once per container, the work is in discovery.ts.
 */

import { Logger } from "@aws-lambda-powertools/logger";
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { createEksClient, createLambdaClient, createSnsClient } from "../adapters/aws-clients.js";
import { loadDiscoveryConfig } from "./config.js";
import { createHandler } from "./events.js";

// Cold start: a missing variable fails here, naming it, before any event is touched.
const config = loadDiscoveryConfig(process.env);
const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "aws-auth-guardian" });

export const handler = createHandler(
  config,
  {
    // The SDK resolves AWS_ENDPOINT_URL(_CLOUDWATCH_LOGS) from the environment on its own.
    logs: new CloudWatchLogsClient({}),
    eks: createEksClient(),
    lambda: createLambdaClient(),
    sns: createSnsClient(),
    cloudtrail: new CloudTrailClient({}),
  },
  {
    info: (message, extra) => logger.info(message, extra ?? {}),
    warn: (message, extra) => logger.warn(message, extra ?? {}),
  },
);
