import { readFile } from "node:fs/promises";
import { Analyzer, jsonLine, textEntry, textSummary } from "../../lambda/core/analyze.js";
import { parseConfigMapManifest } from "../../lambda/core/manifest.js";
import { parseClassList, type WriteClass } from "../../lambda/core/policy.js";
import { type CommandIo, type CommandRun, UsageError } from "./io.js";

export interface AnalyzeOptions {
  baseline?: string;
  account?: string;
  cluster?: string;
  trustedWriter?: string[];
  format: "text" | "json";
  failOn?: string[];
}

export const analyzeCommand: CommandRun<AnalyzeOptions> = async ({ args, options: values, io }) => {
  const format = values.format;
  if (values.account !== undefined && !/^\d{12}$/.test(values.account)) {
    throw new UsageError(`--account must be a 12-digit AWS account id, not "${values.account}"`);
  }
  const failOn: WriteClass[] = (values.failOn ?? []).flatMap((item) => {
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
      trustedWriters: values.trustedWriter ?? [],
    },
    ...(baseline?.ok ? { baseline: baseline.configMap } : {}),
    ...(values.cluster ? { cluster: values.cluster } : {}),
  });

  const inputs = args.length > 0 ? args : ["-"];
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
};

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
