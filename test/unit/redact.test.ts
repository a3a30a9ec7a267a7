// Masked values (D28): the pure redaction of bytes and text.
import { describe, expect, test } from "bun:test";
import { maskBytes, maskedRanges, redactBytes, redactText } from "../../src/logs/redact.ts";

const text = (b: Uint8Array) => Buffer.from(b).toString("utf8");

describe("redaction", () => {
  test("every occurrence becomes ***; empty values hide nothing", () => {
    expect(redactText("a secret and secret.", maskBytes(["secret", ""]))).toBe("a *** and ***.");
    expect(redactText("nothing here", maskBytes(["secret"]))).toBe("nothing here");
    expect(redactText("x", maskBytes([]))).toBe("x");
  });

  test("values that are substrings of each other or overlap become one ***", () => {
    const masks = maskBytes(["abc", "abcdef", "efgh"]);
    expect(redactText("[abc] [abcdef] [abcdefgh] [xabcx]", masks)).toBe("[***] [***] [***] [x***x]");
    expect(maskedRanges(Buffer.from("aaaa"), maskBytes(["aa"]))).toEqual([[0, 4]]);
  });

  test("a value cut by the start of the window is recognised from the context before it", () => {
    const buf = Buffer.from("xx secret yy");
    // The window starts at byte 5 ("cret yy"); bytes 0-4 are context only.
    expect(text(redactBytes(buf, maskBytes(["secret"]), 5))).toBe("*** yy");
    expect(text(redactBytes(buf, maskBytes(["secret"]), 9))).toBe(" yy");
  });

  test("with an open end, a value's beginning at the end of the buffer is hidden", () => {
    const masks = maskBytes(["secret"]);
    expect(text(redactBytes(Buffer.from("key: secr"), masks, 0, true))).toBe("key: ***");
    expect(text(redactBytes(Buffer.from("key: secr"), masks, 0, false))).toBe("key: secr");
    expect(text(redactBytes(Buffer.from("done\n"), masks, 0, true))).toBe("done\n");
  });

  test("multi-byte values and text around them survive", () => {
    expect(redactText("ключ=пароль!", maskBytes(["пароль"]))).toBe("ключ=***!");
  });
});
