/**
 * `npm run demo`: the incident the guardian exists for, replayed from events recorded on a real API
 * server with EKS's audit policy (test/fixtures/audit/lab). No AWS account needed.
 */
import { readFile } from "node:fs/promises";
import { type AnalyzedWrite, Analyzer, alertText, textEntry } from "../../lambda/core/analyze.js";
import { parseConfigMapManifest } from "../../lambda/core/manifest.js";
import type { CommandRun } from "./io.js";

const FIXTURES = new URL("../../test/fixtures/", import.meta.url);
const CLUSTER = "demo";
const ACCOUNT = "012345678901";

interface Step {
  title: string;
  file?: string;
  capture?: string;
}

export const DEMO_STEPS: Step[] = [
  {
    title: "Terraform creates aws-auth with quoted YAML (EKS logs a create without its content)",
    file: "s01-terraform-create-quoted",
  },
  {
    title: "The guardian's cluster-access function captures the live aws-auth it could not see",
    capture: "demo/captured-after-create.json",
  },
  {
    title: "eks:node-manager rewrites it unquoted, without the Fargate entry",
    file: "s02-node-manager-update-unquoted-drop-fargate",
  },
  {
    title: "eks:fargate-manager re-adds the Fargate entry, groups reordered",
    file: "s03-fargate-manager-update-readd-fargate",
  },
  {
    title: "Terraform re-applies its quoted version (the diff every plan shows)",
    file: "s04-terraform-reapply-quoted-jsonpatch",
  },
  {
    title: "An SSO admin adds a developer role with kubectl edit",
    file: "s05-sso-admin-kubectl-edit-add-developer",
  },
  {
    title: "The same admin grants system:masters to a new contractor role",
    file: "s06-escalation-smp-contractor-masters",
  },
  { title: "A CI role deletes aws-auth", file: "s10-intruder-delete" },
];

function verdict(write: AnalyzedWrite): string {
  const alert = write.alerts ? "ALERT sent" : "no alert (quiet by design)";
  return `  → ${write.processed.classification.class.toUpperCase()}, ${alert}`;
}

export const demoCommand: CommandRun<Record<string, never>> = async ({ io }) => {
  const analyzer = new Analyzer({ cluster: CLUSTER, policy: { clusterAccount: ACCOUNT } });
  io.out(`aws-auth-guardian demo: cluster "${CLUSTER}", account ${ACCOUNT}, recorded audit events\n`);
  let last: AnalyzedWrite | undefined;
  for (const [index, step] of DEMO_STEPS.entries()) {
    io.out(`\n━━ Step ${index + 1}. ${step.title}\n`);
    if (step.capture) {
      const parsed = parseConfigMapManifest(await readFile(new URL(step.capture, FIXTURES), "utf8"));
      if (!parsed.ok) throw new Error(`demo fixture ${step.capture}: ${parsed.error}`);
      // The analyzer made the timeline when it read step 1.
      const timeline = analyzer.timeline(CLUSTER);
      if (!timeline) throw new Error("demo: no timeline after step 1");
      const { record, classification } = timeline.capture(
        parsed.configMap,
        "content of the create",
        "2026-11-22T13:03:50Z",
      );
      io.out(`  captured version ${record.id}: ${classification.class}\n`);
      for (const f of classification.findings) io.out(`    [${f.severity}] ${f.id}: ${f.message}\n`);
      continue;
    }
    const data = await readFile(new URL(`audit/lab/${step.file}.jsonl`, FIXTURES));
    for (const write of analyzer.add(data, `${step.file}.jsonl`)) {
      io.out(`${textEntry(write)}\n${verdict(write)}\n`);
      if (write.processed.classification.class === "dangerous") {
        io.out(`\n  The alert (e-mail text; Slack gets the same through AWS Chatbot):\n`);
        io.out(`${(alertText(write) ?? "").replace(/^/gm, "  │ ")}\n`);
      }
      last = write;
    }
  }
  const timeline = analyzer.timeline(CLUSTER);
  const lastGood = timeline?.lastGood();
  io.out("\n━━ What the guardian kept\n");
  for (const record of timeline?.all() ?? []) {
    io.out(`  ${record.id}  ${record.kind.padEnd(10)}  ${record.class}\n`);
  }
  if (lastGood && last) {
    io.out(
      `\nOne command puts the last good version back, even while everyone is locked out:\n  aws-auth-guardian restore --cluster ${CLUSTER} --to ${lastGood.id}\n`,
    );
  }
  return 0;
};
