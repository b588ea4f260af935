/**
 * Alerts for access-entry changes, in the three shapes aws-auth alerts have (e-mail text, an AWS
 * Chatbot custom notification in the cluster's thread, SNS message attributes): what changed, who
 * did it and from where, how bad it is, and the exact command that undoes it.
 */
import type { AccessEvent } from "./access-event.js";
import { type AccessChange, changeLines } from "./access-picture.js";
import type { AccessRecord } from "./access-store.js";
import { literal, option, shellCommand } from "./encode.js";
import { creatorWayIn } from "./explain-access.js";
import type { Severity, WriteClass } from "./policy.js";
import type { OutboundAlert } from "./ports.js";
import type { Finding } from "./records.js";

export interface AccessAlertInput {
  cluster: string;
  clusterAccount?: string;
  class: WriteClass;
  severity: Severity;
  findings: Finding[];
  event?: AccessEvent;
  changes: AccessChange[];
  record?: AccessRecord;
  /** The version a restore goes back to: the last good one. */
  restoreTarget?: AccessRecord;
  /** The principal that keeps implicit admin (the cluster creator), when known. */
  creator?: string;
  /** The store (`s3://bucket`), for the `--direct` restore command. */
  storeLocation?: string;
  headline?: string;
}

const SUBJECT_LIMIT = 99;
const DESCRIPTION_LIMIT = 3500;
const LINE_LIMIT = 400;

/** Control characters (terminal escapes, newlines in a header) folded to `?`: e-mail and logs are plain text. */
export function plain(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: folding them is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, "?");
}

/** Slack's client-markdown: `&`, `<`, `>` would start entities and links; backticks would break code blocks. */
export function mrkdwn(text: string): string {
  return plain(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/`/g, "'");
}

function truncate(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

function rank(severity: Severity): number {
  return ["info", "low", "medium", "high", "critical"].indexOf(severity);
}

function shortenArns(text: string): string {
  return text.replace(/arn:aws[\w-]*:(?:iam|sts)::\d{12}:([\w-]+)\/(?:[^\s/,"]+\/)*([^\s/,"]+)/g, "$1/$2");
}

export function accessHeadline(input: AccessAlertInput): string {
  if (input.headline) return input.headline;
  // The change itself first; what the state carries from earlier comes in the findings.
  const own = input.findings.filter((f) => f.id !== "access-carries-earlier-danger");
  const worst = [...own].sort((a, b) => rank(b.severity) - rank(a.severity))[0];
  if (worst && rank(worst.severity) >= rank("low")) {
    const sentence = worst.message.split(/(?<=[a-z)])[.:] /)[0] ?? worst.message;
    return sentence.replace(/ by .*$/, "").replace(/\.$/, "");
  }
  if (input.event) return eventHeadline(input.event);
  return `${input.class} change`;
}

function eventHeadline(event: AccessEvent): string {
  const who = event.principalArn ?? "";
  switch (event.eventName) {
    case "CreateAccessEntry":
      return `access entry for ${who} created`;
    case "UpdateAccessEntry":
      return `access entry for ${who} updated`;
    case "DeleteAccessEntry":
      return `access entry for ${who} deleted`;
    case "AssociateAccessPolicy":
      return `${(event.policyArn ?? "").split("/").pop()} associated with ${who}`;
    case "DisassociateAccessPolicy":
      return `${(event.policyArn ?? "").split("/").pop()} removed from ${who}`;
    case "UpdateClusterConfig":
      return `authentication mode set to ${event.authenticationMode ?? "?"}`;
  }
}

export function accessSubject(input: AccessAlertInput): string {
  const subject = `[access-entry ${input.class.toUpperCase()}] ${input.cluster}: ${shortenArns(accessHeadline(input))}`;
  return truncate(plain(subject).replace(/\s+/g, " "), SUBJECT_LIMIT);
}

/**
 * The commands that put the last good access picture back: through the function, then with the caller's own
 * credentials, which reads the version from the store and so needs `--store` (only when the store is known).
 */
export function accessRestoreCommands(input: AccessAlertInput): string[] {
  if (!input.restoreTarget) return [];
  const base = [
    literal("aws-auth-guardian restore --access-entries"),
    ...option("--cluster", input.cluster),
    ...option("--to", input.restoreTarget.id),
  ];
  const viaFunction = shellCommand(base);
  if (input.storeLocation === undefined) return [viaFunction];
  return [
    viaFunction,
    shellCommand([...base, literal("--direct"), ...option("--store", input.storeLocation)]),
  ];
}

function actorLines(event: AccessEvent): string[] {
  const a = event.actor;
  const lines = [a.principalArn ?? a.arn ?? "(unknown caller)"];
  if (a.arn && a.arn !== a.principalArn) lines.push(`session: ${a.arn}`);
  const where = [
    a.sourceIPAddress ? `source IP ${a.sourceIPAddress}` : "",
    a.userAgent ? `user agent ${a.userAgent}` : "",
    a.invokedBy ? `invoked by ${a.invokedBy}` : "",
  ].filter(Boolean);
  if (where.length) lines.push(where.join(", "));
  return lines.map((l) => truncate(plain(l), LINE_LIMIT));
}

function callText(event: AccessEvent): string {
  return [
    event.eventName,
    event.errorCode
      ? `failed: ${event.errorCode}${event.errorMessage ? ` (${event.errorMessage})` : ""}`
      : "succeeded",
    `CloudTrail event ${event.eventID}`,
    event.region,
  ]
    .filter(Boolean)
    .join(", ");
}

export function renderAccessEmail(input: AccessAlertInput): string {
  const out: string[] = [accessSubject(input), ""];
  out.push(`Cluster:   ${input.cluster}${input.clusterAccount ? ` (account ${input.clusterAccount})` : ""}`);
  out.push(`Class:     ${input.class} (severity ${input.severity})`);
  if (input.event) {
    out.push(`When:      ${input.event.eventTime}`);
    const [first, ...rest] = actorLines(input.event);
    out.push(`Who:       ${first}`, ...rest.map((l) => `           ${l}`));
    out.push(`Call:      ${plain(callText(input.event))}`);
  }
  if (input.record) {
    out.push(`Version:   ${input.record.id}`);
    out.push(
      input.record.state === "verified"
        ? `State:     verified (read back ${input.record.time}, mode ${input.record.picture?.authenticationMode ?? "?"})`
        : `State:     UNVERIFIED: the access picture could not be read (${plain(input.record.readError ?? "unknown error")})`,
    );
  }
  out.push("", "What changed");
  const lines = changeLines(input.changes).map((l) => truncate(plain(l), LINE_LIMIT));
  out.push(
    ...(lines.length
      ? lines.slice(0, 200).map((l) => `  ${l}`)
      : ["  (nothing: the call changed no access)"]),
  );
  out.push("");
  if (input.findings.length) {
    out.push("Findings");
    out.push(
      ...input.findings
        .slice(0, 50)
        .map((f) => `  [${f.severity}] ${f.id}: ${truncate(plain(f.message), LINE_LIMIT)}`),
    );
    out.push("");
  }
  out.push("Undo");
  const commands = accessRestoreCommands(input);
  if (commands.length && input.restoreTarget) {
    out.push(
      `  Restore the last good access picture, ${input.restoreTarget.id} (${input.restoreTarget.time}):`,
    );
    out.push(`    ${commands[0]}`);
    if (commands[1]) {
      out.push(
        "  If the restore function cannot be reached, with your own AWS credentials:",
        `    ${commands[1]}`,
      );
    }
  } else {
    out.push("  No earlier good access picture is known to the guardian; nothing to restore automatically.");
  }
  if (input.creator) {
    out.push("", `Way in of last resort: ${plain(creatorWayIn(input.creator, input.record?.picture))}.`);
  }
  return `${out.join("\n")}\n`;
}

export function renderAccessChatbot(input: AccessAlertInput): string {
  const changes = changeLines(input.changes).map((l) => truncate(l, LINE_LIMIT));
  const description = [
    `*Class:* ${input.class}  *Severity:* ${input.severity}`,
    input.event ? `*Who:* ${mrkdwn(actorLines(input.event).join(" · "))}` : "",
    input.event ? `*When:* ${mrkdwn(`${input.event.eventTime} (${callText(input.event)})`)}` : "",
    input.record?.state === "unverified" ? "*State:* unverified (the access picture could not be read)" : "",
    changes.length
      ? `*What changed:*\n\`\`\`\n${changes.map(mrkdwn).join("\n")}\n\`\`\``
      : "*What changed:* nothing",
    input.findings.length
      ? `*Findings:*\n${input.findings.map((f) => `• [${f.severity}] ${mrkdwn(f.message)}`).join("\n")}`
      : "",
  ]
    .filter(Boolean)
    .join("\n");
  const commands = accessRestoreCommands(input);
  return JSON.stringify({
    version: "1.0",
    source: "custom",
    id: input.event?.eventID ?? input.record?.id ?? `${input.cluster}-${input.class}`,
    content: {
      textType: "client-markdown",
      title: truncate(
        mrkdwn(`access entry ${input.class.toUpperCase()} on ${input.cluster}: ${accessHeadline(input)}`),
        250,
      ),
      description: truncate(description, DESCRIPTION_LIMIT),
      nextSteps: commands.length
        ? commands.map((c) => `\`${c}\``)
        : [
            "No earlier good access picture is known; inspect with `aws-auth-guardian history --access-entries`.",
          ],
      keywords: ["access-entry", input.cluster, input.class, input.severity],
    },
    metadata: {
      threadId: `aws-auth-guardian/${input.cluster}`,
      summary: truncate(accessSubject(input), 250),
      eventType: `access-entry-${input.class}`,
      relatedResources: [...new Set(input.findings.flatMap((f) => f.entries ?? []))].slice(0, 20),
      additionalContext: {
        eventID: input.event?.eventID ?? "",
        cluster: input.cluster,
        class: input.class,
        severity: input.severity,
        version: input.record?.id ?? "",
        restoreTarget: input.restoreTarget?.id ?? "",
      },
    },
  });
}

export function renderAccessAlert(input: AccessAlertInput): OutboundAlert {
  return {
    subject: accessSubject(input),
    email: renderAccessEmail(input),
    chatbot: renderAccessChatbot(input),
    attributes: {
      severity: input.severity,
      class: input.class,
      cluster: input.cluster,
      source: "access-entries",
    },
  };
}
