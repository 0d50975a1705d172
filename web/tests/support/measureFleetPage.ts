/// <reference lib="dom" />
import type { Page } from 'playwright-core';

/** In-page measurements of the fleet page, for bench/webFleet.ts (they run in the browser, so they live where the DOM types are). */

/** Scrolls the virtualized table from top to bottom, `step` px per frame; returns each frame's duration and the long tasks meanwhile. */
export function measureFleetScroll(page: Page, step: number): Promise<{ frames: number[]; longTasks: number[] }> {
  return page.evaluate(async (pixels) => {
    const scroller = document.querySelector<HTMLElement>('[data-testid="fleet-scroller"]');
    if (!scroller) throw new Error('the fleet table is not on the page');
    const longTasks: number[] = [];
    const observer = new PerformanceObserver((list) => list.getEntries().forEach((entry) => longTasks.push(entry.duration)));
    observer.observe({ type: 'longtask', buffered: false });
    scroller.scrollTop = 0;
    const frames: number[] = [];
    await new Promise<void>((done) => {
      let last = performance.now();
      const tick = (now: number) => {
        frames.push(now - last);
        last = now;
        if (scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 1) return done();
        scroller.scrollTop += pixels;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    observer.disconnect();
    return { frames: frames.slice(1), longTasks };
  }, step);
}

/** Starts recording long tasks (> 50 ms) in the page; `read` returns their durations so far. */
export async function recordLongTasks(page: Page): Promise<{ read(): Promise<number[]> }> {
  await page.evaluate(() => {
    const store: number[] = [];
    Object.assign(window, { novacronLongTasks: store });
    new PerformanceObserver((list) => list.getEntries().forEach((entry) => store.push(entry.duration))).observe({ type: 'longtask', buffered: false });
  });
  return { read: () => page.evaluate(() => (window as unknown as { novacronLongTasks: number[] }).novacronLongTasks) };
}

/** Live VM events the fleet page has applied so far. */
export async function fleetEventsApplied(page: Page): Promise<number> {
  return Number(await page.locator('section[data-events-applied]').getAttribute('data-events-applied'));
}
