// Model page: versions per asset with their file hash, training summary, activation state and
// electronic signature; activation is signed (password + meaning, 21 CFR Part 11 style) and
// upload registers a new inactive version, and so does a refit on a window of the asset's own
// history (its new normal after maintenance). Engineers and admins only; others see the list.
import { api, type Asset, type Model, type Signature } from '../api';
import { fill, h } from '../dom';
import { bytes, dateTime } from '../format';
import { t, tOr } from '../i18n';
import type { Ctx } from '../main';
import { can, errorText, openDialog, toast } from '../ui';

const MEANINGS = ['approved', 'reviewed', 'verified'];

function signatureOf(m: Model): Signature | null {
  const s = (m.signature ?? m.activated_by ?? null) as Signature | null;
  return s && typeof s === 'object' ? s : null;
}

function signatureCell(m: Model): Node {
  const s = signatureOf(m);
  if (!s) return h('span', { class: 'muted' }, m.active ? t('models.byConfig') : t('models.unsigned'));
  const who = s.signer ?? s.username ?? s.user ?? s.name ?? '?';
  const when = s.signed_at_ns ?? s.at ?? s.signed_at ?? s.time;
  return h('div', { class: 'signature' },
    h('strong', null, who),
    h('span', { class: 'small' }, s.meaning ? tOr(`meaning.${s.meaning}`, s.meaning) : ''),
    h('span', { class: 'small muted' }, when ? dateTime(when) : ''));
}

/** Whatever training summary the server sends, as a short definition list. */
function trainingCell(m: Model): Node {
  const summary = (m.training ?? m.summary ?? null) as Record<string, unknown> | null;
  if (!summary || typeof summary !== 'object') return h('span', { class: 'muted' }, '–');
  const entries = Object.entries(summary).filter(([, v]) => v !== null && typeof v !== 'object').slice(0, 6);
  return h('dl', { class: 'kv' }, entries.flatMap(([k, v]) => [h('dt', null, tOr(`training.${k}`, k)), h('dd', null, String(v))]));
}

export function modelsView(root: HTMLElement, ctx: Ctx): () => void {
  const list = h('div', { class: 'model-groups' }, h('p', { class: 'muted' }, t('common.loading')));
  const mayUpload = can(ctx.me, 'model.upload');
  const engineer = can(ctx.me, 'model.activate');
  let assets: Asset[] = [];
  const uploadBtn = h('button', {
    type: 'button', class: 'btn btn-primary', disabled: !mayUpload, title: mayUpload ? undefined : t('models.needEngineer'),
    onclick: () => uploadDialog(),
  }, t('models.upload'));
  fill(root,
    h('div', { class: 'page-head' },
      h('div', { class: 'title-row' }, h('h1', null, t('models.title')), h('span', { class: 'grow' }), uploadBtn),
      h('p', { class: 'muted' }, t('models.subtitle'))),
    list);

  function activateDialog(m: Model): void {
    openDialog({
      title: t('models.activateTitle', { asset: m.asset, version: m.version }),
      intro: [
        h('p', null, t('models.activateIntro', { asset: m.asset, version: m.version })),
        h('p', { class: 'small muted' }, t('models.signatureNote', { user: ctx.me.username })),
      ],
      fields: [
        { name: 'comment', label: t('models.comment'), type: 'textarea', required: true },
        { name: 'meaning', label: t('models.meaning'), type: 'select', options: MEANINGS.map((v) => ({ value: v, label: tOr(`meaning.${v}`, v) })), value: 'approved' },
        { name: 'password', label: t('models.password'), type: 'password', required: true, autocomplete: 'current-password', hint: t('models.passwordHint') },
      ],
      submit: t('models.sign'),
      onSubmit: async (v) => {
        await api.activate(m.asset, m.version, v.comment, v.password, v.meaning);
        toast(t('models.activated', { asset: m.asset, version: m.version }));
        void load();
      },
    });
  }

  function uploadDialog(): void {
    openDialog({
      title: t('models.uploadTitle'),
      intro: [h('p', { class: 'small muted' }, t('models.uploadIntro'))],
      fields: [
        { name: 'asset', label: t('alarms.asset'), type: 'select', options: assets.map((a) => ({ value: a.name, label: a.name })) },
        { name: 'file', label: t('models.file'), type: 'file', required: true },
        { name: 'comment', label: t('models.comment'), type: 'textarea', required: true },
      ],
      submit: t('models.upload'),
      onSubmit: async (v, files) => {
        if (!files.file) throw new Error(t('models.fileMissing'));
        const m = await api.upload(v.asset, v.comment, files.file);
        toast(t('models.uploaded', { asset: m.asset, version: m.version }));
        void load();
      },
    });
  }

  function refitDialog(asset: string): void {
    const local = (ms: number) => new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    const now = Date.now();
    openDialog({
      title: t('models.refitTitle', { asset }),
      intro: [h('p', { class: 'small muted' }, t('models.refitIntro'))],
      fields: [
        { name: 'from', label: t('models.refitFrom'), type: 'datetime-local', required: true, value: local(now - 3_600_000) },
        // The field has minutes only: the end defaults to the next whole minute, so the window
        // reaches the latest samples.
        { name: 'to', label: t('models.refitTo'), type: 'datetime-local', required: true, value: local(now + 60_000) },
        {
          name: 'method', label: t('models.kind'), type: 'select', value: '',
          options: [{ value: '', label: t('models.refitSameKind') }, { value: 'default', label: 'default' }, { value: 'pca', label: 'pca' }],
        },
        { name: 'comment', label: t('models.refitWhy'), type: 'textarea', required: true, hint: t('models.refitWhyHint') },
      ],
      submit: t('models.refit'),
      onSubmit: async (v) => {
        const from = Date.parse(v.from);
        const to = Date.parse(v.to);
        if (!Number.isFinite(from) || !Number.isFinite(to)) throw new Error(t('models.refitTimes'));
        const done = await api.refit(asset, new Date(from).toISOString(), new Date(to).toISOString(), v.method || undefined, v.comment);
        toast(t('models.refitted', { asset, version: done.model.version, rows: done.rows, incomplete: done.incomplete }));
        void load();
      },
    });
  }

  async function load(): Promise<void> {
    try {
      const [models, a] = await Promise.all([api.models(), api.assets()]);
      assets = a;
      const byAsset = new Map<string, Model[]>();
      for (const m of models) byAsset.set(m.asset, [...(byAsset.get(m.asset) ?? []), m]);
      fill(list, [...byAsset.entries()].sort(([x], [y]) => x.localeCompare(y)).map(([asset, versions]) =>
        h('section', { class: 'panel', 'data-asset': asset },
          h('div', { class: 'panel-head' }, h('h2', null, asset),
            h('span', { class: 'small muted' }, t('models.versions', { count: versions.length })),
            h('span', { class: 'grow' }),
            h('button', {
              type: 'button', class: 'btn btn-small', disabled: !mayUpload || !versions.some((m) => m.active),
              title: mayUpload ? t('models.refitTip') : t('models.needEngineer'), 'data-action': 'refit',
              onclick: () => refitDialog(asset),
            }, t('models.refit'))),
          h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
            h('thead', null, h('tr', null, [t('models.version'), t('models.kind'), t('models.created'), t('models.sha'),
              t('models.size'), t('models.training'), t('models.status'), t('models.signature'), t('alarms.actions')]
              .map((c) => h('th', { scope: 'col' }, c)))),
            h('tbody', null, versions.sort((x, y) => y.version - x.version).map((m) => h('tr', { class: m.active ? 'row-active' : '' },
              h('td', null, h('strong', null, `v${m.version}`)),
              h('td', null, m.kind),
              h('td', { class: 'nowrap' }, dateTime(m.created_at_ns)),
              h('td', null, h('code', { title: m.sha256 }, m.sha256.slice(0, 12))),
              h('td', { class: 'num' }, bytes(m.size)),
              h('td', null, trainingCell(m)),
              h('td', null, m.active ? h('span', { class: 'badge badge-active' }, t('models.active')) : h('span', { class: 'muted' }, t('models.inactive'))),
              h('td', null, signatureCell(m)),
              h('td', null, h('button', {
                type: 'button', class: 'btn btn-small', disabled: !engineer || m.active,
                title: engineer ? undefined : t('models.needEngineer'), onclick: () => activateDialog(m),
              }, t('models.activate')))))))))));
      if (!models.length) fill(list, h('p', { class: 'muted' }, t('models.none')));
    } catch (e) {
      fill(list, h('p', { class: 'form-error' }, errorText(e)));
    }
  }

  void load();
  return () => {};
}
