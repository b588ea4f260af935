/** The cluster-access function's logger and metrics, built once per container. */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";

const SERVICE = process.env.POWERTOOLS_SERVICE_NAME ?? "aws-auth-guardian";

export const logger = new Logger({ serviceName: SERVICE });

/**
 * The metric the stack's VerifyDriftAlarm watches (lib/guardian-function.ts `VERIFY_DRIFT_METRIC` in
 * `GUARDIAN_METRICS_NAMESPACE`): 1 when a verify found a blind spot, 0 when the cluster was in sync.
 */
export const VERIFY_DRIFT_METRIC = "VerifyDrift";
export const METRICS_NAMESPACE = process.env.POWERTOOLS_METRICS_NAMESPACE ?? "AwsAuthGuardian";

const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE });

/** Emits one EMF record right away (a verify is one per invocation; nothing to batch). */
export function recordVerifyDrift(cluster: string, drift: boolean): void {
  const single = metrics.singleMetric();
  single.addDimension("cluster", cluster);
  single.addMetric(VERIFY_DRIFT_METRIC, MetricUnit.Count, drift ? 1 : 0);
}
