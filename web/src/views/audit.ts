// Audit trail: the hash chain's verification status on top, then the records newest first,
// paged back with `before`.
import { api, type AuditRecord } from '../api';
import { fill, h } from '../dom';
import { dateTime } from '../format';
import { t, tOr } from '../i18n';
import type { Ctx } from '../main';
import { errorText } from '../ui';

const PAGE = 50;

export function auditView(root: HTMLElement, _ctx: Ctx): () => void {
  const verify = h('div', { class: 'verify verify-pending', role: 'status', 'data-testid': 'audit-verify' }, t('audit.verifying'));
  const body = h('tbody');
  const more = h('button', { type: 'button', class: 'btn', onclick: () => void page() }, t('audit.older'));
  const status = h('p', { class: 'small muted' });
  const search = h('input', { id: 'audit-filter', class: 'search', type: 'search', placeholder: t('audit.filterHint') });
  search.addEventListener('input', () => applyFilter());
  let oldest: number | undefined;
  fill(root,
    h('div', { class: 'page-head' },
      h('div', { class: 'title-row' }, h('h1', null, t('audit.title')), h('span', { class: 'grow' }),
        h('button', { type: 'button', class: 'btn', onclick: () => { void check(); void page(true); } }, t('audit.refresh'))),
      h('p', { class: 'muted' }, t('audit.subtitle'))),
    verify,
    h('div', { class: 'filters' }, h('div', { class: 'field' }, h('label', { for: 'audit-filter' }, t('audit.filter')), search)),
    h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
      h('thead', null, h('tr', null, [t('audit.id'), t('audit.at'), t('audit.actor'), t('audit.action'), t('audit.target'),
        t('audit.change'), t('audit.reason')].map((c) => h('th', { scope: 'col' }, c)))),
      body)),
    h('div', { class: 'pager' }, more, status));

  async function check(): Promise<void> {
    try {
      const v = await api.auditVerify();
      verify.className = `verify ${v.ok ? 'verify-ok' : 'verify-bad'}`;
      fill(verify, h('strong', null, v.ok ? t('audit.ok') : t('audit.broken')), ' ',
        v.ok ? t('audit.okDetail', { records: v.records })
          : t('audit.brokenDetail', { records: v.records, first: v.first_bad ?? '?', detail: v.detail ?? '' }));
    } catch (e) {
      verify.className = 'verify verify-bad';
      verify.textContent = errorText(e);
    }
  }

  function applyFilter(): void {
    const q = search.value.trim().toLowerCase();
    for (const tr of body.children) (tr as HTMLElement).hidden = q !== '' && !(tr.textContent ?? '').toLowerCase().includes(q);
  }

  const row = (r: AuditRecord) => h('tr', null,
    h('td', { class: 'num' }, String(r.id)),
    h('td', { class: 'nowrap' }, dateTime(r.at_ns)),
    h('td', { class: 'nowrap' }, r.actor),
    h('td', null, h('code', null, r.action)),
    h('td', null, r.target),
    h('td', { class: 'change' }, r.old_value || r.new_value ? `${r.old_value ?? '–'} → ${r.new_value ?? '–'}` : ''),
    h('td', null, r.reason ?? '', r.signature ? h('div', { class: 'small signed' },
      t('audit.signed', { signer: r.signature.signer ?? '?', meaning: tOr(`meaning.${r.signature.meaning}`, r.signature.meaning ?? '') })) : null));

  async function page(reset = false): Promise<void> {
    if (reset) {
      oldest = undefined;
      body.replaceChildren();
    }
    try {
      const answer = await api.audit(PAGE, oldest);
      const records = Array.isArray(answer) ? answer : answer.records ?? answer.events ?? [];
      records.forEach((r) => body.append(row(r)));
      applyFilter();
      if (records.length) oldest = records[records.length - 1].id;
      more.disabled = records.length < PAGE;
      status.textContent = t('audit.shown', { count: body.children.length });
    } catch (e) {
      status.textContent = errorText(e);
    }
  }

  void check();
  void page();
  return () => {};
}
