import type uPlot from 'uplot';

import { clock, dateTime } from '../format';

// Chart colours (ISA-101 style: greys for the process, colour only for abnormal), shared by
// every chart so they read as one display. CSS custom properties hold the same values.
export const C = {
  axis: '#3b4048',
  grid: '#d5d8dd',
  line: '#1f2933',
  limit: '#b3261e',
  limitFill: 'rgba(179, 38, 30, 0.07)',
  band: 'rgba(217, 130, 43, 0.22)',
  selected: '#1d4ed8',
  trend: ['#1f2933', '#4b5563', '#6b7280'],
  font: '12px system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans KR", "Malgun Gothic", "NanumGothic", sans-serif',
};

/** The time axis: 24-hour clock times in the chosen language (uPlot's default is US style). */
export function timeAxis(): uPlot.Axis {
  return {
    stroke: C.axis, font: C.font, grid: { stroke: C.grid, width: 1 }, ticks: { stroke: C.grid },
    values: (_u, splits) => splits.map((s) => clock(s * 1e9)),
  };
}

/** The value axis. */
export function valueAxis(): uPlot.Axis {
  return { stroke: C.axis, font: C.font, grid: { stroke: C.grid, width: 1 }, ticks: { stroke: C.grid }, size: 60, space: 24 };
}

/** The x series of the legend: the cursor's date and time. */
export function timeSeries(label: string): uPlot.Series {
  return { label, value: (_u, v) => (v === null || v === undefined ? '–' : dateTime(v * 1e9)) };
}
