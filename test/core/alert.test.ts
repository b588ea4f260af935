/**
 * Alerts: e-mail text, the AWS Chatbot custom notification (shared reference §4) and SNS message
 * attributes, rendered from realistic writes judged by the Analyzer.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  type AlertInput,
  diffLines,
  renderAlert,
  renderAttributes,
  renderChatbot,
  renderEmail,
  restoreCommands,
  subjectOf,
} from "../../lambda/core/alert.js";
import { type AnalyzedWrite, Analyzer } from "../../lambda/core/analyze.js";
import { parseAwsAuth } from "../../lambda/core/aws-auth.js";
import { diffModels } from "../../lambda/core/diff.js";
import { WRITE_CLASSES } from "../../lambda/core/policy.js";
import {
  ARN,
  asConfigMapObject,
  CLUSTER_ACCOUNT,
  configMapWith,
  deleteEvent,
  derivedAuditID,
  doneWhenBaseline,
  doneWhenSequence,
  editEvent,
  goodData,
  LAB_FILES,
  labEvent,
  labLines,
  nodeManagerData,
  roleEntry,
  withRoles,
} from "../support/events.js";

const CAPTURED = new URL("../fixtures/demo/captured-after-create.json", import.meta.url);

async function analyze(
  lines: string[],
  cluster = "prod-eu",
  baseline = asConfigMapObject(doneWhenBaseline()),
): Promise<AnalyzedWrite[]> {
  const analyzer = new Analyzer({ cluster, baseline, policy: { clusterAccount: CLUSTER_ACCOUNT } });
  return analyzer.add(lines.join("\n"), "input");
}

function alertOf(write: AnalyzedWrite | undefined): AlertInput {
  if (!write?.alert) throw new Error("no alert input");
  return write.alert;
}

/** The recorded escalation (s06) after its recorded predecessor (s05, rv 206). */
async function escalation(): Promise<AnalyzedWrite> {
  const s05 = labEvent(LAB_FILES.ssoEditPatch, "patch");
  const before = asConfigMapObject(
    configMapWith((s05.responseObject as { data: Record<string, string> }).data, "206"),
  );
  const [write] = await analyze(labLines(LAB_FILES.escalationPatch), "prod-eu", before);
  if (!write) throw new Error("no write");
  return write;
}

describe("e-mail text", () => {
  it("says cluster, class, severity, who, when, the diff, the findings and the exact restore command", async () => {
    const write = await escalation();
    const email = renderEmail(alertOf(write));
    const lastGood = write.processed.history.lastGood;
    expect(lastGood?.resourceVersion).toBe("206");
    for (const part of [
      "Cluster:   prod-eu (account 012345678901)",
      "Class:     dangerous (severity critical)",
      "When:      2026-11-22T13:04:04.171022Z",
      "Who:       sso-admin:jane.doe-example.com",
      `IAM: ${ARN.ssoAdmin}`,
      "session: jane.doe@example.com",
      "source IP 127.0.0.1",
      "user agent kubectl/v1.29.14 (linux/amd64) kubernetes/4f359b2",
      "Write:     patch (merge-or-strategic-merge), field manager kubectl-patch, HTTP 200",
      "Audit ID:  90c0884f-20cc-4868-b16e-ad065f767827",
      `  + role arn:aws:iam::${CLUSTER_ACCOUNT}:role/contractor-debug as "contractor-debug" in system:masters`,
      `  [critical] masters-granted: arn:aws:iam::${CLUSTER_ACCOUNT}:role/contractor-debug now gets system:masters`,
      `    aws-auth-guardian restore --cluster prod-eu --to ${lastGood?.id}`,
    ]) {
      expect(email).toContain(part);
    }
    expect(email.split("\n")[0]).toBe(subjectOf(alertOf(write)));
  });

  it("offers the direct restore when the store location is known", async () => {
    const input = { ...alertOf(await escalation()), storeLocation: "s3://guardian-snapshots" };
    const [viaFunction, direct] = restoreCommands(input);
    expect(direct).toBe(
      `${viaFunction} --direct --kubeconfig ~/.kube/config --store s3://guardian-snapshots`,
    );
    expect(renderEmail(input)).toContain(`    ${direct}`);
  });

  it("restores the last good version after a dangerous write, the version before after a routine one", async () => {
    const writes = await analyze(doneWhenSequence().map((s) => s.line));
    const routine = writes[0];
    expect(routine?.processed.classification.class).toBe("routine");
    expect(renderEmail(alertOf(routine))).toContain(
      `Restore the version before this change, ${routine?.processed.history.base?.id}`,
    );
    const deletion = writes.find((w) => w.processed.write.verb === "deletecollection");
    expect(renderEmail(alertOf(deletion))).toContain(
      `Restore the last good version, ${deletion?.processed.history.lastGood?.id}`,
    );
  });

  it("says so when there is nothing to restore", async () => {
    const analyzer = new Analyzer({ cluster: "prod-eu" });
    const [write] = await analyzer.add(labLines(LAB_FILES.delete).join("\n"), "x");
    const input = alertOf(write);
    expect(restoreCommands(input)).toEqual([]);
    expect(renderEmail(input)).toContain("No earlier good version is known to the guardian");
    expect(renderEmail(input)).toContain("(no change in access)");
  });

  it("stays well under the 256 KB SNS limit when an aws-auth with 2,000 mappings is deleted, restore command kept", async () => {
    const entries = Array.from({ length: 2000 }, (_, i) =>
      roleEntry(`arn:aws:iam::${CLUSTER_ACCOUNT}:role/team-${i}-eks-access`, `team-${i}:{{SessionName}}`, [
        `team-${i}`,
        "view-only",
      ]),
    );
    const big = asConfigMapObject(configMapWith(withRoles(goodData(), ...entries), "204"));
    const [write] = await analyze(
      [JSON.stringify(deleteEvent({ auditID: derivedAuditID(600) }))],
      "prod-eu",
      big,
    );
    const alert = renderAlert(alertOf(write));
    const snsMessage = JSON.stringify({ default: alert.chatbot, email: alert.email });
    expect(Buffer.byteLength(snsMessage)).toBeLessThan(128 * 1024);
    expect(alert.email).toContain("… and 1804 more changes not shown");
    expect(alert.email).toContain(
      `aws-auth-guardian restore --cluster prod-eu --to ${write?.processed.history.lastGood?.id}`,
    );
  });
});

describe("AWS Chatbot custom notification", () => {
  it("has exactly the custom-notification shape, the restore command in nextSteps", async () => {
    const write = await escalation();
    const input = alertOf(write);
    const notification = JSON.parse(renderChatbot(input));
    expect(Object.keys(notification).sort()).toEqual(["content", "id", "metadata", "source", "version"]);
    expect(notification.version).toBe("1.0");
    expect(notification.source).toBe("custom");
    expect(notification.id).toBe("90c0884f-20cc-4868-b16e-ad065f767827");
    expect(Object.keys(notification.content).sort()).toEqual([
      "description",
      "keywords",
      "nextSteps",
      "textType",
      "title",
    ]);
    expect(notification.content.textType).toBe("client-markdown");
    expect(notification.content.title).toContain("aws-auth DANGEROUS on prod-eu");
    expect(notification.content.description).toContain("*Class:* dangerous  *Severity:* critical");
    expect(notification.content.description).toContain(
      "+ role arn:aws:iam::012345678901:role/contractor-debug",
    );
    expect(notification.content.nextSteps).toEqual([
      `\`aws-auth-guardian restore --cluster prod-eu --to ${write.processed.history.lastGood?.id}\``,
    ]);
    expect(notification.content.keywords).toEqual(["aws-auth", "prod-eu", "dangerous", "critical"]);
    expect(Object.keys(notification.metadata).sort()).toEqual([
      "additionalContext",
      "eventType",
      "relatedResources",
      "summary",
      "threadId",
    ]);
    expect(notification.metadata.threadId).toBe("aws-auth-guardian/prod-eu");
    expect(notification.metadata.summary).toBe(subjectOf(input));
    expect(notification.metadata.eventType).toBe("aws-auth-dangerous");
    expect(notification.metadata.relatedResources).toEqual([
      `arn:aws:iam::${CLUSTER_ACCOUNT}:role/contractor-debug`,
    ]);
    expect(notification.metadata.additionalContext.auditID).toBe("90c0884f-20cc-4868-b16e-ad065f767827");
    for (const value of Object.values(notification.metadata.additionalContext))
      expect(typeof value).toBe("string");
  });

  it("threads per cluster: one thread for every alert of a cluster, another for another cluster", async () => {
    const lines = doneWhenSequence().map((s) => s.line);
    const threads = async (cluster: string) =>
      new Set(
        (await analyze(lines, cluster)).map((w) => JSON.parse(renderChatbot(alertOf(w))).metadata.threadId),
      );
    expect(await threads("prod-eu")).toEqual(new Set(["aws-auth-guardian/prod-eu"]));
    expect(await threads("staging")).toEqual(new Set(["aws-auth-guardian/staging"]));
  });

  it("keeps the description within its limit for a huge diff", async () => {
    const entries = Array.from({ length: 500 }, (_, i) =>
      roleEntry(`arn:aws:iam::${CLUSTER_ACCOUNT}:role/r${i}`, `r${i}`, ["view-only"]),
    );
    const big = asConfigMapObject(configMapWith(withRoles(goodData(), ...entries), "204"));
    const [write] = await analyze(
      [JSON.stringify(deleteEvent({ auditID: derivedAuditID(601) }))],
      "prod-eu",
      big,
    );
    const notification = JSON.parse(renderChatbot(alertOf(write)));
    expect(notification.content.description.length).toBeLessThanOrEqual(3500);
    expect(notification.metadata.relatedResources.length).toBeLessThanOrEqual(20);
  });
});

describe("subject and attributes", () => {
  it("every subject of the Done-when sequence is one line under 100 characters", async () => {
    const long = "a-cluster-name-that-is-quite-long-indeed-for-eks-1";
    for (const cluster of ["prod-eu", long]) {
      for (const write of await analyze(
        doneWhenSequence().map((s) => s.line),
        cluster,
      )) {
        const subject = subjectOf(alertOf(write));
        expect(subject.length).toBeLessThan(100);
        expect(subject).not.toMatch(/[\n\r]/);
        expect(
          subject.startsWith(`[aws-auth ${write.processed.classification.class.toUpperCase()}] ${cluster}: `),
        ).toBe(true);
      }
    }
  });

  it("headlines name what happened: not a bare section label, not half a parser message", async () => {
    const byName = new Map(
      (await analyze(doneWhenSequence().map((s) => s.line))).map((w) => [
        w.processed.write.auditID,
        subjectOf(alertOf(w)),
      ]),
    );
    expect(byName.get(derivedAuditID(10))).toBe(
      "[aws-auth DANGEROUS] prod-eu: mapRoles: entry #6 can never grant access",
    );
    expect(byName.get(derivedAuditID(11))).toBe("[aws-auth DANGEROUS] prod-eu: mapRoles no longer parses");
    expect(byName.get(derivedAuditID(4))).toBe(
      "[aws-auth REJECTED] prod-eu: role/eks-readonly tried to patch aws-auth and was refused",
    );
    expect(byName.get(derivedAuditID(9))).toBe(
      '[aws-auth DANGEROUS] prod-eu: role/Developer now gets system:masters as "developer:{{SessionName}}"',
    );
  });

  it("attributes carry severity, class and cluster", async () => {
    const input = alertOf(await escalation());
    expect(renderAttributes(input)).toEqual({ severity: "critical", class: "dangerous", cluster: "prod-eu" });
    expect(renderAlert(input).attributes).toEqual(renderAttributes(input));
  });
});

describe("who is alerted by default", () => {
  it("cosmetic and aws-internal rewrites do not alert; routine, dangerous and unverified do", async () => {
    const analyzer = new Analyzer({ cluster: "prod-eu", policy: { clusterAccount: CLUSTER_ACCOUNT } });
    await analyzer.add(labLines(LAB_FILES.create).join("\n"), "s01");
    await analyzer.capture(
      "prod-eu",
      JSON.parse(readFileSync(CAPTURED, "utf8")),
      "after create",
      "2026-11-22T13:03:50Z",
    );
    for (const file of Object.values(LAB_FILES).slice(1)) await analyzer.add(labLines(file).join("\n"), file);
    await analyzer.finish();
    const verdicts = analyzer.result.writes.map((w) => `${w.processed.classification.class}:${w.alerts}`);
    expect(verdicts).toEqual([
      "unverified:true",
      "aws-internal:false",
      "aws-internal:false",
      "cosmetic:false",
      "routine:true",
      "dangerous:true",
      "dangerous:true",
      "rejected:false",
    ]);
    expect(WRITE_CLASSES).toHaveLength(7);
  });
});

describe("diff lines", () => {
  it("+ added, - removed, ~ changed, ! sections", () => {
    const good = parseAwsAuth(goodData());
    const changed = withRoles(
      {
        ...nodeManagerData(),
        mapUsers: (goodData().mapUsers ?? "").replace('"username": "breakglass-admin"', '"username": "bg"'),
      },
      roleEntry(ARN.developer, "dev", ["view-only"]),
    );
    expect(diffLines(diffModels(good, parseAwsAuth(changed)))).toEqual([
      `+ role ${ARN.developer} as "dev" in view-only`,
      `- role ${ARN.fargate} (was "system:node:{{SessionName}}" in system:bootstrappers, system:node-proxier, system:nodes)`,
      `~ user ${ARN.breakglass}: username "breakglass-admin" → "bg"`,
    ]);
    const broken = parseAwsAuth({ ...goodData(), mapRoles: "- [" });
    const [bang] = diffLines(diffModels(good, broken));
    expect(bang).toMatch(/^! mapRoles no longer parses: /);
    // Deleting an aws-auth whose mapRoles did not parse: the section is gone, it does not "parse again".
    expect(diffLines(diffModels(broken, undefined))[0]).toBe("! mapRoles, unparseable before, is gone");
    expect(diffLines(diffModels(broken, good))[0]).toBe("! mapRoles parses again (parsed)");
  });

  it("shows a group change on an existing mapping", async () => {
    const before = withRoles(goodData(), roleEntry(ARN.developer, "dev", ["view-only"]));
    const after = withRoles(goodData(), roleEntry(ARN.developer, "dev", ["system:masters"]));
    const [line] = await analyze(
      [
        JSON.stringify(
          editEvent({ auditID: derivedAuditID(602), data: after, before, resourceVersion: "205" }),
        ),
      ],
      "prod-eu",
      asConfigMapObject(configMapWith(before, "204")),
    );
    expect(diffLines(line?.processed.classification.diff ?? diffModels(undefined, undefined))).toEqual([
      `~ role ${ARN.developer}: +system:masters, -view-only`,
    ]);
  });
});
