import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { Analyzer, jsonLine, textEntry, textSummary } from "../../lambda/core/analyze.js";
import { parseConfigMapManifest } from "../../lambda/core/manifest.js";
import { parseClassList, type WriteClass } from "../../lambda/core/policy.js";
import { type CommandIo, UsageError } from "./io.js";

export const ANALYZE_HELP = `Usage: aws-auth-guardian analyze [FILE…] [options]

Reads audit events (raw lines, a CloudWatch Logs subscription event, the decoded payload, or the JSON
printed by \`aws logs filter-log-events\`; gzip allowed) from FILEs in the order given, or stdin, and
judges every write to kube-system/aws-auth.

Options:
  --baseline FILE          aws-auth before the first event (kubectl get cm aws-auth -o yaml|json)
  --account ID             the cluster's AWS account (default: the CloudWatch payload's owner)
  --cluster NAME           cluster name when the input does not carry its log group
  --trusted-writer PATTERN IAM ARN pattern allowed to write aws-auth (repeatable; * is a wildcard),
                           matched against arn:aws:iam::ACCOUNT:role/NAME
  --format text|json       text timeline (default) or one JSON object per write
  --fail-on CLASS[,CLASS]  exit 2 when a write has one of these classes (e.g. dangerous)

Exit status: 0 when it ran (dangerous findings included), 2 when --fail-on matched, 1 on unusable input.`;

export async function analyzeCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      baseline: { type: "string" },
      account: { type: "string" },
      cluster: { type: "string" },
      "trusted-writer": { type: "string", multiple: true },
      format: { type: "string", default: "text" },
      "fail-on": { type: "string", multiple: true },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    io.out(`${ANALYZE_HELP}\n`);
    return 0;
  }
  const format = values.format;
  if (format !== "text" && format !== "json")
    throw new UsageError(`--format must be text or json, not "${format}"`);
  if (values.account !== undefined && !/^\d{12}$/.test(values.account)) {
    throw new UsageError(`--account must be a 12-digit AWS account id, not "${values.account}"`);
  }
  const failOn: WriteClass[] = (values["fail-on"] ?? []).flatMap((item) => {
    try {
      return parseClassList(item);
    } catch (error) {
      throw new UsageError(`--fail-on: ${(error as Error).message}`);
    }
  });

  let baseline: ReturnType<typeof parseConfigMapManifest> | undefined;
  if (values.baseline) {
    baseline = parseConfigMapManifest(await readInput(values.baseline, io).then((b) => b.toString("utf8")));
    if (!baseline.ok) throw new UsageError(`--baseline ${values.baseline}: ${baseline.error}`);
  }
  const analyzer = new Analyzer({
    policy: {
      ...(values.account ? { clusterAccount: values.account } : {}),
      trustedWriters: values["trusted-writer"] ?? [],
    },
    ...(baseline?.ok ? { baseline: baseline.configMap } : {}),
    ...(values.cluster ? { cluster: values.cluster } : {}),
  });

  const inputs = positionals.length > 0 ? positionals : ["-"];
  for (const name of inputs) {
    const data = await readInput(name, io);
    for (const write of analyzer.add(data, name === "-" ? "stdin" : name)) {
      io.out(`${format === "json" ? jsonLine(write) : textEntry(write)}\n`);
    }
  }
  const { result } = analyzer;
  for (const problem of result.problems) {
    io.err(
      `warning: ${problem.source}: ${problem.reason}${problem.auditID ? ` (auditID ${problem.auditID})` : ""}\n`,
    );
  }
  if (result.writes.length === 0 && result.irrelevant === 0 && result.problems.length > 0) {
    io.err("error: no usable audit event in the input\n");
    return 1;
  }
  if (format === "text") io.out(`\n${textSummary(result)}\n`);
  const failed = result.writes.some((w) => failOn.includes(w.processed.classification.class));
  return failed ? 2 : 0;
}

async function readInput(name: string, io: CommandIo): Promise<Buffer> {
  if (name === "-") return io.readStdin();
  try {
    return await readFile(name);
  } catch (error) {
    throw new UsageError(
      `cannot read ${name}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}
