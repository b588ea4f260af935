/**
 * `npm run demo`: the incident the guardian exists for, replayed from events recorded on a real API
 * server with EKS's audit policy (test/fixtures/audit/lab). No AWS account needed.
 */
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AnalyzedWrite, Analyzer, alertText, textEntry } from "../../lambda/core/analyze.js";
import { literal, option, shellCommand } from "../../lambda/core/encode.js";
import { parseConfigMapManifest } from "../../lambda/core/manifest.js";
import type { CommandRun } from "./io.js";

const FIXTURES = new URL("../../test/fixtures/", import.meta.url);
const CLUSTER = "demo";
/** When the demo's cluster-access function read the live aws-auth (step 2). */
const CAPTURED_AT = "2026-11-22T13:03:50Z";
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

export const demoCommand: CommandRun<{ store?: string }> = async ({ options, io, deps }) => {
  const analyzer = new Analyzer({ cluster: CLUSTER, policy: { clusterAccount: ACCOUNT } });
  const { StoreFiler } = await import("./store-filing.js");
  const storeDir = options.store ?? (await mkdtemp(join(tmpdir(), "aws-auth-guardian-demo-")));
  const filer = await StoreFiler.open(storeDir, CLUSTER, { clusterAccount: ACCOUNT }, deps);
  io.out(`aws-auth-guardian demo: cluster "${CLUSTER}", account ${ACCOUNT}, recorded audit events\n`);
  let last: AnalyzedWrite | undefined;
  for (const [index, step] of DEMO_STEPS.entries()) {
    io.out(`\n━━ Step ${index + 1}. ${step.title}\n`);
    if (step.capture) {
      const parsed = parseConfigMapManifest(await readFile(new URL(step.capture, FIXTURES), "utf8"));
      if (!parsed.ok) throw new Error(`demo fixture ${step.capture}: ${parsed.error}`);
      const { record, classification } = await analyzer.capture(
        CLUSTER,
        parsed.configMap,
        "content of the create",
        CAPTURED_AT,
      );
      await filer.capture(parsed.configMap, "content of the create", CAPTURED_AT, "cluster");
      io.out(`  captured version ${record.id}: ${classification.class}\n`);
      for (const f of classification.findings) io.out(`    [${f.severity}] ${f.id}: ${f.message}\n`);
      continue;
    }
    const data = await readFile(new URL(`audit/lab/${step.file}.jsonl`, FIXTURES));
    for (const write of await analyzer.add(data, `${step.file}.jsonl`)) {
      io.out(`${textEntry(write)}\n${verdict(write)}\n`);
      await filer.write(write.processed.write);
      if (write.processed.classification.class === "dangerous") {
        io.out(`\n  The alert (e-mail text; Slack gets the same through AWS Chatbot):\n`);
        io.out(`${(alertText(write) ?? "").replace(/^/gm, "  │ ")}\n`);
      }
      last = write;
    }
  }
  const lastGood = await analyzer.lastGood(CLUSTER);
  io.out("\n━━ What the guardian kept\n");
  for (const record of await analyzer.records(CLUSTER)) {
    io.out(`  ${record.id}  ${record.kind.padEnd(10)}  ${record.class}\n`);
  }
  const store = filer.opened.location;
  io.out(`\nIts snapshot store, as the deployed guardian keeps it in S3: ${store}\n`);
  io.out(`  ${shellCommand([literal("aws-auth-guardian history"), ...option("--store", store)])}\n`);
  if (lastGood) {
    io.out(
      `  ${shellCommand([literal("aws-auth-guardian diff"), lastGood.id, "latest", ...option("--store", store)])}\n`,
    );
  }
  if (lastGood && last) {
    io.out(
      `\nOne command puts the last good version back, even while everyone is locked out:\n  aws-auth-guardian restore --cluster ${CLUSTER} --to ${lastGood.id}\n`,
    );
  }
  return 0;
};
