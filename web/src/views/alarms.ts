// Alarm list: filter by asset, state and priority; acknowledge, shelve (reason and expiry) and
// unshelve; live changes reload the list. Unacknowledged alarms are marked, colour is by
// priority only (ISA-101/ISA-18.2: colour means abnormal and its urgency).
import { api, type Alarm } from '../api';
import { fill, h } from '../dom';
import { dateTime, num, pct } from '../format';
import { t, tOr } from '../i18n';
import type { Ctx } from '../main';
import { alarmBadge, debounce, errorText, priorityBadge } from '../ui';
import { alarmButtons } from './actions';

const STATES = ['open', 'unacked_active,unacked_returned', 'acked_active', 'shelved', 'normal', ''];
const STATE_KEYS: Record<string, string> = {
  open: 'alarms.filterOpen',
  'unacked_active,unacked_returned': 'alarms.filterUnacked',
  acked_active: 'alarms.filterAcked',
  shelved: 'alarms.filterShelved',
  normal: 'alarms.filterClosed',
  '': 'alarms.filterAll',
};
const FILTERS = 'faultline.alarmFilter';

export function alarmsView(root: HTMLElement, ctx: Ctx): () => void {
  const saved = JSON.parse(sessionStorage.getItem(FILTERS) ?? '{}') as { asset?: string; state?: string; priority?: string };
  const filter = { asset: saved.asset ?? '', state: saved.state ?? 'open', priority: saved.priority ?? '' };
  const assetSel = h('select', { id: 'flt-asset' }, h('option', { value: '' }, t('alarms.allAssets')));
  const stateSel = h('select', { id: 'flt-state' }, STATES.map((s) => h('option', { value: s }, t(STATE_KEYS[s]))));
  const prioSel = h('select', { id: 'flt-prio' },
    h('option', { value: '' }, t('alarms.allPriorities')),
    ['high', 'medium', 'low'].map((p) => h('option', { value: p }, tOr(`priority.${p}`, p))));
  stateSel.value = filter.state;
  prioSel.value = filter.priority;
  const body = h('tbody');
  const status = h('p', { class: 'muted small', 'aria-live': 'polite' });
  const table = h('table', { class: 'table', 'data-testid': 'alarm-table' },
    h('caption', { class: 'sr-only' }, t('alarms.title')),
    h('thead', null, h('tr', null,
      [t('alarms.priority'), t('alarms.id'), t('alarms.asset'), t('alarms.state'), t('alarms.raised'), t('alarms.cleared'),
        t('alarms.peak'), t('alarms.contributors'), t('alarms.faultClass'), t('alarms.shelvedUntil'), t('alarms.actions')]
        .map((c) => h('th', { scope: 'col' }, c)))),
    body);

  fill(root,
    h('div', { class: 'page-head' }, h('h1', null, t('alarms.title')), h('p', { class: 'muted' }, t('alarms.subtitle'))),
    h('form', { class: 'filters', role: 'search', onsubmit: (e: Event) => e.preventDefault() },
      h('div', { class: 'field' }, h('label', { for: 'flt-asset' }, t('alarms.asset')), assetSel),
      h('div', { class: 'field' }, h('label', { for: 'flt-state' }, t('alarms.state')), stateSel),
      h('div', { class: 'field' }, h('label', { for: 'flt-prio' }, t('alarms.priority')), prioSel),
      status),
    h('div', { class: 'table-wrap' }, table));

  const row = (a: Alarm) => h('tr', { class: `row-${a.state} row-prio-${a.priority}`, 'data-alarm': String(a.id) },
    h('td', null, priorityBadge(a.priority)),
    h('td', { class: 'num' }, `#${a.id}`),
    h('td', null, h('a', { href: `#/asset/${encodeURIComponent(a.asset)}` }, a.asset)),
    h('td', null, alarmBadge(a.state)),
    h('td', { class: 'nowrap' }, dateTime(a.raised_at_ns)),
    h('td', { class: 'nowrap' }, a.cleared_at_ns ? dateTime(a.cleared_at_ns) : '–'),
    h('td', { class: 'num' }, a.kind === 'silence' ? t('alarms.silentPeak', { count: Math.round(a.peak) }) : `${num(a.peak)}×`),
    h('td', null, a.kind === 'silence'
      ? a.contributors.map((c) => h('span', { class: 'chip chip-silent', title: t('alarms.silentHint') }, t('alarms.silent', { channel: c.channel })))
      : a.contributors.slice(0, 3).map((c) => h('span', { class: 'chip' }, c.channel))),
    h('td', null, a.fault_class ? `${a.fault_class.label} (${pct(a.fault_class.confidence)})` : '–'),
    h('td', { class: 'nowrap' }, a.shelved_until ? dateTime(a.shelved_until_ns ?? a.shelved_until) : '–'),
    h('td', null, alarmButtons(ctx.me, a, () => void load())));

  let seq = 0;
  async function load(): Promise<void> {
    const mine = ++seq;
    sessionStorage.setItem(FILTERS, JSON.stringify(filter));
    try {
      const alarms = await api.alarms({ asset: filter.asset || undefined, state: filter.state || undefined, limit: 500 });
      if (mine !== seq) return;
      const shown = filter.priority ? alarms.filter((a) => a.priority === filter.priority) : alarms;
      fill(body, shown.length ? shown.map(row)
        : h('tr', null, h('td', { colspan: 11, class: 'empty' }, t('alarms.none'))));
      status.textContent = t('alarms.count', { count: shown.length });
    } catch (e) {
      status.textContent = errorText(e);
    }
  }

  api.assets().then((assets) => {
    assets.forEach((a) => assetSel.append(h('option', { value: a.name }, a.name)));
    assetSel.value = filter.asset;
  }, () => {});
  assetSel.addEventListener('change', () => { filter.asset = assetSel.value; void load(); });
  stateSel.addEventListener('change', () => { filter.state = stateSel.value; void load(); });
  prioSel.addEventListener('change', () => { filter.priority = prioSel.value; void load(); });
  const reload = debounce(() => void load(), 400);
  const off = [ctx.live.onAlarm(reload), ctx.live.onLagged(reload)];
  // Shelving expires on the server's clock; re-read now and then.
  const timer = setInterval(() => void load(), 30000);
  void load();
  return () => {
    off.forEach((f) => f());
    clearInterval(timer);
  };
}
