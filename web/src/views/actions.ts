// Alarm actions (acknowledge, shelve with reason and expiry, unshelve) as dialogs, shared by
// the alarm list and the asset view. Buttons are disabled with a reason when the role lacks
// the right; the server decides anyway and its 403/409 answers are shown in the dialog.
import { api, type Alarm, type Me } from '../api';
import { h } from '../dom';
import { dateTime } from '../format';
import { t, tOr } from '../i18n';
import { can, openDialog, toast } from '../ui';

const SHELVE_MINUTES = [15, 60, 240, 480, 1440];

export function canAck(a: Alarm): boolean {
  return a.state === 'unacked_active' || a.state === 'unacked_returned';
}

function summary(a: Alarm): Node {
  return h('p', { class: 'muted' },
    t('alarms.summary', {
      id: a.id, asset: a.asset, state: tOr(`alarmState.${a.state}`, a.state), raised: dateTime(a.raised_at_ns),
    }));
}

export function ackDialog(a: Alarm, done: () => void): void {
  openDialog({
    title: t('alarms.ackTitle', { id: a.id }),
    intro: [summary(a)],
    fields: [{ name: 'comment', label: t('alarms.comment'), type: 'textarea', required: true, hint: t('alarms.commentHint') }],
    submit: t('alarms.ack'),
    onSubmit: async (v) => {
      await api.ack(a.id, v.comment);
      toast(t('alarms.acked', { id: a.id }));
      done();
    },
  });
}

export function shelveDialog(a: Alarm, done: () => void): void {
  const options = SHELVE_MINUTES.map((m) => ({ value: String(m), label: t('alarms.forMinutes', { minutes: m }) }));
  options.push({ value: 'until', label: t('alarms.untilTime') });
  openDialog({
    title: t('alarms.shelveTitle', { id: a.id }),
    intro: [summary(a), h('p', { class: 'small' }, t('alarms.shelveIntro'))],
    fields: [
      { name: 'comment', label: t('alarms.reason'), type: 'textarea', required: true, hint: t('alarms.commentHint') },
      { name: 'duration', label: t('alarms.expiry'), type: 'select', options, value: '60' },
      { name: 'until', label: t('alarms.until'), type: 'datetime-local', hint: t('alarms.untilHint') },
    ],
    submit: t('alarms.shelve'),
    onSubmit: async (v) => {
      let expiry: { minutes: number } | { until: string };
      if (v.duration === 'until') {
        const ms = Date.parse(v.until);
        if (!Number.isFinite(ms)) throw new Error(t('alarms.untilMissing'));
        expiry = { until: new Date(ms).toISOString() };
      } else {
        expiry = { minutes: Number(v.duration) };
      }
      await api.shelve(a.id, v.comment, expiry);
      toast(t('alarms.shelved', { id: a.id }));
      done();
    },
  });
}

export function unshelveDialog(a: Alarm, done: () => void): void {
  openDialog({
    title: t('alarms.unshelveTitle', { id: a.id }),
    intro: [summary(a)],
    fields: [{ name: 'comment', label: t('alarms.comment'), type: 'textarea', required: true }],
    submit: t('alarms.unshelve'),
    onSubmit: async (v) => {
      await api.unshelve(a.id, v.comment);
      toast(t('alarms.unshelved', { id: a.id }));
      done();
    },
  });
}

/** The action buttons of one alarm. */
export function alarmButtons(me: Me, a: Alarm, done: () => void): HTMLElement {
  const allowed = can(me, 'alarm.act');
  const why = allowed ? undefined : t('alarms.needOperator');
  const closed = a.state === 'normal';
  return h('div', { class: 'actions' },
    h('button', {
      type: 'button', class: 'btn btn-small btn-primary', disabled: !allowed || !canAck(a), title: why,
      'data-action': 'ack', onclick: () => ackDialog(a, done),
    }, t('alarms.ack')),
    a.state === 'shelved'
      ? h('button', { type: 'button', class: 'btn btn-small', disabled: !allowed, title: why, 'data-action': 'unshelve', onclick: () => unshelveDialog(a, done) }, t('alarms.unshelve'))
      : h('button', { type: 'button', class: 'btn btn-small', disabled: !allowed || closed, title: why, 'data-action': 'shelve', onclick: () => shelveDialog(a, done) }, t('alarms.shelve')));
}
