// Line overview: one card per asset with its state (grey when normal, colour only when
// abnormal), open alarms, the latest T² and SPE against their limits and a two-minute
// sparkline; the card opens the asset view. Live scores update the cards once per frame.
import { api, type Alarm, type Asset, type Score } from '../api';
import { contributionBars, drawSpark } from '../charts/contrib';
import { Frame } from '../charts/control';
import { fill, h } from '../dom';
import { clock, num } from '../format';
import { t } from '../i18n';
import type { Ctx } from '../main';
import { alarmBadge, assetBadge, debounce, errorText, priorityBadge } from '../ui';

const SPARK_POINTS = 1200;
/** An asset without a journaled sample for this long is flagged on its card. */
const QUIET_S = 60;
/** How often the cards are reloaded without an alarm event (quiet assets send none). */
const RELOAD_MS = 30_000;

interface Card {
  asset: Asset;
  el: HTMLElement;
  ratios: number[];
  last: Score | null;
  dirty: boolean;
  stats: HTMLElement;
  spark: HTMLCanvasElement;
  time: HTMLElement;
}

function ratio(s: Score): number {
  const a = s.t2_limit ? s.t2 / s.t2_limit : 0;
  const b = s.spe_limit ? s.spe / s.spe_limit : 0;
  return Math.max(a, b);
}

function statRow(label: string, value: number, limit: number | null): HTMLElement {
  const over = limit !== null && value > limit;
  return h('div', { class: `stat${over ? ' stat-over' : ''}` },
    h('span', { class: 'stat-label' }, label),
    h('span', { class: 'stat-value' }, num(value)),
    h('span', { class: 'stat-limit' }, t('overview.limit', { limit: num(limit) })));
}

export function overviewView(root: HTMLElement, ctx: Ctx): () => void {
  const grid = h('div', { class: 'cards', 'data-testid': 'overview' });
  const status = h('p', { class: 'muted' }, t('common.loading'));
  fill(root,
    h('div', { class: 'page-head' }, h('h1', null, t('overview.title')), h('p', { class: 'muted' }, t('overview.subtitle'))),
    status, grid);
  const cards = new Map<string, Card>();
  let alarmsByAsset = new Map<string, Alarm[]>();

  const renderStats = (card: Card) => {
    const s = card.last;
    fill(card.stats, s
      ? [statRow('T²', s.t2, s.t2_limit), statRow('SPE', s.spe, s.spe_limit)]
      : h('p', { class: 'muted' }, t('overview.noScore')));
    card.time.textContent = s ? t('overview.lastScore', { time: clock(s.ts_ns) }) : '';
  };

  const renderCard = (card: Card) => {
    const a = card.asset;
    const alarms = alarmsByAsset.get(a.name) ?? [];
    // What moved: the newest open process alarm's sensors, else the latest score's when it is
    // out of control. A normal score's top contributors are noise, so they are not shown; the
    // channels of a silence alarm did not move, they stopped (shown above, "No data from").
    const process = alarms.find((al) => al.kind !== 'silence');
    const top = process?.contributors ?? (card.last?.alarm ? card.last.top : []);
    fill(card.el,
      h('a', { class: 'card-link', href: `#/asset/${encodeURIComponent(a.name)}`, 'aria-label': t('overview.open', { asset: a.name }) }),
      h('div', { class: 'card-head' },
        h('div', null, h('h2', { class: 'card-title' }, a.name), h('div', { class: 'muted small' }, a.site)),
        assetBadge(a.state)),
      card.stats,
      card.spark,
      h('div', { class: 'card-row' },
        h('span', { class: 'muted small' }, a.model ? t('overview.model', { version: a.model.version, kind: a.model.kind }) : t('overview.noModel')),
        card.time),
      a.silent_channels?.length ? h('div', { class: 'card-silent small', role: 'status' },
        t('overview.silent', { channels: a.silent_channels.join(', ') })) : null,
      (a.seconds_since_last_sample ?? 0) >= QUIET_S ? h('div', { class: 'card-silent small', role: 'status' },
        t('overview.quiet', { minutes: Math.floor((a.seconds_since_last_sample ?? 0) / 60) })) : null,
      top.length ? h('div', { class: 'card-contrib' },
        h('div', { class: 'small muted' }, t('overview.movedMost')), contributionBars(top.slice(0, 3), (c) => c)) : null,
      h('div', { class: 'card-alarms' },
        h('div', { class: 'small' }, h('strong', null, t('overview.openAlarms', { count: a.open_alarms }))),
        alarms.slice(0, 3).map((al) => h('div', { class: 'card-alarm' },
          priorityBadge(al.priority), alarmBadge(al.state),
          h('span', { class: 'small muted' }, clock(al.raised_at_ns))))));
    card.el.className = `card card-state-${a.state}`;
    renderStats(card);
  };

  const load = async () => {
    try {
      const [assets, alarms] = await Promise.all([api.assets(), api.alarms({ state: 'open', limit: 500 })]);
      alarmsByAsset = new Map();
      for (const al of alarms) {
        const list = alarmsByAsset.get(al.asset) ?? [];
        list.push(al);
        alarmsByAsset.set(al.asset, list);
      }
      status.remove();
      for (const asset of assets) {
        let card = cards.get(asset.name);
        if (!card) {
          card = {
            asset, el: h('article', { class: 'card', 'data-asset': asset.name }), ratios: [], last: asset.last_score, dirty: false,
            stats: h('div', { class: 'stats' }), spark: h('canvas', { class: 'spark', 'aria-hidden': 'true' }), time: h('span', { class: 'small muted' }),
          };
          cards.set(asset.name, card);
          grid.append(card.el);
          const created = card;
          // Two minutes of history for the sparkline; live scores keep appending after it.
          api.scores(asset.name, SPARK_POINTS).then((page) => {
            created.ratios = page.scores.map(ratio).concat(created.ratios);
            drawSpark(created.spark, created.ratios);
          }, () => {});
        }
        card.asset = asset;
        card.last = asset.last_score ?? card.last;
        renderCard(card);
        drawSpark(card.spark, card.ratios);
      }
    } catch (e) {
      status.textContent = errorText(e);
    }
  };

  const frame = new Frame(() => {
    for (const card of cards.values()) {
      if (!card.dirty) continue;
      card.dirty = false;
      const wasOver = card.asset.state;
      // The state follows the score until the next reload (an alarm change reloads).
      if (card.asset.open_alarms === 0 && card.last) {
        card.asset.state = card.last.alarm ? 'out_of_control' : 'normal';
      }
      if (wasOver !== card.asset.state) renderCard(card);
      else renderStats(card);
      drawSpark(card.spark, card.ratios);
    }
  });

  const offScore = ctx.live.onScore((s) => {
    const card = cards.get(s.asset);
    if (!card) return;
    card.last = s;
    card.ratios.push(ratio(s));
    if (card.ratios.length > SPARK_POINTS + 200) card.ratios.splice(0, card.ratios.length - SPARK_POINTS);
    card.dirty = true;
    frame.request();
  });
  const reload = debounce(() => void load(), 300);
  const offAlarm = ctx.live.onAlarm(reload);
  const offLag = ctx.live.onLagged(reload);
  const every = setInterval(reload, RELOAD_MS);
  void load();
  return () => {
    clearInterval(every);
    frame.stop();
    offScore();
    offAlarm();
    offLag();
  };
}
