// A bounded window of one asset's scores (default the last 10 minutes of data time), kept as
// column arrays that uPlot draws directly. Old points are dropped in chunks, so a push is O(1)
// amortised and the arrays never grow past the window plus one chunk.
import type { Contributor, Score } from '../api';

const CHUNK = 512;

export class ScoreBuffer {
  /** Data time in seconds (uPlot's time unit). */
  x: number[] = [];
  tsNs: number[] = [];
  t2: number[] = [];
  t2Limit: (number | null)[] = [];
  spe: number[] = [];
  speLimit: (number | null)[] = [];
  alarm: boolean[] = [];
  top: Contributor[][] = [];
  /** Bumped on every change; charts redraw when it moved. */
  version = 0;

  constructor(public spanS = 600) {}

  get length(): number {
    return this.x.length;
  }

  lastNs(): number {
    return this.tsNs.length ? this.tsNs[this.tsNs.length - 1] : -Infinity;
  }

  /** Appends a score newer than the last one (older or equal ones are ignored: overlap between
   * the initial read and the stream). */
  push(s: Score): boolean {
    if (s.ts_ns <= this.lastNs()) return false;
    this.x.push(s.ts_ns / 1e9);
    this.tsNs.push(s.ts_ns);
    this.t2.push(s.t2);
    this.t2Limit.push(s.t2_limit);
    this.spe.push(s.spe);
    this.speLimit.push(s.spe_limit);
    this.alarm.push(s.alarm);
    this.top.push(s.top);
    this.version += 1;
    this.trim();
    return true;
  }

  private trim(): void {
    const cutoff = this.x[this.x.length - 1] - this.spanS;
    if (this.x[CHUNK] === undefined || this.x[CHUNK] >= cutoff) return;
    let drop = CHUNK;
    while (drop < this.x.length && this.x[drop] < cutoff) drop += 1;
    for (const column of [this.x, this.tsNs, this.t2, this.t2Limit, this.spe, this.speLimit, this.alarm, this.top]) {
      column.splice(0, drop);
    }
  }

  /** Index of the point nearest to `ns`, or -1 when empty. */
  nearest(ns: number): number {
    const xs = this.tsNs;
    if (!xs.length) return -1;
    let lo = 0;
    let hi = xs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (xs[mid] < ns) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0 && Math.abs(xs[lo - 1] - ns) < Math.abs(xs[lo] - ns)) lo -= 1;
    return lo;
  }
}
