// A Shewhart-style control chart of one statistic (T² or SPE) with uPlot: the statistic, its
// control limit (dashed, the region above it tinted), shaded bands where the detector said
// "out of control", and a marker at the selected moment. Redraws happen at most once per
// animation frame whatever the event rate (see `Frame`), over a bounded ScoreBuffer.
import uPlot from 'uplot';

import type { ScoreBuffer } from './buffer';
import { C, timeAxis, timeSeries, valueAxis } from './theme';

export type Stat = 't2' | 'spe';

export interface ControlOptions {
  stat: Stat;
  label: string;
  limitLabel: string;
  timeLabel: string;
  windowS: number;
  syncKey: string;
  log: boolean;
  /** The user clicked the chart at buffer index `idx`. */
  onPick: (idx: number) => void;
  selectedNs: () => number | null;
}

function alarmBands(buffer: ScoreBuffer) {
  return (u: uPlot) => {
    const { ctx } = u;
    const { left, top, width, height } = u.bbox;
    const xMin = u.scales.x.min ?? -Infinity;
    const n = buffer.length;
    ctx.save();
    ctx.fillStyle = C.band;
    let i = 0;
    while (i < n && buffer.x[i] < xMin) i += 1;
    if (i > 0) i -= 1;
    while (i < n) {
      if (!buffer.alarm[i]) {
        i += 1;
        continue;
      }
      const start = i;
      while (i < n && buffer.alarm[i]) i += 1;
      const x0 = u.valToPos(buffer.x[start], 'x', true);
      const x1 = u.valToPos(buffer.x[Math.min(i, n - 1)], 'x', true);
      const a = Math.max(left, x0);
      const b = Math.min(left + width, Math.max(x1, x0 + 2));
      if (b > a) ctx.fillRect(a, top, b - a, height);
    }
    ctx.restore();
  };
}

function selectedMarker(selectedNs: () => number | null) {
  return (u: uPlot) => {
    const ns = selectedNs();
    if (ns === null) return;
    const x = u.valToPos(ns / 1e9, 'x', true);
    const { left, top, width, height } = u.bbox;
    if (x < left || x > left + width) return;
    const { ctx } = u;
    ctx.save();
    ctx.strokeStyle = C.selected;
    ctx.lineWidth = 2 * devicePixelRatio;
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, top + height);
    ctx.stroke();
    ctx.restore();
  };
}

export class ControlChart {
  private plot: uPlot;
  private drawn = -1;
  private resize: ResizeObserver;

  constructor(
    private el: HTMLElement,
    private buffer: ScoreBuffer,
    private opts: ControlOptions,
  ) {
    const limitOf = (b: ScoreBuffer) => (opts.stat === 't2' ? b.t2Limit : b.speLimit);
    const valuesOf = (b: ScoreBuffer) => (opts.stat === 't2' ? b.t2 : b.spe);
    const options: uPlot.Options = {
      width: Math.max(300, el.clientWidth),
      height: 220,
      pxAlign: 0,
      cursor: { sync: { key: opts.syncKey }, drag: { x: false, y: false }, points: { size: 7 } },
      scales: {
        x: { time: true, range: (_u, min, max) => xRange(min, max, opts.windowS) },
        y: opts.log
          ? { distr: 3, range: (_u, min, max) => logRange(min, max, limitOf(buffer)) }
          : { range: (_u, _min, max) => [0, niceTop(max, limitOf(buffer))] },
      },
      axes: [timeAxis(), valueAxis()],
      series: [
        timeSeries(opts.timeLabel),
        { label: opts.label, stroke: C.line, width: 1.25, points: { show: false } },
        {
          label: opts.limitLabel, stroke: C.limit, width: 1.5, dash: [6, 4], points: { show: false },
          fill: C.limitFill, fillTo: (u) => u.scales.y.max ?? 0,
        },
      ],
      legend: { show: true, live: true },
      hooks: {
        drawClear: [alarmBands(buffer)],
        draw: [selectedMarker(opts.selectedNs)],
        ready: [(u) => u.over.addEventListener('click', () => {
          const idx = u.cursor.idx;
          if (idx !== null && idx !== undefined) opts.onPick(idx);
        })],
      },
    };
    const data = [buffer.x, clampLog(valuesOf(buffer), opts.log), limitOf(buffer)] as uPlot.AlignedData;
    this.plot = new uPlot(options, data, el);
    this.resize = new ResizeObserver(() => this.plot.setSize({ width: Math.max(300, el.clientWidth), height: 220 }));
    this.resize.observe(el);
    this.valuesOf = valuesOf;
    this.limitOf = limitOf;
  }

  private valuesOf: (b: ScoreBuffer) => number[];
  private limitOf: (b: ScoreBuffer) => (number | null)[];

  /** Redraws when the buffer changed since the last frame (or when forced). */
  update(force = false): void {
    if (!force && this.drawn === this.buffer.version) return;
    this.drawn = this.buffer.version;
    const values = clampLog(this.valuesOf(this.buffer), this.opts.log);
    this.plot.setData([this.buffer.x, values, this.limitOf(this.buffer)] as uPlot.AlignedData);
  }

  /** Redraws the overlays only (the selection moved). */
  redraw(): void {
    this.plot.redraw(false, false);
  }

  destroy(): void {
    this.resize.disconnect();
    this.plot.destroy();
    this.el.replaceChildren();
  }
}

/** The last `windowS` seconds, or all the data while there is less (a young buffer fills the
 * width instead of hugging the right edge). */
function xRange(min: number | null, max: number | null, windowS: number): [number, number] {
  if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) {
    const now = Date.now() / 1000;
    return [now - windowS, now];
  }
  const lo = Math.max(min, max - windowS);
  return [lo, Math.max(max, lo + 1)];
}

/** Log scales cannot show 0: values below a floor are drawn at the floor. */
function clampLog(values: number[], log: boolean): number[] {
  return log ? values.map((v) => Math.max(v, 1e-3)) : values;
}

function maxOf(values: (number | null)[]): number {
  let m = 0;
  for (const v of values) if (v !== null && v > m) m = v;
  return m;
}

function niceTop(max: number | null, limits: (number | null)[]): number {
  const top = Math.max(max ?? 0, maxOf(limits) * 1.3, 1e-6);
  return top * 1.05;
}

function logRange(min: number | null, max: number | null, limits: (number | null)[]): [number, number] {
  const hi = Math.max(max ?? 1, maxOf(limits) * 2, 1e-2);
  const lo = Math.max(Math.min(min ?? 1, maxOf(limits) / 20), 1e-3);
  return [lo, hi * 1.5];
}

/** Runs `f` once in the next animation frame however often `request` is called before it. */
export class Frame {
  private pending = false;
  private stopped = false;
  constructor(private f: () => void) {}

  request(): void {
    if (this.pending || this.stopped) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      if (!this.stopped) this.f();
    });
  }

  stop(): void {
    this.stopped = true;
  }
}
