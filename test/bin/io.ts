/** An in-memory CommandIo for running commands in-process; `confirm` answers prompts when given. */
import { main } from "../../bin/cli.js";
import type { CommandDeps } from "../../bin/commands/io.js";
import type { ConfirmIo } from "../../bin/commands/restore.js";

export interface RecordingIo {
  io: ConfirmIo;
  out(): string;
  err(): string;
  questions: string[];
}

/** What a command run in-process reads: whole stdin, or stdin as a stream of chunks. */
export interface CliInput {
  stdin?: Buffer | string;
  stream?: AsyncIterable<Buffer | string>;
}

export function recordingIo(answer?: boolean, input: CliInput = {}): RecordingIo {
  const out: string[] = [];
  const err: string[] = [];
  const questions: string[] = [];
  const io: ConfirmIo = {
    out: (text) => {
      out.push(text);
    },
    err: (text) => {
      err.push(text);
    },
    readStdin: async () => Buffer.from(input.stdin ?? ""),
    ...(input.stream ? { stdinStream: () => input.stream as AsyncIterable<Buffer | string> } : {}),
    ...(answer === undefined
      ? {}
      : {
          confirm: async (question: string) => {
            questions.push(question);
            return answer;
          },
        }),
  };
  return { io, out: () => out.join(""), err: () => err.join(""), questions };
}

export interface CliRun {
  code: number;
  out: string;
  err: string;
  /** The prompts answered with `answer`. */
  questions: string[];
}

/** `aws-auth-guardian ARGV`, in-process: its exit code, everything it wrote and every prompt it asked. */
export async function runCli(
  argv: string[],
  options: CliInput & { answer?: boolean; deps?: CommandDeps } = {},
): Promise<CliRun> {
  const recorded = recordingIo(options.answer, options);
  const code = await main(argv, recorded.io, options.deps);
  return { code, out: recorded.out(), err: recorded.err(), questions: recorded.questions };
}
