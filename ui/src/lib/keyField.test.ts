import { describe, expect, it } from "vitest";
import { sendKey } from "./keyField";

function field(value: string) {
  return {
    value,
    focused: 0,
    focus() {
      this.focused++;
    },
  };
}

describe("sendKey", () => {
  it("empties the field before the call settles, and passes the trimmed key", async () => {
    const input = field("  rst_secret  ");
    let seen = "";
    let valueDuringCall = "unset";
    const err = await sendKey(input, async (key) => {
      seen = key;
      await Promise.resolve();
      valueDuringCall = input.value;
    });
    expect(seen).toBe("rst_secret");
    expect(valueDuringCall).toBe("");
    expect(err).toBeNull();
    expect(input.focused).toBe(0);
  });

  it("keeps the field empty on failure, focuses it, and returns the error as {code, message}", async () => {
    const input = field("rst_wrong");
    const err = await sendKey(input, () => Promise.reject({ code: "bad_key", message: "This API key is not valid." }));
    expect(input.value).toBe("");
    expect(input.focused).toBe(1);
    expect(err).toEqual({ code: "bad_key", message: "This API key is not valid." });
  });
});
