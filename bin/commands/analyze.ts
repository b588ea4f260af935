import { type FileHandle, open, readFile } from "node:fs/promises";
import { Analyzer, jsonLine, textEntry, textSummary } from "../../lambda/core/analyze.js";
import type { InputProblem } from "../../lambda/core/audit-input.js";
import type { parseConfigMapManifest } from "../../lambda/core/manifest.js";
import { parseClassList, type WriteClass } from "../../lambda/core/policy.js";
import { decodeStream } from "./input-stream.js";
import { type CommandIo, type CommandRun, UsageError } from "./io.js";
import type { StoreFiler } from "./store-filing.js";

export interface AnalyzeOptions {
  baseline?: string;
  account?: string;
  cluster?: string;
  trustedWriter?: string[];
  format: "text" | "json";
  failOn?: string[];
  allowUnusable?: boolean;
  store?: string;
  region?: string;
  maxRecordMb?: string;
}

export const analyzeCommand: CommandRun<AnalyzeOptions> = async ({ args, options: values, io, deps }) => {
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
    // YAML manifests need js-yaml: loaded only when a baseline is given, not on every run.
    const { parseConfigMapManifest } = await import("../../lambda/core/manifest.js");
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

  let filer: StoreFiler | undefined;
  if (values.store) {
    if (!values.cluster)
      throw new UsageError("--store needs --cluster NAME: the cluster the writes are filed under");
    // Loaded only here: the store brings in the S3 client, which a plain analyze never needs.
    const { StoreFiler } = await import("./store-filing.js");
    filer = await StoreFiler.open(
      values.store,
      values.cluster,
      {
        ...(values.account ? { clusterAccount: values.account } : {}),
        trustedWriters: values.trustedWriter ?? [],
      },
      deps,
      values.region,
    );
    if (baseline?.ok && values.baseline) {
      await filer.capture(
        baseline.configMap,
        `baseline read from ${values.baseline}`,
        baseline.configMap.metadata.creationTimestamp ?? new Date().toISOString(),
        "file",
      );
    }
  }

  const inputs = args.length > 0 ? args : ["-"];
  const { result } = analyzer;
  let warned = 0;
  for (const name of inputs) {
    // Each input is read as a stream: memory holds one record at a time, whatever its size.
    await decodeStream(
      await openInput(name, io),
      name === "-" ? "stdin" : name,
      async (decoded) => {
        for (const write of await analyzer.addDecoded(decoded)) await filer?.write(write.processed.write);
        // Problems are reported as they are found; only their number is kept.
        for (; warned < result.problems.length; warned++) {
          const problem = result.problems[warned] as InputProblem;
          io.err(
            `warning: ${problem.source}: ${problem.reason}${problem.auditID ? ` (auditID ${problem.auditID})` : ""}\n`,
          );
          result.problems[warned] = REPORTED;
        }
      },
      values.maxRecordMb !== undefined ? { maxRecordBytes: maxRecordBytes(values.maxRecordMb) } : {},
    );
  }
  // Printed once everything is read: a write read later can come first in the history and change
  // the verdict of those after it (in resourceVersion order across all inputs, as the Lambda judges).
  for (const write of (await analyzer.finish()).writes) {
    io.out(`${format === "json" ? jsonLine(write) : textEntry(write)}\n`);
  }
  if (filer) io.err(`${filer.summary()}\n`);
  const events = result.writes.length + result.duplicates + result.irrelevant;
  const unusable = result.problems.length;
  if (format === "text") io.out(`\n${textSummary(result)}\n`);
  // Always say what was read, so that "no dangerous write" is never mistaken for "nothing was read".
  io.err(`${readSummary(events, result.writes.length, result.duplicates, unusable, inputs.length)}\n`);
  if (events === 0 && unusable > 0) {
    io.err("error: no usable audit event in the input\n");
    return 1;
  }
  const failed = result.writes.some((w) => failOn.includes(w.processed.classification.class));
  if (failed) return 2;
  if (failOn.length > 0 && !values.allowUnusable) {
    // A gate that passes on input it could not read would vouch for writes it never saw.
    if (unusable > 0) {
      io.err(
        `error: --fail-on: ${plural(unusable, "unusable line")} in the input; the writes in them were not judged (--allow-unusable accepts this)\n`,
      );
      return 1;
    }
    if (events === 0) {
      io.err("error: --fail-on: the input holds no audit event (--allow-unusable accepts this)\n");
      return 1;
    }
  }
  return 0;
};

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** `read 100 audit events from 2 inputs: 7 writes to aws-auth (1 duplicate skipped), 0 unusable lines` */
export function readSummary(
  events: number,
  writes: number,
  duplicates: number,
  unusable: number,
  inputs: number,
): string {
  const skipped = duplicates > 0 ? ` (${plural(duplicates, "duplicate")} skipped)` : "";
  return `read ${plural(events, "audit event")} from ${plural(inputs, "input")}: ${plural(writes, "write")} to aws-auth${skipped}, ${plural(unusable, "unusable line")}`;
}

/** Stands in for a problem once it has been printed, so that a flood of bad lines costs no memory. */
const REPORTED: InputProblem = Object.freeze({ source: "", reason: "reported" });

function maxRecordBytes(megabytes: string): number {
  const value = Number(megabytes);
  if (!Number.isFinite(value) || value <= 0 || value > 512) {
    throw new UsageError(`--max-record-mb must be a number of megabytes from 1 to 512, not "${megabytes}"`);
  }
  return Math.floor(value * 1024 * 1024);
}

/** A file (or stdin, `-`) as a stream of chunks; a file that cannot be opened is a usage error. */
async function openInput(name: string, io: CommandIo): Promise<AsyncIterable<Buffer | string>> {
  if (name === "-") {
    if (io.stdinStream) return io.stdinStream();
    const whole = await io.readStdin();
    return (async function* () {
      yield whole;
    })();
  }
  try {
    return readChunks(await open(name));
  } catch (error) {
    throw new UsageError(
      `cannot read ${name}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

/**
 * A file's bytes, read 512 KiB at a time into one buffer, so that reading a large export allocates
 * nothing per chunk. A chunk is valid until the next one is asked for: decodeStream copies what it
 * keeps. Not larger: Node keeps a latin1 string of more than ~1 MB (decodeStream's view of a chunk)
 * outside the heap, and those piled up between collections (130 MB peak on a 120 MB export with
 * 1 MiB chunks, 66 MB with these).
 */
async function* readChunks(handle: FileHandle): AsyncGenerator<Buffer> {
  const buffer = Buffer.allocUnsafe(512 * 1024);
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
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
