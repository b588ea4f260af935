/** The classifier's logger and metrics, built once per container. */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "aws-auth-guardian" });
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? "AwsAuthGuardian",
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "aws-auth-guardian",
});

export { MetricUnit };
