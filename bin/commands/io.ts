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

export const processIo: CommandIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  },
};
