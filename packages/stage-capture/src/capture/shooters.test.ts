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
  const ask = { format: "jpeg", quality: 90, mayReuse: true } as const;
  const beginFrames = (calls: string[]) => calls.filter((c) => c === "HeadlessExperimental.beginFrame").length;

  it("a moving page costs one BeginFrame per frame: the read-back is asked for at once", async () => {
    const { cdp, calls } = fakeCdp([
      { hasDamage: true, screenshotData: jpeg("A") },
      { hasDamage: true, screenshotData: jpeg("B") },
      { hasDamage: true, screenshotData: jpeg("C") },
    ]);
    const shooter = new BeginFrameShooter(cdp, new FrameTicks());
    const shots = [await shooter.shoot(ask), await shooter.shoot(ask), await shooter.shoot(ask)];
    expect(shots.map((s) => [s.data.toString(), s.reused])).toEqual([["A", false], ["B", false], ["C", false]]);
    expect(beginFrames(calls)).toBe(3);
  });

  it("a page that stops: the read-back equal to the last one repeats its Buffer and absorbs its own damage; then still frames are not read back", async () => {
    const { cdp, calls } = fakeCdp([
      { hasDamage: true, screenshotData: jpeg("A") },
      { hasDamage: true, screenshotData: jpeg("A") }, // nothing changed but the read-back's own damage
      { hasDamage: true }, // absorb
      { hasDamage: false }, // still: no damage, no read-back
      { hasDamage: true }, // it moves again: damage…
      { hasDamage: true, screenshotData: jpeg("B") }, // …then the read-back
      { hasDamage: true, screenshotData: jpeg("C") }, // moving again: straight to the read-back
    ]);
    const shooter = new BeginFrameShooter(cdp, new FrameTicks());
    const first = await shooter.shoot(ask);
    const second = await shooter.shoot(ask);
    expect(second.reused).toBe(true);
    expect(second.data).toBe(first.data); // the very Buffer: the encoder leaves it to ffmpeg to repeat
    expect(beginFrames(calls)).toBe(3);
    const third = await shooter.shoot(ask);
    expect(third.reused).toBe(true);
    expect(third.data).toBe(first.data);
    expect(calls.at(-1)).toBe("Runtime.evaluate"); // a renderer that died behind "no damage" fails here
    const fourth = await shooter.shoot(ask);
    expect([fourth.data.toString(), fourth.reused]).toEqual(["B", false]);
    const fifth = await shooter.shoot(ask);
    expect([fifth.data.toString(), fifth.reused]).toEqual(["C", false]);
    expect(beginFrames(calls)).toBe(7);
  });

  it("a moving page's read-back that draws nothing (no damage) repeats the last shot", async () => {
    const { cdp, calls } = fakeCdp([{ hasDamage: true, screenshotData: jpeg("A") }, { hasDamage: false }]);
    const shooter = new BeginFrameShooter(cdp, new FrameTicks());
    const first = await shooter.shoot(ask);
    const second = await shooter.shoot(ask);
    expect(second).toEqual({ data: first.data, reused: true });
    expect(second.data).toBe(first.data);
    expect(calls.at(-1)).toBe("Runtime.evaluate");
  });

  it("the first read-back of a page is asked again while it comes back empty", async () => {
    const { cdp } = fakeCdp([{ hasDamage: false }, { hasDamage: true, screenshotData: jpeg("A") }]);
    const shooter = new BeginFrameShooter(cdp, new FrameTicks());
    expect(await shooter.shoot(ask)).toEqual({ data: Buffer.from("A"), reused: false });
  });

  it("no damage from a renderer that died after the seek is not taken for an unchanged frame", async () => {
    const { cdp, state } = fakeCdp([{ hasDamage: true, screenshotData: jpeg("A") }, { hasDamage: false }]);
    const shooter = new BeginFrameShooter(cdp, new FrameTicks());
    await shooter.shoot(ask);
    state.dead = true;
    await expect(shooter.shoot(ask)).rejects.toThrow(/Target crashed/);
  });

  it("a moving page whose renderer died after the seek: the previous picture with the read-back's damage is not taken for this frame", async () => {
    const { cdp, state } = fakeCdp([
      { hasDamage: true, screenshotData: jpeg("A") },
      { hasDamage: true, screenshotData: jpeg("A") }, // the compositor's last frame, damaged by the last read-back
      { hasDamage: false }, // absorb
    ]);
    const shooter = new BeginFrameShooter(cdp, new FrameTicks());
    await shooter.shoot(ask);
    state.dead = true;
    await expect(shooter.shoot(ask)).rejects.toThrow(/Target crashed/);
  });

  it("without re-use, a read-back without damage (the compositor's old surface) is checked the same way", async () => {
    const { cdp, state } = fakeCdp([{ hasDamage: false, screenshotData: jpeg("old") }]);
    state.dead = true;
    const shooter = new BeginFrameShooter(cdp, new FrameTicks());
    await expect(shooter.shoot({ format: "jpeg", quality: 90, mayReuse: false })).rejects.toThrow(/Target crashed/);
  });

  it("without re-use every frame is read back, even when its bytes equal the last ones", async () => {
    const { cdp } = fakeCdp([{ hasDamage: true, screenshotData: jpeg("A") }, { hasDamage: true, screenshotData: jpeg("A") }]);
    const shooter = new BeginFrameShooter(cdp, new FrameTicks());
    const noReuse = { format: "jpeg", quality: 90, mayReuse: false } as const;
    const first = await shooter.shoot(noReuse);
    const second = await shooter.shoot(noReuse);
    expect(second.reused).toBe(false);
    expect(second.data).not.toBe(first.data);
  });
});
