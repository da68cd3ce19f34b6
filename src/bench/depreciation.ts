/**
 * npm run bench:depreciation — one period's depreciation for 1,000,000 assets, and the full
 * 240-month schedules of 100,000 assets, every amount exact to the cent.
 */
import { DepreciationSchedule } from "../depreciation/schedule.js";
import { CONVENTIONS } from "../depreciation/types.js";
import { prng } from "../sandbox/generate.js";
import { row, trackPeakMemory } from "./util.js";

function assets(n: number, seed: number) {
  const r = prng(seed);
  return Array.from({ length: n }, () => {
    const month = 1 + Math.floor(r() * 12);
    const day = 1 + Math.floor(r() * 28);
    const cost = 100_00 + Math.floor(r() * 5_000_000_00);
    return {
      cost,
      salvage: 0,
      inServiceDate: `20${20 + Math.floor(r() * 6)}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`,
      lifeMonths: [36, 60, 180, 240, 300, 360, 600][Math.floor(r() * 7)]!,
      method: "straight_line" as const,
      convention: CONVENTIONS[Math.floor(r() * CONVENTIONS.length)]!,
    };
  });
}

console.log("depreciation benchmark (GL book, straight line, all conventions, integer cents)\n");
console.log(row(["job", "assets", "seconds", "per asset µs", "control total", "peak RSS MB"]));
console.log(row(["---", "---", "---", "---", "---", "---"]));

{
  const list = assets(1_000_000, 1);
  const stop = trackPeakMemory();
  const t = performance.now();
  let total = 0;
  const period = 2026 * 12 + 9; // October 2026
  for (const a of list) total += new DepreciationSchedule(a).amountForMonth(period);
  const s = (performance.now() - t) / 1000;
  console.log(row(["one period (2026-10)", list.length, s.toFixed(3), ((s / list.length) * 1e6).toFixed(2), (total / 100).toFixed(2), stop()]));
}
{
  const list = assets(100_000, 2).map((a) => ({ ...a, lifeMonths: 240 }));
  const stop = trackPeakMemory();
  const t = performance.now();
  let total = 0;
  let periods = 0;
  for (const a of list) {
    for (const p of new DepreciationSchedule(a).periods()) {
      total += p.amount;
      periods++;
    }
  }
  const s = (performance.now() - t) / 1000;
  const expected = list.reduce((sum, a) => sum + a.cost, 0);
  console.log(row([`full life, 240 months (${periods} periods)`, list.length, s.toFixed(3), ((s / list.length) * 1e6).toFixed(2), (total / 100).toFixed(2), stop()]));
  if (total !== expected) throw new Error(`schedules do not sum to cost: ${total} ≠ ${expected}`);
}
