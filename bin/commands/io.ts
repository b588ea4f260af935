import { terminalText } from "../../lambda/core/encode.js";

/** What a command needs from the process, injected so tests can run commands in-process. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
  readStdin(): Promise<Buffer>;
}

/** Bad arguments or unusable input: the CLI prints the message and exits 1. */
export class UsageError extends Error {
  override readonly name = "UsageError";
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
export function terminalIo(stdout: TextSink, stderr: TextSink, stdin: NodeJS.ReadableStream): CommandIo {
  return {
    out: (text) => {
      stdout.write(terminalText(text));
    },
    err: (text) => {
      stderr.write(terminalText(text));
    },
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
  };
}

export const processIo: CommandIo = terminalIo(process.stdout, process.stderr, process.stdin);
