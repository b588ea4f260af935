/**
 * The alert discovery sends when a cluster is unguarded or has no lockout-proof restore: plain text for
 * e-mail, an AWS Chatbot custom notification for Slack (shared reference §4), SNS attributes for filtering.
 */
import { creatorWayIn } from "../core/explain-access.js";
import type { OutboundAlert } from "../core/ports.js";
import type { ClusterReport, Problem } from "./discovery.js";

const SUBJECT_LIMIT = 99;
const HEADLINES: Record<Problem["code"], string> = {
  "audit-logging-off": "audit logging is off",
  "auth-mode-config-map": "no lockout-proof restore (CONFIG_MAP mode)",
  "log-group-missing": "audit log group missing",
  "filter-limit-reached": "subscription filter slots all taken",
  "filter-rejected": "subscription filter refused",
  "access-entry-missing": "cluster-access role has no access entry",
  "no-management-trail": "blind to access entries (no CloudTrail trail)",
  "cluster-not-found": "cluster not found",
  error: "discovery failed",
};

export function renderUnguardedAlert(report: ClusterReport): OutboundAlert {
  const severity = report.problems.some((p) => p.severity === "high") ? "high" : "medium";
  const headline = report.problems.map((p) => HEADLINES[p.code]).join(", ");
  const label = report.state === "guarded" ? "AT RISK" : "UNGUARDED";
  // ASCII only, so that the subject is valid whatever SNS's subject rules for e-mail are.
  const subject = truncate(`[aws-auth ${label}] ${report.cluster}: ${headline}`, SUBJECT_LIMIT, "...");
  const status =
    report.state === "guarded"
      ? "The guardian's subscription filter is in place, but:"
      : "The guardian is NOT watching aws-auth on this cluster:";

  const email = [
    `aws-auth-guardian: cluster ${report.cluster}`,
    "",
    status,
    "",
    ...report.problems.flatMap((p, i) => [
      `${i + 1}. [${p.severity}] ${p.message}`,
      ...p.fix.map((line) => `     ${line}`),
      "",
    ]),
    `Subscription filter: ${report.filter}; access entry: ${report.accessEntry}.`,
    ...(report.creator
      ? [
          `Way in of last resort: ${creatorWayIn(report.creator, undefined, report.authenticationMode)} (found from ${report.creatorSource === "cloudtrail" ? "CreateCluster in CloudTrail" : "its bootstrapped access entry"}).`,
        ]
      : []),
    "Discovery runs at deploy, daily, and on CreateCluster/UpdateClusterConfig; this alert repeats until fixed.",
    "",
  ].join("\n");

  const chatbot = JSON.stringify({
    version: "1.0",
    source: "custom",
    id: `aws-auth-guardian/discovery/${report.cluster}`,
    content: {
      textType: "client-markdown",
      title: truncate(`aws-auth ${label} on ${report.cluster}: ${headline}`, 250),
      description: truncate(
        [status, ...report.problems.map((p) => `• [${p.severity}] ${p.message}`)].join("\n"),
        3500,
      ),
      nextSteps: report.problems.flatMap((p) =>
        p.fix.filter((line) => line.startsWith("aws ")).map((c) => `\`${c}\``),
      ),
      keywords: ["aws-auth", report.cluster, "unguarded", severity],
    },
    metadata: {
      threadId: `aws-auth-guardian/${report.cluster}`,
      summary: subject,
      eventType: "aws-auth-unguarded",
      relatedResources: [report.cluster],
      additionalContext: {
        cluster: report.cluster,
        problems: report.problems.map((p) => p.code).join(","),
        filter: report.filter,
        accessEntry: report.accessEntry,
        ...(report.creator ? { creator: report.creator } : {}),
      },
    },
  });

  return { subject, email, chatbot, attributes: { severity, class: "unguarded", cluster: report.cluster } };
}

function truncate(text: string, limit: number, ellipsis = "…"): string {
  return text.length <= limit ? text : `${text.slice(0, limit - ellipsis.length)}${ellipsis}`;
}
