/** What a command needs from the process, injected so tests can run commands in-process. */
import type { Env } from "../../lambda/adapters/aws-clients.js";
import { terminalText } from "../../lambda/core/encode.js";
import type { ClusterAccessEvent } from "../../lambda/restore/create-handler.js";

export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
  readStdin(): Promise<Buffer>;
  /** Stdin as a stream, for commands that read it piece by piece. @default - readStdin(), whole */
  stdinStream?(): AsyncIterable<Buffer | string>;
}

/** A CommandIo that can ask yes/no questions; tests supply `confirm`, a terminal gets a prompt. */
export interface ConfirmIo extends CommandIo {
  confirm?(question: string): Promise<boolean>;
}

/** Sends one event to the cluster-access function and returns what it answered. */
export type Invoke = (event: ClusterAccessEvent) => Promise<unknown>;

/** What tests inject instead of the real outside world. */
export interface CommandDeps {
  /** @default - Lambda Invoke of --function */
  invoke?: Invoke;
  /** @default process.env */
  env?: Env;
  /** `migrate`: the AWS clients and clock it uses (tests hand in moto and the EKS fake). */
  migrate?: import("./migrate.js").MigrateDeps;
}

/** What a command's implementation receives: its operands, its options (camelCased), the world. */
export interface CommandInput<Options> {
  args: string[];
  options: Options;
  io: ConfirmIo;
  deps: CommandDeps;
}

/** A command's implementation; the number is the exit status. */
export type CommandRun<Options> = (input: CommandInput<Options>) => Promise<number>;

/** Bad arguments or unusable input: the CLI prints the message and exits 1. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Status of a process whose reader went away (`| head`), as for a Unix tool killed by SIGPIPE. */
export const BROKEN_PIPE_STATUS = 141;

let stdoutClosed = false;

/**
 * Once the reader of stdout has gone (`aws-auth-guardian demo | head`), stop quietly: no stack
 * trace, no further writes.
 */
export function endQuietlyOnBrokenPipe(): void {
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    stdoutClosed = true;
    process.exit(BROKEN_PIPE_STATUS);
  });
}

/** Where text finally goes: a process stream, or anything with the same `write`. */
export interface TextSink {
  write(text: string): unknown;
}

/**
 * The one place output leaves the CLI. Everything printed (stored data in `show`, usernames in
 * `history`, API server messages in errors) may hold what a writer of aws-auth put there, so every
 * control character (ANSI/OSC escape sequences included), carriage return, bidi override and
 * invisible format character is written as a visible escape (`\u001b`, `\r`, `\u202e`). Line feeds
 * and tabs stay, so multi-line output keeps its shape, and `--json` output stays valid JSON with the
 * same values.
 */
export function terminalIo(
  stdout: TextSink,
  stderr: TextSink,
  stdin: NodeJS.ReadableStream,
  stdoutOpen: () => boolean = () => true,
): CommandIo {
  return {
    out: (text) => {
      if (stdoutOpen()) stdout.write(terminalText(text));
    },
    err: (text) => {
      stderr.write(terminalText(text));
    },
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
    stdinStream: () => stdin as AsyncIterable<Buffer | string>,
  };
}

export const processIo: CommandIo = terminalIo(
  process.stdout,
  process.stderr,
  process.stdin,
  () => !stdoutClosed,
);
