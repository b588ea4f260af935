/**
 * `aws-auth-guardian verify`: does the store's latest record still describe the live aws-auth?
 * A difference without an audit event (or a deletion nobody reported) is a blind spot: the guardian
 * missed a write because audit logging, the subscription filter or delivery failed. It alerts.
 *
 * Through the cluster-access function, verify also checks the access entries: whether a CloudTrail trail
 * records management events (without one EventBridge delivers no access-entry call), whether the live
 * entries match the latest access record (a difference is captured and alerted), and it files the cluster's
 * authentication mode and creator. `--direct` verifies aws-auth only.
 */
import { trailPhrase } from "../../lambda/core/access-store.js";
import { oneLine } from "../../lambda/core/encode.js";
import { creatorWayIn } from "../../lambda/core/explain-access.js";
import type { AccessVerifyResult } from "../../lambda/discovery/access-facts.js";
import { type VerifyResult, verifyLive } from "../../lambda/restore/capture-verify.js";
import { runLive } from "./capture.js";
import type { CommandRun } from "./io.js";
import type { ClusterAccessOptions } from "./options.js";

export const verifyCommand: CommandRun<ClusterAccessOptions> = async ({ options: values, io, deps }) => {
  const result: VerifyResult & { warnings?: string[]; accessEntries?: AccessVerifyResult } = await runLive(
    values,
    io,
    deps,
    { action: "verify" },
    (live, cluster) => verifyLive(live, cluster),
  );
  for (const warning of result.warnings ?? []) io.err(`warning: ${oneLine(warning)}\n`);
  const access = result.accessEntries;
  if (values.json) io.out(`${JSON.stringify(result, null, 2)}\n`);
  else {
    io.out(`Cluster ${result.cluster}: ${result.outcome}: ${oneLine(result.detail)}\n`);
    if (access) io.out(accessLines(access).join(""));
  }
  return result.blindSpot || access?.blindSpot ? 2 : 0;
};

/** The access-entry half of a verify, for a terminal. */
export function accessLines(access: AccessVerifyResult): string[] {
  const facts = access.facts;
  const trail = trailPhrase(facts.trail);
  const lines = [
    `Access entries: mode ${facts.authenticationMode ?? "unknown"}; ${trail}${access.recordId ? `; filed ${access.recordId}` : ""}\n`,
    facts.creator
      ? `Way in of last resort: ${oneLine(creatorWayIn(facts.creator, undefined, facts.authenticationMode), 2000)} (found from ${facts.creatorSource === "cloudtrail" ? "CreateCluster in CloudTrail" : "its bootstrapped access entry"})\n`
      : "Cluster creator: unknown (CreateCluster is older than CloudTrail's 90 days and no bootstrapped admin entry)\n",
  ];
  for (const problem of access.problems)
    lines.push(`${access.blindSpot ? "BLIND SPOT: " : ""}${oneLine(problem)}\n`);
  return lines;
}
