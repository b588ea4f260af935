/**
 * `aws-auth-guardian lint FILE|-`: checks an aws-auth manifest before it is applied (after
 * `terraform plan`, `kubectl apply --dry-run=client -o yaml`, or by hand) with the guardian's content
 * rules, and with `--baseline FILE` its grant rules too. Exit 0 clean, 2 findings at or above
 * `--fail-severity`, 1 unusable input.
 */
import { readFile } from "node:fs/promises";
import { lintAwsAuth } from "../../lambda/core/lint.js";
import { parseConfigMapManifest } from "../../lambda/core/manifest.js";
import { SEVERITIES, type Severity, severityRank } from "../../lambda/core/policy.js";
import { type CommandIo, type CommandRun, UsageError } from "./io.js";

export interface LintOptions {
  baseline?: string;
  failSeverity?: string;
  format?: "text" | "json";
  account?: string;
}

/** Reads a ConfigMap manifest from a file or stdin (`-`). */
export async function readConfigMapData(name: string, io: CommandIo): Promise<Record<string, string>> {
  let bytes: Buffer;
  try {
    bytes = name === "-" ? await io.readStdin() : await readFile(name);
  } catch (error) {
    throw new UsageError(`cannot read ${name}: ${(error as Error).message}`);
  }
  const parsed = parseConfigMapManifest(bytes.toString("utf8"));
  if (!parsed.ok) throw new UsageError(`${name}: ${parsed.error}`);
  return parsed.configMap.data ?? {};
}

export const lintCommand: CommandRun<LintOptions> = async ({ args, options, io }) => {
  const file = args[0];
  if (!file) throw new UsageError("lint needs a FILE, or - for stdin");
  const failAt = (options.failSeverity ?? "high") as Severity;
  if (!(SEVERITIES as readonly string[]).includes(failAt)) {
    throw new UsageError(`--fail-severity must be one of ${SEVERITIES.join(", ")}`);
  }
  const data = await readConfigMapData(file, io);
  const baseline = options.baseline ? await readConfigMapData(options.baseline, io) : undefined;
  const { findings, model } = lintAwsAuth(data, baseline, {
    trustedWriters: [],
    guardianWriters: [],
    extraNodeRoleArns: [],
    alertClasses: [],
    ...(options.account ? { clusterAccount: options.account } : {}),
  });
  const failing = findings.filter((f) => severityRank(f.severity) >= severityRank(failAt));
  if (options.format === "json") {
    io.out(
      `${JSON.stringify({ file, baseline: options.baseline ?? null, failSeverity: failAt, failed: failing.length > 0, sections: model.sections, findings }, null, 2)}\n`,
    );
  } else {
    for (const name of ["mapRoles", "mapUsers", "mapAccounts"] as const) {
      const state = model.sections[name];
      io.out(`${name}: ${state.status}${state.entries !== undefined ? ` (${state.entries} entries)` : ""}\n`);
    }
    if (findings.length === 0) io.out("No findings.\n");
    for (const f of findings) io.out(`[${f.severity}] ${f.id}: ${f.message}\n`);
    io.out(
      failing.length > 0
        ? `${failing.length} finding(s) at or above ${failAt}.\n`
        : `Nothing at or above ${failAt}.\n`,
    );
  }
  return failing.length > 0 ? 2 : 0;
};
