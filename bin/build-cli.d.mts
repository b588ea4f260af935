/** Types of bin/build-cli.mjs, for the test suite's global setup. */
export declare const OUT: string;
export declare function buildCli(options?: { quiet?: boolean }): Promise<{ inputs: number; outputs: number }>;
