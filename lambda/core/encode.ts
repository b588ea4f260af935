/**
 * Encoding untrusted text for where it lands. Usernames and groups in aws-auth, session names, user
 * agents, auditIDs, request URIs and ARNs are all written by the people the guardian watches: each
 * medium gets its own encoding, applied where the text is placed, never by the writer's good will.
 *
 * - shell: `shellArg`/`shellCommand` build commands an SRE pastes at 3 a.m.; every argument is quoted
 *   so that the shell sees exactly that value, on one visible line.
 * - plain text (e-mail, logs): `oneLine` folds control characters, line breaks, bidi overrides and
 *   other invisible format characters into visible escapes, so one value can never add a line.
 * - SNS Subject: `subjectLine`, printable ASCII on one line, under 100 characters.
 * - Slack mrkdwn (AWS Chatbot `client-markdown`): `slackText`, `slackCode`, `slackCodeBlock`.
 * - terminal: `terminalText` escapes every control and format character but keeps line breaks and
 *   tabs, for whole multi-line outputs that must still show stored data recognisably.
 *
 * Pure and total: every function takes any string and never throws.
 */

/**
 * Characters that must never reach a reader raw: C0/C1 controls and DEL (ANSI escapes start with ESC
 * or C1 CSI), format characters (bidi overrides such as U+202E, zero-width characters, BOM, tag
 * characters), the Unicode line and paragraph separators, and lone surrogates.
 */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;
/** The same, without line feed and tab: what a multi-line terminal output may keep. */
const UNSAFE_IN_BLOCK = /(?![\n\t])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

const SHORT_ESCAPES: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * A visible, JSON-compatible escape for one unsafe character: `\n`, `\r`, `\t`, else `\uXXXX` per
 * UTF-16 unit (so a terminal showing `--json` output still holds valid JSON).
 */
function escapeChar(char: string): string {
  const short = SHORT_ESCAPES[char];
  if (short !== undefined) return short;
  let out = "";
  for (let i = 0; i < char.length; i += 1) {
    out += `\\u${char.charCodeAt(i).toString(16).padStart(4, "0")}`;
  }
  return out;
}

/** Cuts `text` to at most `max` characters, saying how much was left out. */
export function capLength(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = `… (${text.length - max} more characters)`;
  const keep = Math.max(0, max - note.length);
  // Never split a surrogate pair: a lone half would be an invalid character downstream.
  const end = keep > 0 && /[\uD800-\uDBFF]/.test(text.charAt(keep - 1)) ? keep - 1 : keep;
  return `${text.slice(0, end)}${note}`;
}

/**
 * Untrusted text as one visible line for plain text (e-mail, log lines, CLI tables): control
 * characters, line breaks, bidi overrides and invisible format characters become escapes such as
 * `\n` or `\u202e`; nothing is dropped. With `max`, longer values are cut and say so.
 */
export function oneLine(value: string, max?: number): string {
  const text = String(value).replace(UNSAFE, escapeChar);
  return max === undefined ? text : capLength(text, max);
}

/** Characters that can stand unquoted in a plain-text token without being misread. */
const PLAIN_TOKEN = /^[A-Za-z0-9_:./@+=*{}-]+$/;

/**
 * Untrusted text as one token in prose: bare when it is made of unambiguous characters (ARNs,
 * group names), otherwise double-quoted with `"` and `\` escaped, so a value cannot fake the words
 * around it (`x" in system:masters`) nor a line of its own.
 */
export function token(value: string, max?: number): string {
  const text = String(value);
  if (text !== "" && PLAIN_TOKEN.test(text)) return max === undefined ? text : capLength(text, max);
  return quoted(text, max);
}

/** Untrusted text in double quotes, `"` and `\` escaped, folded to one line. */
export function quoted(value: string, max?: number): string {
  const folded = String(value)
    .replace(/[\\"]/g, (c) => `\\${c}`)
    .replace(UNSAFE, escapeChar);
  return `"${max === undefined ? folded : capLength(folded, max)}"`;
}

/**
 * A whole multi-line output made safe for a terminal: every control character (ESC and C1 CSI
 * included, so no ANSI/OSC sequence can clear the screen, retitle the window or write the
 * clipboard), carriage return, bidi override and invisible format character becomes a visible
 * `\uXXXX`/`\r` escape. Line feeds and tabs stay: stored data keeps its shape. Escaped, never
 * stripped: what an attacker stored stays visible.
 */
export function terminalText(text: string): string {
  return String(text).replace(UNSAFE_IN_BLOCK, escapeChar);
}

// ---- shell ------------------------------------------------------------------------------------

/** Characters that need no quoting in any POSIX shell (as Python's shlex.quote). */
const SHELL_SAFE = /^[A-Za-z0-9_%+=:,./-]+$/;
/**
 * Characters that `$'…'` quoting must spell as escapes: everything unsafe for a reader, plus `\`
 * and `'` (its own syntax), backtick and `@` (so no Slack code span or mention can be made from a
 * command), and every non-ASCII character (so the command is plain ASCII wherever it is pasted).
 */
const ANSI_C_ESCAPE = /[^\x20-\x7e]|[\\'`@]/gu;

function ansiCEscape(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  if (char === "\\" || char === "'") return `\\${char}`;
  if (char === "\n") return "\\n";
  if (char === "\t") return "\\t";
  if (char === "\r") return "\\r";
  if (code < 0x80) return hexByte(code);
  // Non-ASCII as its UTF-8 bytes: exact whatever the shell's locale (`\u` depends on it).
  return Array.from(UTF8.encode(char), hexByte).join("");
}

const UTF8 = new TextEncoder();

function hexByte(byte: number): string {
  return `\\x${byte.toString(16).padStart(2, "0")}`;
}

/**
 * One shell argument, quoted so that bash, zsh and any POSIX shell see exactly `value` (a NUL cannot
 * be passed in an argument at all; it is shown as `\x00` and the shell ends the value there):
 * bare when it is made of safe characters only; in single quotes otherwise; and in `$'…'` quotes
 * (bash, zsh, ksh, POSIX.1-2024) with visible escapes when it holds anything that would not show
 * on one plain line (control and format characters, non-ASCII) or a backtick or `@`. The result is
 * always one line of printable ASCII.
 */
export function shellArg(value: string): string {
  const text = String(value);
  if (text === "") return "''";
  if (SHELL_SAFE.test(text)) return text;
  if (/^[\x20-\x7e]*$/.test(text) && !/[`@]/.test(text)) return `'${text.replace(/'/g, "'\\''")}'`;
  return `$'${text.replace(ANSI_C_ESCAPE, ansiCEscape)}'`;
}

/** A word of a command that is written by the guardian itself and must stay unquoted (`~/.kube/config`). */
export interface ShellLiteral {
  readonly literal: string;
}

export function literal(text: string): ShellLiteral {
  return { literal: text };
}

/**
 * A command line from its words: program name and flags given as literals or plain strings, values
 * quoted with `shellArg`. An option value that starts with `-` is joined as `--name=value` by
 * `option`, so it can never be read as another option.
 */
export function shellCommand(words: ReadonlyArray<string | ShellLiteral>): string {
  return words.map((w) => (typeof w === "string" ? shellArg(w) : w.literal)).join(" ");
}

/** `--name value`, or `--name=value` when the value itself starts with `-`. */
export function option(name: string, value: string): Array<string | ShellLiteral> {
  return value.startsWith("-") ? [literal(`${name}=${shellArg(value)}`)] : [literal(name), value];
}

// ---- SNS Subject --------------------------------------------------------------------------------

/** SNS: "less than 100 characters", one line, no control characters; printable ASCII is safe everywhere. */
export const SUBJECT_LIMIT = 99;

/**
 * Text as an SNS Subject: one line of printable ASCII (anything else becomes `?`, whitespace runs
 * one space), at most 99 characters (cut with `...`), never empty.
 */
export function subjectLine(text: string, limit = SUBJECT_LIMIT): string {
  const ascii = Array.from(String(text).replace(/\s+/gu, " "), (c) => (/^[\x20-\x7e]$/.test(c) ? c : "?"))
    .join("")
    .trim();
  const line = ascii.length <= limit ? ascii : `${ascii.slice(0, Math.max(0, limit - 3)).trimEnd()}...`;
  return line === "" ? "aws-auth-guardian" : line;
}

// ---- Slack mrkdwn (AWS Chatbot client-markdown) --------------------------------------------------

/** Slack's three control characters: with them escaped, no `<!channel>`, `<@U…>` or `<url|text>` can be formed. */
export function slackEscape(text: string): string {
  return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * Backticks would open or close code spans and fences; `@name` at the start of a word may notify
 * people (`@channel`, `@here`). Both are replaced by look-alikes that do neither: ˋ (U+02CB) and
 * ＠ (U+FF20). `@` inside a word (an e-mail address) is left alone.
 */
function slackNeutralise(text: string): string {
  return text.replace(/`/g, "\u02cb").replace(/(^|[^\w.+-])@(?=\w)/g, "$1\uff20");
}

/**
 * Untrusted text as one line of Slack prose: folded like `oneLine`, `&<>` escaped, mentions and
 * code markers neutralised, and `*`/`~` (bold/strike) replaced by look-alikes (∗, ∼) so a value
 * cannot restyle the message.
 */
export function slackText(value: string, max?: number): string {
  const flat = oneLine(value, max);
  return slackNeutralise(slackEscape(flat)).replace(/\*/g, "\u2217").replace(/~/g, "\u223c");
}

/** Untrusted text as inline code: one line, `&<>` escaped, no backtick to break out, no mention. */
export function slackCode(value: string, max?: number): string {
  return `\`${slackNeutralise(slackEscape(oneLine(value, max))) || " "}\``;
}

/**
 * Lines (each already one line, e.g. diff lines) as a fenced code block that no line can close
 * early: `&<>` escaped, backticks and mentions neutralised, any remaining line break folded.
 */
export function slackCodeBlock(lines: readonly string[]): string {
  const body = lines.map((l) => slackNeutralise(slackEscape(oneLine(l)))).join("\n");
  return `\`\`\`\n${body}\n\`\`\``;
}

/**
 * Cuts Slack text to `max` characters without leaving a code fence open (an unclosed fence would
 * turn the rest of the message into code).
 */
export function capSlack(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = `${text.slice(0, Math.max(0, max - 5))}…`;
  if ((cut.match(/```/g) ?? []).length % 2 === 1) cut = `${cut.slice(0, Math.max(0, max - 5))}\n\`\`\``;
  return cut;
}
