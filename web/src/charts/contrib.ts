// Contribution bar chart: how much each sensor drove the statistic at one moment
// (reconstruction-based contribution over the limit; larger moved more). Drawn as HTML bars
// so it is crisp, accessible (a list with values) and needs no canvas.
import type { Contributor } from '../api';
import { h } from '../dom';
import { num } from '../format';

export function contributionBars(items: Contributor[], unitLabel: (c: string) => string): HTMLElement {
  const max = Math.max(...items.map((c) => c.value), 1e-9);
  return h('ol', { class: 'bars' },
    items.map((c, i) => {
      const bar = h('span', { class: `bar-fill${i === 0 ? ' bar-top' : ''}` });
      bar.style.width = `${Math.max(1, (100 * c.value) / max)}%`;
      return h('li', { class: 'bar-row' },
        h('span', { class: 'bar-label', title: unitLabel(c.channel) }, c.channel),
        h('span', { class: 'bar-track', 'aria-hidden': 'true' }, bar),
        h('span', { class: 'bar-value' }, num(c.value)));
    }));
}

/** A small canvas sparkline of the worse of T²/limit and SPE/limit, with the limit at 1. */
export function drawSpark(canvas: HTMLCanvasElement, ratios: number[]): void {
  const dpr = devicePixelRatio || 1;
  const w = canvas.clientWidth || 200;
  const hgt = canvas.clientHeight || 36;
  if (canvas.width !== Math.round(w * dpr)) canvas.width = Math.round(w * dpr);
  if (canvas.height !== Math.round(hgt * dpr)) canvas.height = Math.round(hgt * dpr);
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, hgt);
  // The limit sits at half height or above; faults far above it are drawn clipped at 8×.
  let peak = 0;
  for (const r of ratios) if (Number.isFinite(r) && r > peak) peak = r;
  const top = Math.max(2, Math.min(peak, 8));
  const y = (r: number) => hgt - 2 - (Math.min(r, top) / top) * (hgt - 4);
  ctx.fillStyle = 'rgba(179, 38, 30, 0.08)';
  ctx.fillRect(0, 0, w, y(1));
  ctx.strokeStyle = '#b3261e';
  ctx.setLineDash([4, 3]);
  ctx.beginPath();
  ctx.moveTo(0, y(1));
  ctx.lineTo(w, y(1));
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.strokeStyle = '#1f2933';
  ctx.lineWidth = 1.25;
  ctx.beginPath();
  const n = ratios.length;
  ratios.forEach((r, i) => {
    const px = n <= 1 ? w : (i / (n - 1)) * w;
    if (i === 0) ctx.moveTo(px, y(r));
    else ctx.lineTo(px, y(r));
  });
  ctx.stroke();
}
