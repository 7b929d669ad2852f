// Asset view: live T² and SPE control charts (limits, alarm bands, synchronised cursors), the
// contribution bars of the selected moment (click a chart, or use the arrow keys on it; by
// default the latest score), the trends of the sensors that contributed most, the suspected
// fault class and the asset's open alarms.
import { api, type Alarm, type Asset, type Contributor } from '../api';
import { ScoreBuffer } from '../charts/buffer';
import { contributionBars } from '../charts/contrib';
import { ControlChart, Frame } from '../charts/control';
import { C } from '../charts/theme';
import { TrendChart } from '../charts/trend';
import { fill, h } from '../dom';
import { clock, dateTime, num, pct } from '../format';
import { t } from '../i18n';
import type { Ctx } from '../main';
import { alarmBadge, assetBadge, debounce, errorText, priorityBadge } from '../ui';
import { alarmButtons } from './actions';

const WINDOWS = [60, 300, 600];
const PREFS = 'faultline.chart';

interface Prefs { windowS: number; log: boolean }

function loadPrefs(): Prefs {
  try {
    const p = JSON.parse(localStorage.getItem(PREFS) ?? '{}') as Partial<Prefs>;
    return { windowS: WINDOWS.includes(p.windowS ?? 0) ? (p.windowS as number) : 300, log: p.log === true };
  } catch {
    return { windowS: 300, log: false };
  }
}

export function assetView(root: HTMLElement, ctx: Ctx, name: string): () => void {
  const prefs = loadPrefs();
  const buffer = new ScoreBuffer(600);
  let asset: Asset | null = null;
  let alarms: Alarm[] = [];
  /** The picked moment (epoch ns), or null to follow the latest score. */
  let selectedNs: number | null = null;
  let stopped = false;
  const cleanups: (() => void)[] = [];

  const head = h('div', { class: 'page-head' });
  const toolbar = h('div', { class: 'toolbar', role: 'group', 'aria-label': t('asset.chartOptions') });
  const t2El = h('div', { class: 'chart', 'data-testid': 'chart-t2' });
  const speEl = h('div', { class: 'chart', 'data-testid': 'chart-spe' });
  const counter = h('span', { class: 'small muted', 'data-testid': 'points', 'aria-live': 'off' });
  const moment = h('section', { class: 'panel', 'aria-labelledby': 'moment-title' });
  const fault = h('section', { class: 'panel', 'aria-labelledby': 'fault-title' });
  const alarmPanel = h('section', { class: 'panel', 'aria-labelledby': 'asset-alarms-title' });
  const trends = h('div', { class: 'trends' });
  const trendNote = h('p', { class: 'small muted' });
  const chartBox = (title: string, hint: string, el: HTMLElement) => {
    const box = h('section', { class: 'panel chart-panel', tabindex: '0', 'aria-label': `${title}. ${t('asset.keysHint')}` },
      h('div', { class: 'panel-head' }, h('h2', null, title), h('span', { class: 'small muted' }, hint)), el);
    box.addEventListener('keydown', onKey);
    return box;
  };

  fill(root,
    head,
    toolbar,
    h('div', { class: 'asset-grid' },
      h('div', { class: 'asset-charts' },
        chartBox(t('asset.t2Title'), t('asset.t2Hint'), t2El),
        chartBox(t('asset.speTitle'), t('asset.speHint'), speEl),
        h('p', { class: 'small muted legend-note' },
          h('span', { class: 'swatch swatch-limit', 'aria-hidden': 'true' }), t('asset.legendLimit'), ' ',
          h('span', { class: 'swatch swatch-band', 'aria-hidden': 'true' }), t('asset.legendBand'), ' ',
          h('span', { class: 'swatch swatch-selected', 'aria-hidden': 'true' }), t('asset.legendSelected'), ' ', counter)),
      h('div', { class: 'asset-side' }, moment, fault, alarmPanel)),
    h('section', { class: 'panel', 'aria-labelledby': 'trends-title' },
      h('div', { class: 'panel-head' }, h('h2', { id: 'trends-title' }, t('asset.trendsTitle')), trendNote),
      trends));

  // Charts.
  let charts: ControlChart[] = [];
  const makeCharts = () => {
    charts.forEach((c) => c.destroy());
    const common = {
      windowS: prefs.windowS, syncKey: `asset-${name}`, log: prefs.log,
      onPick: (idx: number) => select(buffer.tsNs[idx] ?? null),
      selectedNs: () => selectedNs,
    };
    charts = [
      new ControlChart(t2El, buffer, { ...common, stat: 't2', label: 'T²', limitLabel: t('asset.limit'), timeLabel: t('asset.time') }),
      new ControlChart(speEl, buffer, { ...common, stat: 'spe', label: 'SPE', limitLabel: t('asset.limit'), timeLabel: t('asset.time') }),
    ];
  };

  let lastPanel = 0;
  const frame = new Frame(() => {
    charts.forEach((c) => c.update());
    counter.textContent = t('asset.points', { count: buffer.length });
    const now = performance.now();
    if (selectedNs === null && now - lastPanel > 250) {
      lastPanel = now;
      renderMoment();
    }
  });

  // The selected moment.
  const selectedIndex = () => (selectedNs === null ? buffer.length - 1 : buffer.nearest(selectedNs));
  function select(ns: number | null): void {
    selectedNs = ns;
    renderMoment();
    renderToolbar();
    charts.forEach((c) => c.redraw());
    void loadTrends();
  }
  function onKey(e: KeyboardEvent): void {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight' && e.key !== 'End') return;
    e.preventDefault();
    if (e.key === 'End') return select(null);
    const step = e.shiftKey ? 1 : 10;
    const idx = Math.max(0, Math.min(buffer.length - 1, selectedIndex() + (e.key === 'ArrowLeft' ? -step : step)));
    select(buffer.tsNs[idx] ?? null);
  }

  function renderMoment(): void {
    const i = selectedIndex();
    const title = h('h2', { id: 'moment-title' }, selectedNs === null ? t('asset.latest') : t('asset.selected'));
    if (i < 0) {
      fill(moment, h('div', { class: 'panel-head' }, title), h('p', { class: 'muted' }, t('asset.noScores')));
      return;
    }
    const over = (v: number, l: number | null) => (l !== null && v > l ? 'stat stat-over' : 'stat');
    const top: Contributor[] = buffer.top[i] ?? [];
    fill(moment,
      h('div', { class: 'panel-head' }, title, h('span', { class: 'small muted' }, dateTime(buffer.tsNs[i]))),
      h('div', { class: 'stats' },
        h('div', { class: over(buffer.t2[i], buffer.t2Limit[i]) }, h('span', { class: 'stat-label' }, 'T²'),
          h('span', { class: 'stat-value' }, num(buffer.t2[i])), h('span', { class: 'stat-limit' }, t('overview.limit', { limit: num(buffer.t2Limit[i]) }))),
        h('div', { class: over(buffer.spe[i], buffer.speLimit[i]) }, h('span', { class: 'stat-label' }, 'SPE'),
          h('span', { class: 'stat-value' }, num(buffer.spe[i])), h('span', { class: 'stat-limit' }, t('overview.limit', { limit: num(buffer.speLimit[i]) })))),
      h('p', { class: buffer.alarm[i] ? 'verdict verdict-bad' : 'verdict' }, buffer.alarm[i] ? t('asset.outOfControl') : t('asset.inControl')),
      h('h3', null, t('asset.contribTitle')),
      top.length ? contributionBars(top, (c) => unitOf(c)) : h('p', { class: 'muted small' }, t('asset.noContrib')),
      h('p', { class: 'small muted' }, t('asset.contribHint')));
  }

  function unitOf(channel: string): string {
    const c = asset?.channels.find((ch) => ch.name === channel);
    return c?.unit ? `${channel} [${c.unit}]` : channel;
  }

  function renderHead(): void {
    if (!asset) return;
    fill(head,
      h('a', { href: '#/overview', class: 'back' }, `← ${t('nav.overview')}`),
      h('div', { class: 'title-row' },
        h('h1', null, asset.name), assetBadge(asset.state),
        h('span', { class: 'muted' }, asset.site),
        h('span', { class: 'muted' }, asset.model ? t('overview.model', { version: asset.model.version, kind: asset.model.kind }) : t('overview.noModel'))));
  }

  function renderToolbar(): void {
    fill(toolbar,
      h('span', { class: 'small muted' }, t('asset.window')),
      WINDOWS.map((w) => h('button', {
        type: 'button', class: 'btn btn-small btn-toggle', 'aria-pressed': String(prefs.windowS === w),
        onclick: () => { prefs.windowS = w; savePrefs(); makeCharts(); renderToolbar(); },
      }, t('asset.minutes', { minutes: w / 60 }))),
      h('span', { class: 'sep' }),
      h('button', {
        type: 'button', class: 'btn btn-small btn-toggle', 'aria-pressed': String(prefs.log),
        onclick: () => { prefs.log = !prefs.log; savePrefs(); makeCharts(); renderToolbar(); },
      }, t('asset.logScale')),
      h('span', { class: 'sep' }),
      h('button', { type: 'button', class: 'btn btn-small', onclick: jumpToAlarm }, t('asset.lastAlarm')),
      h('button', {
        type: 'button', class: 'btn btn-small btn-toggle', 'aria-pressed': String(selectedNs === null),
        'data-testid': 'follow', onclick: () => select(null),
      }, selectedNs === null ? t('asset.following') : t('asset.follow')));
  }

  function savePrefs(): void {
    localStorage.setItem(PREFS, JSON.stringify(prefs));
  }

  function jumpToAlarm(): void {
    for (let i = buffer.length - 1; i >= 0; i -= 1) {
      if (buffer.alarm[i]) {
        // The worst point of the latest out-of-control run.
        let best = i;
        let j = i;
        while (j >= 0 && buffer.alarm[j]) {
          const r = (l: number | null, v: number) => (l ? v / l : 0);
          if (Math.max(r(buffer.t2Limit[j], buffer.t2[j]), r(buffer.speLimit[j], buffer.spe[j]))
            > Math.max(r(buffer.t2Limit[best], buffer.t2[best]), r(buffer.speLimit[best], buffer.spe[best]))) best = j;
          j -= 1;
        }
        return select(buffer.tsNs[best]);
      }
    }
    const latest = alarms.find((a) => a.kind !== 'silence') ?? alarms[0];
    if (latest) select(latest.raised_at_ns);
  }

  function renderAlarms(): void {
    const withClass = alarms.find((a) => a.fault_class);
    fill(fault,
      h('div', { class: 'panel-head' }, h('h2', { id: 'fault-title' }, t('asset.faultTitle'))),
      withClass?.fault_class
        ? h('div', { class: 'fault' },
          h('div', { class: 'fault-label' }, withClass.fault_class.label),
          h('div', { class: 'meter', role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': '1', 'aria-valuenow': String(withClass.fault_class.confidence), 'aria-label': t('asset.confidence') },
            meterFill(withClass.fault_class.confidence)),
          h('div', { class: 'small muted' }, t('asset.confidenceOf', { confidence: pct(withClass.fault_class.confidence), id: withClass.id })))
        : h('p', { class: 'muted small' }, alarms.length ? t('asset.noFaultClass') : t('asset.noOpenAlarm')));
    fill(alarmPanel,
      h('div', { class: 'panel-head' }, h('h2', { id: 'asset-alarms-title' }, t('asset.alarmsTitle')),
        h('a', { href: '#/alarms', class: 'small' }, t('asset.allAlarms'))),
      alarms.length
        ? h('ul', { class: 'alarm-mini' }, alarms.map((a) => h('li', { 'data-alarm': String(a.id) },
          h('div', { class: 'alarm-mini-head' }, priorityBadge(a.priority), alarmBadge(a.state), h('span', { class: 'small muted' }, `#${a.id} · ${clock(a.raised_at_ns)}`)),
          a.kind === 'silence'
            ? h('div', { class: 'small' }, a.contributors.map((c) => h('span', { class: 'chip chip-silent' }, t('alarms.silent', { channel: c.channel }))))
            : h('div', { class: 'small' }, a.contributors.slice(0, 3).map((c) => c.channel).join(', ')),
          alarmButtons(ctx.me, a, reloadAlarms))))
        : h('p', { class: 'muted small' }, t('asset.noOpenAlarm')));
  }

  function meterFill(value: number): HTMLElement {
    const bar = h('span', { class: 'meter-fill' });
    bar.style.width = `${Math.round(Math.max(0, Math.min(1, value)) * 100)}%`;
    return bar;
  }

  // Trends of the top contributors around the selected moment (or the last two minutes).
  const trendCharts = new Map<string, TrendChart>();
  let trendSeq = 0;
  async function loadTrends(): Promise<void> {
    const seq = ++trendSeq;
    const i = selectedIndex();
    if (i < 0 || !asset) return;
    // Live: the sensors of the newest open alarm (steady while it lasts), else of the latest
    // score. A picked moment: that moment's contributors.
    const alarmChannels = selectedNs === null ? ((alarms.find((a) => a.kind !== 'silence') ?? alarms[0])?.contributors ?? []) : [];
    let channels = (alarmChannels.length ? alarmChannels : buffer.top[i] ?? []).map((c) => c.channel);
    if (!channels.length) channels = asset.channels.slice(0, 3).map((c) => c.name);
    channels = channels.slice(0, 3);
    const at = buffer.tsNs[i];
    const from = selectedNs === null ? at - 120e9 : at - 90e9;
    const to = selectedNs === null ? at + 1 : at + 30e9;
    trendNote.textContent = t('asset.trendsNote', { from: clock(from), to: clock(Math.min(to, buffer.lastNs())) });
    try {
      const page = await api.history(name, from, to, 5000);
      if (seq !== trendSeq || stopped) return;
      for (const [ch, chart] of trendCharts) {
        if (!channels.includes(ch)) {
          chart.destroy();
          trendCharts.delete(ch);
        }
      }
      const x = page.samples.map((s) => s.ts_ns / 1e9);
      channels.forEach((ch, k) => {
        let chart = trendCharts.get(ch);
        if (!chart) {
          const el = h('div', { class: 'trend', 'data-channel': ch });
          trends.append(el);
          chart = new TrendChart(el, unitOf(ch), C.trend[k % C.trend.length], t('asset.time'));
          trendCharts.set(ch, chart);
        }
        chart.set(x, page.samples.map((s) => s.values[ch] ?? null), selectedNs === null ? null : selectedNs / 1e9);
      });
      // Keep the order of the contributions.
      channels.forEach((ch) => {
        const el = trends.querySelector(`[data-channel="${CSS.escape(ch)}"]`);
        if (el) trends.append(el);
      });
    } catch (e) {
      trendNote.textContent = errorText(e);
    }
  }

  async function reloadAlarms(): Promise<void> {
    try {
      alarms = await api.alarms({ asset: name, state: 'open', limit: 50 });
      const assets = await api.assets();
      asset = assets.find((a) => a.name === name) ?? asset;
      renderHead();
      renderAlarms();
    } catch (e) {
      fill(alarmPanel, h('p', { class: 'form-error' }, errorText(e)));
    }
  }

  // Start: subscribe first (so nothing between the read and the stream is lost), then read.
  const early: Parameters<ScoreBuffer['push']>[0][] = [];
  let loaded = false;
  cleanups.push(ctx.live.onScore((s) => {
    if (s.asset !== name) return;
    if (!loaded) {
      early.push(s);
      return;
    }
    buffer.push(s);
    frame.request();
  }));
  const reload = debounce(() => void reloadAlarms(), 300);
  cleanups.push(ctx.live.onAlarm((c) => {
    if (c.alarm.asset === name) reload();
  }));
  const trendTimer = setInterval(() => {
    if (selectedNs === null) void loadTrends();
  }, 3000);
  cleanups.push(() => clearInterval(trendTimer));

  (async () => {
    try {
      const assets = await api.assets();
      asset = assets.find((a) => a.name === name) ?? null;
      if (!asset) {
        fill(root, h('div', { class: 'page-head' }, h('a', { href: '#/overview', class: 'back' }, `← ${t('nav.overview')}`),
          h('h1', null, t('asset.unknown', { asset: name }))));
        return;
      }
      renderHead();
      renderToolbar();
      const page = await api.scores(name, 6000);
      if (stopped) return;
      page.scores.forEach((s) => buffer.push(s));
      early.forEach((s) => buffer.push(s));
      loaded = true;
      makeCharts();
      frame.request();
      renderMoment();
      await reloadAlarms();
      void loadTrends();
    } catch (e) {
      fill(moment, h('p', { class: 'form-error' }, errorText(e)));
    }
  })();

  renderMoment();
  return () => {
    stopped = true;
    frame.stop();
    cleanups.forEach((f) => f());
    charts.forEach((c) => c.destroy());
    trendCharts.forEach((c) => c.destroy());
  };
}
