/**
 * `aws-auth-guardian verify`: does the store's latest record still describe the live aws-auth?
 * A difference without an audit event (or a deletion nobody reported) is a blind spot: the guardian
 * missed a write because audit logging, the subscription filter or delivery failed. It alerts.
 */
import { oneLine } from "../../lambda/core/encode.js";
import { type VerifyResult, verifyLive } from "../../lambda/restore/capture-verify.js";
import { runLive } from "./capture.js";
import type { CommandRun } from "./io.js";
import type { ClusterAccessOptions } from "./options.js";

export const verifyCommand: CommandRun<ClusterAccessOptions> = async ({ options: values, io, deps }) => {
  const result: VerifyResult & { warnings?: string[] } = await runLive(
    values,
    io,
    deps,
    { action: "verify" },
    (live, cluster) => verifyLive(live, cluster),
  );
  for (const warning of result.warnings ?? []) io.err(`warning: ${oneLine(warning)}\n`);
  if (values.json) io.out(`${JSON.stringify(result, null, 2)}\n`);
  else io.out(`Cluster ${result.cluster}: ${result.outcome}: ${oneLine(result.detail)}\n`);
  return result.blindSpot ? 2 : 0;
};
