// Trend of one sensor around the selected moment (raw samples from the history route), with
// the moment marked. One small chart per sensor: units differ, so they never share an axis.
import uPlot from 'uplot';

import { C, timeAxis, timeSeries, valueAxis } from './theme';

export class TrendChart {
  private plot: uPlot;
  private resize: ResizeObserver;
  private markerS: number | null = null;

  constructor(private el: HTMLElement, label: string, color: string, timeLabel: string) {
    const opts: uPlot.Options = {
      width: Math.max(260, el.clientWidth),
      height: 150,
      cursor: { sync: { key: 'trend' }, drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [timeAxis(), valueAxis()],
      series: [timeSeries(timeLabel), { label, stroke: color, width: 1.25, points: { show: false } }],
      legend: { show: true, live: true },
      hooks: {
        draw: [(u) => {
          if (this.markerS === null) return;
          const x = u.valToPos(this.markerS, 'x', true);
          const { top, height, left, width } = u.bbox;
          if (x < left || x > left + width) return;
          u.ctx.save();
          u.ctx.strokeStyle = C.selected;
          u.ctx.lineWidth = 2 * devicePixelRatio;
          u.ctx.beginPath();
          u.ctx.moveTo(x, top);
          u.ctx.lineTo(x, top + height);
          u.ctx.stroke();
          u.ctx.restore();
        }],
      },
    };
    this.plot = new uPlot(opts, [[], []], el);
    this.resize = new ResizeObserver(() => this.plot.setSize({ width: Math.max(260, el.clientWidth), height: 150 }));
    this.resize.observe(el);
  }

  set(x: number[], y: (number | null)[], markerS: number | null): void {
    this.markerS = markerS;
    this.plot.setData([x, y]);
  }

  destroy(): void {
    this.resize.disconnect();
    this.plot.destroy();
    this.el.remove();
  }
}
