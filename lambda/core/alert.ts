/**
 * Alerts for humans at 3 a.m.: what changed, who did it, how bad it is, and the exact command that
 * undoes it. One renderer, three shapes: e-mail text, an AWS Chatbot custom notification, and SNS
 * message attributes (shared reference §4).
 */
import type { AuditActor } from "./audit-event.js";
import { groupSet, type SemanticDiff } from "./diff.js";
import {
  capSlack,
  literal,
  oneLine,
  option,
  quoted,
  type ShellLiteral,
  SUBJECT_LIMIT,
  shellCommand,
  slackCode,
  slackCodeBlock,
  slackText,
  subjectLine,
  token,
} from "./encode.js";
import type { Severity, WriteClass } from "./policy.js";
import type { OutboundAlert } from "./ports.js";
import type { AuditSummary, Finding, VersionRecord } from "./records.js";

export interface AlertInput {
  cluster: string;
  clusterAccount?: string;
  class: WriteClass;
  severity: Severity;
  findings: Finding[];
  /** The write, when the alert is about one (captures and verify drift have none). */
  audit?: AuditSummary;
  /** The record the write left, when it left one. */
  record?: VersionRecord;
  /** The record it was compared with. */
  comparedWith?: VersionRecord;
  diff?: SemanticDiff;
  /** The version that undoes this write: the last good one for a dangerous write, else the one before it. */
  restoreTarget?: VersionRecord;
  /** `s3://bucket` or a folder, for the direct-restore command. */
  storeLocation?: string;
  /** Overrides the headline (e.g. "restored"). */
  headline?: string;
}

const DESCRIPTION_LIMIT = 3500;
/** One untrusted value (a user agent, a session name) never takes more than this on a line. */
const VALUE_CHARS = 300;
/**
 * The e-mail text travels in the same SNS message as the Chatbot JSON, and SNS refuses a message over
 * 256 KB: deleting an aws-auth with thousands of mappings must still alert. These caps keep the text
 * under about 100 KB while the Undo section (the restore command) always stays.
 */
const EMAIL_CHANGE_LINES = 200;
const EMAIL_FINDING_LINES = 50;
const EMAIL_LINE_CHARS = 400;

function capped(lines: string[], max: number, what: string): string[] {
  const shown = lines.slice(0, max).map((l) => oneLine(l, EMAIL_LINE_CHARS));
  return lines.length > max ? [...shown, `… and ${lines.length - max} more ${what} not shown`] : shown;
}

/** What a person reads first: the worst finding, or what kind of change it was. */
export function headlineOf(input: AlertInput): string {
  if (input.headline) return input.headline;
  const worst = [...input.findings].sort((a, b) => rank(b.severity) - rank(a.severity))[0];
  if (worst && rank(worst.severity) >= rank("medium")) return firstSentence(worst.message);
  if (input.class === "cosmetic") return "rewritten without any change in access";
  if (input.class === "aws-internal") return "EKS's own housekeeping rewrite";
  const diff = input.diff;
  if (diff) {
    const count =
      diff.roles.added.length +
      diff.roles.removed.length +
      diff.roles.changed.length +
      diff.users.added.length +
      diff.users.removed.length +
      diff.users.changed.length +
      diff.accounts.added.length +
      diff.accounts.removed.length;
    if (count > 0) return `${count} mapping${count === 1 ? "" : "s"} changed`;
  }
  return worst ? firstSentence(worst.message) : `${input.class} write`;
}

function rank(severity: Severity): number {
  return ["info", "low", "medium", "high", "critical"].indexOf(severity);
}

/**
 * The first clause of a finding, for headlines. Parenthesised details (parser errors, HTTP reasons)
 * contain ": " themselves and are left out; a leading section label ("mapRoles: entry #4 …") is kept
 * with the clause that follows it rather than standing alone.
 */
function firstSentence(text: string): string {
  let flat = text;
  for (let previous = ""; previous !== flat; ) {
    previous = flat;
    flat = flat.replace(/\s*\([^()]*\)/g, "");
  }
  const label = flat.match(/^(?:mapRoles|mapUsers|mapAccounts|data): /)?.[0] ?? "";
  const rest = flat.slice(label.length);
  const end = rest.search(/[.:;] /);
  return label + (end === -1 ? rest.replace(/\.$/, "") : rest.slice(0, end));
}

/** `arn:aws:iam::123:role/path/name` → `role/name`: headlines must fit a 100-character subject. */
function shortenArns(text: string): string {
  return text.replace(/arn:aws[\w-]*:(?:iam|sts)::\d{12}:([\w-]+)\/(?:[^\s/,"]+\/)*([^\s/,"]+)/g, "$1/$2");
}

/** The SNS Subject: one line of printable ASCII under 100 characters, whatever the writer put in aws-auth. */
export function subjectOf(input: AlertInput): string {
  const subject = `[aws-auth ${input.class.toUpperCase()}] ${input.cluster}: ${shortenArns(oneLine(headlineOf(input)))}`;
  return subjectLine(subject, SUBJECT_LIMIT);
}

/**
 * The restore command's words: every value shell-quoted, so whatever a version id, cluster name or
 * store location holds, pasting the command runs exactly this restore and nothing else.
 */
export function restoreCommandWords(
  cluster: string,
  to: string,
  storeLocation?: string,
): { viaFunction: Array<string | ShellLiteral>; direct?: Array<string | ShellLiteral> } {
  const base = [literal("aws-auth-guardian restore"), ...option("--cluster", cluster), ...option("--to", to)];
  if (storeLocation === undefined) return { viaFunction: base };
  return {
    viaFunction: base,
    direct: [...base, literal("--direct --kubeconfig ~/.kube/config"), ...option("--store", storeLocation)],
  };
}

/** The exact commands that put the last good version back (function, then direct), or none. */
export function restoreCommands(input: AlertInput): string[] {
  if (!input.restoreTarget) return [];
  const words = restoreCommandWords(input.cluster, input.restoreTarget.id, input.storeLocation);
  return [shellCommand(words.viaFunction), ...(words.direct ? [shellCommand(words.direct)] : [])];
}

/** Who wrote, one fact per line; every value folded to one line and capped. */
function describeActor(actor: AuditActor): string[] {
  const lines = [actor.username ? oneLine(actor.username, VALUE_CHARS) : "(no username)"];
  if (actor.canonicalArn) lines.push(`IAM: ${oneLine(actor.canonicalArn, VALUE_CHARS)}`);
  else if (actor.arn) lines.push(`IAM: ${oneLine(actor.arn, VALUE_CHARS)}`);
  if (actor.sessionName) lines.push(`session: ${oneLine(actor.sessionName, VALUE_CHARS)}`);
  if (actor.impersonatedUser) lines.push(`impersonating: ${oneLine(actor.impersonatedUser, VALUE_CHARS)}`);
  const where = [
    actor.sourceIPs.length ? `source IP ${oneLine(actor.sourceIPs.slice(0, 5).join(", "), VALUE_CHARS)}` : "",
    actor.userAgent ? `user agent ${oneLine(actor.userAgent, VALUE_CHARS)}` : "",
  ].filter(Boolean);
  if (where.length) lines.push(where.join(", "));
  return lines;
}

function groupsText(groups: string[]): string {
  return groups.length
    ? groupSet(groups)
        .map((g) => token(g, VALUE_CHARS))
        .join(", ")
    : "(no groups)";
}

/** The semantic diff as lines: `+` added, `-` removed, `~` changed, `!` broken. */
export function diffLines(diff: SemanticDiff): string[] {
  const lines: string[] = [];
  for (const s of diff.sections) {
    lines.push(
      s.after === "unparseable"
        ? `! ${s.name} no longer parses: ${s.error ?? "syntax error"}`
        : s.after === "absent"
          ? `! ${s.name}, unparseable before, is gone`
          : `! ${s.name} parses again (${s.after})`,
    );
  }
  for (const [label, part] of [
    ["role", diff.roles],
    ["user", diff.users],
  ] as const) {
    // Every value comes from aws-auth, written by whoever could write it: a token or a quoted string
    // on this one line, so no username can fake a mapping, a group or a line of its own.
    for (const m of part.added) {
      const arn = token("rolearn" in m ? m.rolearn || m.key : m.userarn, VALUE_CHARS);
      lines.push(`+ ${label} ${arn} as ${quoted(m.username, VALUE_CHARS)} in ${groupsText(m.groups)}`);
    }
    for (const m of part.removed) {
      const arn = token("rolearn" in m ? m.rolearn || m.key : m.userarn, VALUE_CHARS);
      lines.push(`- ${label} ${arn} (was ${quoted(m.username, VALUE_CHARS)} in ${groupsText(m.groups)})`);
    }
    for (const c of part.changed) {
      const arn = token("rolearn" in c.after ? c.after.rolearn || c.key : c.after.userarn, VALUE_CHARS);
      const parts = [
        ...c.groupsAdded.map((g) => `+${token(g, VALUE_CHARS)}`),
        ...c.groupsRemoved.map((g) => `-${token(g, VALUE_CHARS)}`),
        ...(c.username
          ? [`username ${quoted(c.username.before, VALUE_CHARS)} → ${quoted(c.username.after, VALUE_CHARS)}`]
          : []),
      ];
      lines.push(`~ ${label} ${arn}: ${parts.join(", ")}`);
    }
  }
  for (const a of diff.accounts.added) lines.push(`+ account ${token(a, VALUE_CHARS)} (mapAccounts)`);
  for (const a of diff.accounts.removed) lines.push(`- account ${token(a, VALUE_CHARS)} (mapAccounts)`);
  return lines;
}

function describeWrite(audit: AuditSummary): string {
  const how = [
    audit.verb + (audit.patchKind ? ` (${audit.patchKind})` : ""),
    audit.fieldManager ? `field manager ${oneLine(audit.fieldManager, VALUE_CHARS)}` : "",
    audit.code !== undefined ? `HTTP ${audit.code}` : "",
    audit.dryRun ? "dry run" : "",
    audit.truncated ? "event truncated" : "",
  ].filter(Boolean);
  return how.join(", ");
}

export function renderEmail(input: AlertInput): string {
  const out: string[] = [];
  const cluster = oneLine(input.cluster, VALUE_CHARS);
  out.push(subjectOf(input), "");
  out.push(
    `Cluster:   ${cluster}${input.clusterAccount ? ` (account ${oneLine(input.clusterAccount, VALUE_CHARS)})` : ""}`,
  );
  out.push(`Class:     ${input.class} (severity ${input.severity})`);
  if (input.audit) {
    out.push(`When:      ${oneLine(input.audit.time, VALUE_CHARS)}`);
    const [first, ...rest] = describeActor(input.audit.actor);
    out.push(`Who:       ${first}`, ...rest.map((l) => `           ${l}`));
    out.push(`Write:     ${describeWrite(input.audit)}`);
    out.push(`Audit ID:  ${oneLine(input.audit.auditID, VALUE_CHARS)}`);
  } else if (input.record?.capture) {
    out.push(
      `When:      ${oneLine(input.record.capture.at, VALUE_CHARS)} (captured from the cluster: ${oneLine(input.record.capture.reason, VALUE_CHARS)})`,
    );
  }
  if (input.record) out.push(`Version:   ${oneLine(input.record.id, VALUE_CHARS)}`);
  if (input.comparedWith) out.push(`Compared:  ${oneLine(input.comparedWith.id, VALUE_CHARS)}`);
  out.push("");
  const changes = input.diff ? diffLines(input.diff) : [];
  out.push("What changed");
  out.push(
    ...(changes.length
      ? capped(changes, EMAIL_CHANGE_LINES, "changes").map((l) => `  ${l}`)
      : ["  (no change in access)"]),
  );
  out.push("");
  if (input.findings.length) {
    out.push("Findings");
    // Rule messages quote what the writer put in aws-auth: each finding stays one line.
    const lines = input.findings.map((f) => `[${f.severity}] ${oneLine(f.id, 80)}: ${f.message}`);
    out.push(...capped(lines, EMAIL_FINDING_LINES, "findings").map((l) => `  ${l}`));
    out.push("");
  }
  const commands = restoreCommands(input);
  out.push("Undo");
  if (commands.length && input.restoreTarget) {
    const which = input.class === "dangerous" ? "the last good version" : "the version before this change";
    out.push(
      `  Restore ${which}, ${oneLine(input.restoreTarget.id, VALUE_CHARS)} (${oneLine(input.restoreTarget.time, VALUE_CHARS)}):`,
    );
    out.push(`    ${commands[0]}`);
    if (commands[1])
      out.push(
        "  If the restore function cannot be reached, with your own cluster access:",
        `    ${commands[1]}`,
      );
  } else {
    out.push("  No earlier good version is known to the guardian; nothing to restore automatically.");
  }
  return `${out.join("\n")}\n`;
}

/** The AWS Chatbot custom notification (`client-markdown`): every untrusted value escaped for Slack. */
export function renderChatbot(input: AlertInput): string {
  const changes = input.diff ? diffLines(input.diff) : [];
  const who = input.audit ? describeActor(input.audit.actor) : [];
  const description = [
    `*Class:* ${input.class}  *Severity:* ${input.severity}`,
    input.audit ? `*Who:* ${who.map((w) => slackCode(w)).join(" · ")}` : "",
    input.audit
      ? `*When:* ${slackCode(input.audit.time, VALUE_CHARS)} (${slackText(describeWrite(input.audit))})`
      : "",
    changes.length
      ? `*What changed:*\n${slackCodeBlock(capped(changes, EMAIL_FINDING_LINES, "changes"))}`
      : "*What changed:* no change in access",
    input.findings.length
      ? `*Findings:*\n${capped(
          input.findings.map((f) => `[${f.severity}] ${f.message}`),
          EMAIL_FINDING_LINES,
          "findings",
        )
          .map((l) => `• ${slackText(l)}`)
          .join("\n")}`
      : "",
  ]
    .filter(Boolean)
    .join("\n");
  const commands = restoreCommands(input);
  const id = input.audit?.auditID ?? input.record?.id ?? `${input.cluster}-${input.class}`;
  const notification = {
    version: "1.0",
    source: "custom",
    id: oneLine(id, 200),
    content: {
      textType: "client-markdown",
      title: slackText(
        `aws-auth ${input.class.toUpperCase()} on ${input.cluster}: ${headlineOf(input)}`,
        250,
      ),
      description: capSlack(description, DESCRIPTION_LIMIT),
      // Shell-quoted commands are plain ASCII without backticks or `@`: inside a code span they stay exact.
      nextSteps: commands.length
        ? commands.map((c) => slackCode(c))
        : [
            `No earlier good version is known; inspect with ${slackCode(shellCommand([literal("aws-auth-guardian history"), ...option("--cluster", input.cluster)]))}.`,
          ],
      keywords: ["aws-auth", slackText(input.cluster, 100), input.class, input.severity],
    },
    metadata: {
      threadId: `aws-auth-guardian/${oneLine(input.cluster, 100)}`,
      summary: subjectOf(input),
      eventType: `aws-auth-${input.class}`,
      relatedResources: [...new Set(input.findings.flatMap((f) => f.entries ?? []))]
        .slice(0, 20)
        .map((r) => oneLine(r, VALUE_CHARS)),
      additionalContext: {
        auditID: oneLine(input.audit?.auditID ?? "", VALUE_CHARS),
        cluster: oneLine(input.cluster, VALUE_CHARS),
        class: input.class,
        severity: input.severity,
        version: oneLine(input.record?.id ?? "", VALUE_CHARS),
        restoreTarget: oneLine(input.restoreTarget?.id ?? "", VALUE_CHARS),
      },
    },
  };
  return JSON.stringify(notification);
}

export function renderAttributes(input: AlertInput): Record<string, string> {
  return { severity: input.severity, class: input.class, cluster: oneLine(input.cluster, 256) };
}

export function renderAlert(input: AlertInput): OutboundAlert {
  return {
    subject: subjectOf(input),
    email: renderEmail(input),
    chatbot: renderChatbot(input),
    attributes: renderAttributes(input),
  };
}
