// Shared pieces of the views: role checks, status badges, error texts, toasts and the form
// dialog used for every action (acknowledge, shelve, activate, …).
import { HttpError, type Me } from './api';
import { h } from './dom';
import { t, tOr } from './i18n';

export const ROLES = ['viewer', 'operator', 'engineer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Permissions of the server's policy table (`GET /api/v1/me`) and the least role that has
 * each, for a server that sends no list. */
export type Permission = 'alarm.act' | 'model.upload' | 'model.activate';
const LEAST_ROLE: Record<Permission, Role> = {
  'alarm.act': 'operator',
  'model.upload': 'engineer',
  'model.activate': 'engineer',
};

/** Whether the user may do `what` (the server checks again on every request). */
export function can(me: Me, what: Permission): boolean {
  if (me.permissions?.length) return me.permissions.includes(what);
  return ROLES.indexOf(me.role as Role) >= ROLES.indexOf(LEAST_ROLE[what]);
}

export function roleName(role: string): string {
  return tOr(`role.${role}`, role);
}

/** Asset state: grey when normal, colour only when abnormal. */
export function assetBadge(state: string): HTMLElement {
  return h('span', { class: `badge asset-${state}` }, tOr(`assetState.${state}`, state));
}

export function alarmBadge(state: string): HTMLElement {
  return h('span', { class: `badge alarm-${state}` }, tOr(`alarmState.${state}`, state));
}

export function priorityBadge(priority: string): HTMLElement {
  return h('span', { class: `prio prio-${priority}`, title: tOr(`priority.${priority}`, priority) },
    h('span', { class: 'prio-mark', 'aria-hidden': 'true' }), tOr(`priority.${priority}`, priority));
}

/** One line for an error, saying what to do where we can. */
export function errorText(error: unknown): string {
  if (error instanceof HttpError) {
    switch (error.status) {
      case 0: return t('error.network');
      case 401: return t(error.code === 'wrong_password' ? 'error.wrongPassword' : 'error.unauthorized');
      case 403: return t('error.forbidden', { detail: error.detail });
      case 404: return t('error.notFound', { detail: error.detail });
      case 409: return t('error.conflict', { detail: error.detail });
      case 429:
        return t(error.code === 'throttled' ? 'error.throttled' : 'error.locked', { seconds: error.retryAfter ?? 60 });
      default: return t('error.server', { status: error.status, detail: error.detail });
    }
  }
  return error instanceof Error ? error.message : String(error);
}

let toasts: HTMLElement | null = null;
export function toast(message: string, kind: 'ok' | 'error' = 'ok'): void {
  if (!toasts || !toasts.isConnected) {
    toasts = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(toasts);
  }
  const item = h('div', { class: `toast toast-${kind}` }, message);
  toasts.append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 4000);
}

export interface Field {
  name: string;
  label: string;
  type?: 'text' | 'textarea' | 'password' | 'select' | 'number' | 'datetime-local' | 'file';
  options?: { value: string; label: string }[];
  required?: boolean;
  value?: string;
  hint?: string;
  autocomplete?: string;
  min?: number;
  max?: number;
}

export interface DialogSpec {
  title: string;
  intro?: (Node | string)[];
  fields: Field[];
  submit: string;
  danger?: boolean;
  /** Runs the action; a thrown error is shown in the dialog, which stays open. */
  onSubmit: (values: Record<string, string>, files: Record<string, File | null>) => Promise<void>;
}

/** A modal form (native <dialog>: focus is trapped, Esc closes it). */
export function openDialog(spec: DialogSpec): void {
  const error = h('p', { class: 'form-error', role: 'alert' });
  const inputs: Record<string, HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement> = {};
  const rows = spec.fields.map((f) => {
    const id = `f-${f.name}-${Math.random().toString(36).slice(2, 8)}`;
    let input: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;
    if (f.type === 'textarea') {
      input = h('textarea', { id, name: f.name, rows: 3, required: f.required, maxlength: 2000 });
      input.value = f.value ?? '';
    } else if (f.type === 'select') {
      input = h('select', { id, name: f.name, required: f.required },
        (f.options ?? []).map((o) => h('option', { value: o.value }, o.label)));
      if (f.value !== undefined) input.value = f.value;
    } else {
      input = h('input', {
        id, name: f.name, type: f.type ?? 'text', required: f.required,
        autocomplete: f.autocomplete ?? 'off', min: f.min, max: f.max,
      });
      if (f.value !== undefined) input.value = f.value;
    }
    inputs[f.name] = input;
    return h('div', { class: 'field' },
      h('label', { for: id }, f.label),
      input,
      f.hint ? h('small', { class: 'hint' }, f.hint) : null);
  });
  const submit = h('button', { type: 'submit', class: spec.danger ? 'btn btn-danger' : 'btn btn-primary' }, spec.submit);
  const cancel = h('button', { type: 'button', class: 'btn' }, t('common.cancel'));
  const form = h('form', { class: 'dialog-form', novalidate: false },
    h('h2', null, spec.title),
    spec.intro ? h('div', { class: 'dialog-intro' }, ...spec.intro) : null,
    rows, error,
    h('div', { class: 'dialog-actions' }, cancel, submit));
  const dialog = h('dialog', { class: 'dialog', 'aria-label': spec.title }, form);
  cancel.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => dialog.remove());
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const values: Record<string, string> = {};
    const files: Record<string, File | null> = {};
    for (const [name, input] of Object.entries(inputs)) {
      // A password is taken as typed: spaces may be part of it.
      const secret = input instanceof HTMLInputElement && input.type === 'password';
      values[name] = secret ? input.value : input.value.trim();
      if (input instanceof HTMLInputElement && input.type === 'file') files[name] = input.files?.[0] ?? null;
    }
    submit.disabled = true;
    error.textContent = '';
    try {
      await spec.onSubmit(values, files);
      dialog.close();
    } catch (e) {
      error.textContent = errorText(e);
    } finally {
      submit.disabled = false;
    }
  });
  document.body.append(dialog);
  dialog.showModal();
}

/** Calls `f` at most once per `ms`, trailing. */
export function debounce(f: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  return () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      f();
    }, ms);
  };
}
