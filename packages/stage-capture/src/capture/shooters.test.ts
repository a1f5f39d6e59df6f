// BeginFrameShooter against a scripted CDP session: what it asks Chromium, and a dead renderer behind "no damage".
import type { CDPSession } from "puppeteer-core";
import { describe, expect, it } from "vitest";
import { FrameTicks } from "./beginFrame.js";
import { BeginFrameShooter } from "./shooters.js";

/** A CDP session whose BeginFrames answer from `frames` in turn; Runtime.evaluate fails once `dead` is set. */
function fakeCdp(frames: { hasDamage: boolean; screenshotData?: string }[]) {
  const calls: string[] = [];
  const state = { dead: false };
  const cdp = {
    async send(method: string) {
      calls.push(method);
      if (method === "Runtime.evaluate") {
        if (state.dead) throw new Error("Protocol error (Runtime.evaluate): Target crashed");
        return { result: { value: 0 } };
      }
      const next = frames.shift();
      if (!next) throw new Error("no more frames scripted");
      return next;
    },
  } as unknown as CDPSession;
  return { cdp, calls, state };
}

const jpeg = (text: string) => Buffer.from(text).toString("base64");

describe("BeginFrameShooter", () => {
  it("a frame with damage is read back; one without repeats the previous bytes (after checking the renderer is alive)", async () => {
    const { cdp, calls } = fakeCdp([
      { hasDamage: true },
      { hasDamage: true, screenshotData: jpeg("A") },
      { hasDamage: false }, // settle
      { hasDamage: false }, // next frame: nothing changed
    ]);
    const shooter = new BeginFrameShooter(cdp, new FrameTicks());
    const first = await shooter.shoot({ format: "jpeg", quality: 90, mayReuse: true });
    expect(first).toEqual({ data: Buffer.from("A"), reused: false });
    const second = await shooter.shoot({ format: "jpeg", quality: 90, mayReuse: true });
    expect(second.reused).toBe(true);
    expect(second.data).toBe(first.data);
    expect(calls.at(-1)).toBe("Runtime.evaluate");
  });

  it("no damage from a renderer that died after the seek is not taken for an unchanged frame", async () => {
    const { cdp, state } = fakeCdp([{ hasDamage: true }, { hasDamage: true, screenshotData: jpeg("A") }, { hasDamage: false }, { hasDamage: false }]);
    const shooter = new BeginFrameShooter(cdp, new FrameTicks());
    await shooter.shoot({ format: "jpeg", quality: 90, mayReuse: true });
    state.dead = true;
    await expect(shooter.shoot({ format: "jpeg", quality: 90, mayReuse: true })).rejects.toThrow(/Target crashed/);
  });

  it("without re-use, a read-back without damage (the compositor's old surface) is checked the same way", async () => {
    const { cdp, state } = fakeCdp([{ hasDamage: false, screenshotData: jpeg("old") }]);
    state.dead = true;
    const shooter = new BeginFrameShooter(cdp, new FrameTicks());
    await expect(shooter.shoot({ format: "jpeg", quality: 90, mayReuse: false })).rejects.toThrow(/Target crashed/);
  });
});
