import type { Cents } from "../money.js";

/**
 * The audit report's two charts, drawn with pdfkit's vector graphics so they stay sharp when
 * printed and carry their numbers as text. Pure drawing: the figures come in ready.
 */

export interface ChartStyle {
  regular: string;
  bold: string;
  currency: string;
  /** An amount as the report prints it ("1,234.50"). */
  amount: (cents: Cents) => string;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Tableau 10: distinguishable in colour and, mostly, in grey print. */
export const PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
const AXIS = "#444444";
const GRID = "#dddddd";
const UP = "#59a14f";
const DOWN = "#e15759";
const TOTAL = "#4e79a7";

/** The axis unit: figures in thousands or millions read better than 14-digit cents. */
interface Scale {
  divisor: number;
  label: string;
}

function scaleFor(maxAbsCents: Cents, currency: string): Scale {
  const units = maxAbsCents / 100;
  if (units >= 10_000_000) return { divisor: 100_000_000, label: `${currency} millions` };
  if (units >= 10_000) return { divisor: 100_000, label: `${currency} thousands` };
  return { divisor: 100, label: currency };
}

/** A round step (1, 2 or 5 × 10^k) giving about `ticks` intervals over the span. */
function niceStep(span: number, ticks: number): number {
  if (span <= 0) return 1;
  const raw = span / ticks;
  const power = 10 ** Math.floor(Math.log10(raw));
  const m = raw / power;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power;
}

function tickText(value: number): string {
  return value.toLocaleString("en-US", { maximumFractionDigits: 2, useGrouping: true });
}

interface Axis {
  min: number;
  max: number;
  step: number;
  scale: Scale;
  /** The y coordinate of a value in cents. */
  y: (cents: Cents) => number;
}

/** Draws the value axis, its gridlines and its label; returns the mapping. */
function valueAxis(doc: PDFKit.PDFDocument, plot: Box, minCents: Cents, maxCents: Cents, style: ChartStyle): Axis {
  const scale = scaleFor(Math.max(Math.abs(minCents), Math.abs(maxCents)), style.currency);
  const lo = Math.min(0, minCents) / scale.divisor;
  const hi = Math.max(0, maxCents) / scale.divisor;
  // Headroom above the highest bar for its value label.
  const step = niceStep((hi - lo) * 1.08 || 1, 5);
  const min = Math.floor(lo / step) * step;
  const max = Math.max(Math.ceil((hi + (hi - lo) * 0.08) / step) * step, min + step);
  const y = (cents: Cents) => plot.y + plot.height - ((cents / scale.divisor - min) / (max - min)) * plot.height;
  doc.font(style.regular).fontSize(7);
  for (let v = min; v <= max + step / 2; v += step) {
    const at = y(v * scale.divisor);
    doc.moveTo(plot.x, at).lineTo(plot.x + plot.width, at).lineWidth(0.4).strokeColor(v === 0 ? AXIS : GRID).stroke();
    const label = tickText(v);
    doc.fillColor(AXIS).text(label, plot.x - 4 - doc.widthOfString(label), at - 3.5, { lineBreak: false });
  }
  doc.moveTo(plot.x, plot.y).lineTo(plot.x, plot.y + plot.height).lineWidth(0.6).strokeColor(AXIS).stroke();
  // The axis title, turned to run up the axis.
  doc.save();
  doc.rotate(-90, { origin: [plot.x - 48, plot.y + plot.height / 2] });
  doc.font(style.regular).fontSize(7.5).fillColor(AXIS);
  const w = doc.widthOfString(scale.label);
  doc.text(scale.label, plot.x - 48 - w / 2, plot.y + plot.height / 2 - 4, { lineBreak: false });
  doc.restore();
  return { min, max, step, scale, y };
}

function centredLabel(doc: PDFKit.PDFDocument, text: string, cx: number, y: number): void {
  doc.text(text, cx - doc.widthOfString(text) / 2, y, { lineBreak: false });
}

/**
 * Additions by class over the last twelve closed periods: one stacked bar per period (negative
 * amounts stack below zero), a legend of the classes, and the axes labelled.
 */
export function drawAdditionsByClass(
  doc: PDFKit.PDFDocument,
  box: Box,
  data: ReadonlyArray<{ period: string; byClass: Record<string, Cents> }>,
  style: ChartStyle,
): void {
  const classes = [...new Set(data.flatMap((d) => Object.keys(d.byClass)))].sort();
  const legendWidth = 150;
  const plot: Box = { x: box.x + 64, y: box.y + 8, width: box.width - 64 - legendWidth - 12, height: box.height - 40 };
  let maxCents = 0;
  let minCents = 0;
  for (const d of data) {
    let up = 0;
    let down = 0;
    for (const c of classes) {
      const v = d.byClass[c] ?? 0;
      if (v > 0) up += v;
      else down += v;
    }
    maxCents = Math.max(maxCents, up);
    minCents = Math.min(minCents, down);
  }
  const axis = valueAxis(doc, plot, minCents, maxCents, style);
  const slot = plot.width / Math.max(1, data.length);
  const barWidth = Math.min(40, slot * 0.6);
  data.forEach((d, i) => {
    const cx = plot.x + slot * (i + 0.5);
    let up = 0;
    let down = 0;
    classes.forEach((c, k) => {
      const v = d.byClass[c] ?? 0;
      if (v === 0) return;
      const from = v > 0 ? up : down;
      const to = from + v;
      if (v > 0) up = to;
      else down = to;
      const top = Math.min(axis.y(from), axis.y(to));
      const height = Math.abs(axis.y(from) - axis.y(to));
      doc.rect(cx - barWidth / 2, top, barWidth, Math.max(height, 0.3)).fillColor(PALETTE[k % PALETTE.length]!).fill();
    });
    doc.font(style.regular).fontSize(7).fillColor(AXIS);
    centredLabel(doc, d.period, cx, plot.y + plot.height + 4);
  });
  doc.font(style.regular).fontSize(7.5).fillColor(AXIS);
  centredLabel(doc, "Closed period", plot.x + plot.width / 2, plot.y + plot.height + 18);

  const lx = plot.x + plot.width + 16;
  doc.font(style.bold).fontSize(7.5).fillColor("#000000").text("Class", lx, plot.y, { lineBreak: false });
  // Listed top to bottom as the bars stack (the last class on top), so the legend reads like the bars.
  for (let k = classes.length - 1; k >= 0; k--) {
    const ly = plot.y + 14 + (classes.length - 1 - k) * 12;
    doc.rect(lx, ly, 8, 8).fillColor(PALETTE[k % PALETTE.length]!).fill();
    doc.font(style.regular).fontSize(7.5).fillColor("#000000").text(classes[k]!, lx + 12, ly, { lineBreak: false });
  }
  doc.fillColor("#000000").strokeColor("#000000");
}

export interface WaterfallStep {
  label: string;
  /** A total bar (opening, closing) stands on zero; a step floats from the running total. */
  kind: "total" | "step";
  amount: Cents;
}

/** The period's rollforward as a waterfall: totals on zero, each movement floating from the running balance. */
export function drawWaterfall(doc: PDFKit.PDFDocument, box: Box, steps: readonly WaterfallStep[], style: ChartStyle): void {
  const plot: Box = { x: box.x + 64, y: box.y + 14, width: box.width - 76, height: box.height - 44 };
  let running = 0;
  const bars = steps.map((s) => {
    const from = s.kind === "total" ? 0 : running;
    const to = s.kind === "total" ? s.amount : running + s.amount;
    running = to;
    return { ...s, from, to };
  });
  const values = bars.flatMap((b) => [b.from, b.to]);
  const axis = valueAxis(doc, plot, Math.min(0, ...values), Math.max(0, ...values), style);
  const slot = plot.width / Math.max(1, bars.length);
  const barWidth = Math.min(70, slot * 0.55);
  bars.forEach((b, i) => {
    const cx = plot.x + slot * (i + 0.5);
    const top = Math.min(axis.y(b.from), axis.y(b.to));
    const height = Math.abs(axis.y(b.from) - axis.y(b.to));
    const colour = b.kind === "total" ? TOTAL : b.amount >= 0 ? UP : DOWN;
    doc.rect(cx - barWidth / 2, top, barWidth, Math.max(height, 0.6)).fillColor(colour).fill();
    const next = bars[i + 1];
    if (next) {
      // The connector carries the running balance to the next bar.
      const at = axis.y(b.to);
      doc.moveTo(cx + barWidth / 2, at).lineTo(cx + slot - barWidth / 2, at).lineWidth(0.4).dash(2, { space: 2 }).strokeColor(AXIS).stroke().undash();
    }
    doc.font(style.bold).fontSize(7).fillColor("#000000");
    const value = b.kind === "step" && b.amount > 0 ? `+${style.amount(b.amount)}` : style.amount(b.amount);
    centredLabel(doc, value, cx, top - 10);
    doc.font(style.regular).fontSize(7.5).fillColor(AXIS);
    centredLabel(doc, b.label, cx, plot.y + plot.height + 6);
  });
  doc.fillColor("#000000").strokeColor("#000000");
}
