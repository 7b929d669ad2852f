// Access (administrators): who can use this server — the user accounts, and the API tokens
// machines and scripts use, with when each token was last used, so that idle ones can be
// revoked. Users are added, given a role, reset and disabled here, tokens created (the value
// shown once) and revoked; every change asks for a reason that goes to the audit trail (the
// server enforces the rules: password strength, the last admin, roles of tokens).
import { api, type TokenInfo, type UserInfo } from '../api';
import { fill, h } from '../dom';
import { dateTime } from '../format';
import { t } from '../i18n';
import type { Ctx } from '../main';
import { ROLES, errorText, openDialog, roleName, toast } from '../ui';

export function accessView(root: HTMLElement, ctx: Ctx): () => void {
  const users = h('tbody', { 'data-testid': 'access-users' });
  const tokens = h('tbody', { 'data-testid': 'access-tokens' });
  const status = h('p', { class: 'small muted', role: 'status' });
  const head = (cols: string[]) => h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col' }, c))));
  fill(root,
    h('div', { class: 'page-head' },
      h('div', { class: 'title-row' }, h('h1', null, t('access.title')), h('span', { class: 'grow' }),
        h('button', { type: 'button', class: 'btn', 'data-testid': 'new-user', onclick: () => newUserDialog() }, t('access.newUser')),
        h('button', { type: 'button', class: 'btn', 'data-testid': 'new-token', onclick: () => newTokenDialog() }, t('access.newToken')),
        h('button', { type: 'button', class: 'btn', onclick: () => void load() }, t('access.refresh'))),
      h('p', { class: 'muted' }, t('access.subtitle'))),
    status,
    h('h2', { class: 'section' }, t('access.users')),
    h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
      head([t('access.user'), t('access.role'), t('access.status'), t('access.created'), '']), users)),
    h('h2', { class: 'section' }, t('access.tokens')),
    h('p', { class: 'small muted' }, t('access.tokensHint')),
    h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
      head([t('access.id'), t('access.label'), t('access.user'), t('access.role'), t('access.created'),
        t('access.expires'), t('access.lastUsed'), t('access.status'), '']), tokens)));

  const userRow = (u: UserInfo) => h('tr', { 'data-user': u.username },
    h('td', null, h('strong', null, u.username)),
    h('td', null, roleName(u.role)),
    h('td', null, u.disabled ? h('span', { class: 'muted' }, t('access.disabled')) : t('access.active')),
    h('td', { class: 'nowrap' }, dateTime(u.created_at_ns)),
    h('td', { class: 'actions' }, u.disabled ? null : [
      h('button', { type: 'button', class: 'btn', 'data-action': 'role', onclick: () => roleDialog(u) }, t('access.changeRole')),
      h('button', { type: 'button', class: 'btn', 'data-action': 'password', onclick: () => resetDialog(u) }, t('access.resetPassword')),
      u.username === ctx.me.username ? null
        : h('button', { type: 'button', class: 'btn btn-danger', 'data-action': 'disable', onclick: () => disableDialog(u) }, t('access.disable')),
    ]));

  const roleOptions = ROLES.map((r) => ({ value: r, label: roleName(r) }));
  const passwordFields = [
    { name: 'password', label: t('password.new'), type: 'password' as const, required: true, autocomplete: 'new-password', hint: t('password.hint') },
    { name: 'repeat', label: t('password.repeat'), type: 'password' as const, required: true, autocomplete: 'new-password' },
  ];
  const samePasswords = (v: Record<string, string>) => {
    if (v.password !== v.repeat) throw new Error(t('password.mismatch'));
  };

  function newUserDialog(): void {
    openDialog({
      title: t('access.newUserTitle'),
      intro: [h('p', { class: 'small' }, t('access.newUserIntro'))],
      fields: [
        { name: 'username', label: t('access.user'), required: true, hint: t('access.userHint') },
        { name: 'role', label: t('access.role'), type: 'select', options: roleOptions, value: 'viewer' },
        ...passwordFields,
      ],
      submit: t('access.create'),
      onSubmit: async (v) => {
        samePasswords(v);
        await api.createUser(v.username, v.role, v.password);
        toast(t('access.userCreated', { user: v.username }));
        void load();
      },
    });
  }

  function roleDialog(u: UserInfo): void {
    openDialog({
      title: t('access.roleTitle', { user: u.username }),
      intro: [h('p', { class: 'small' }, t('access.roleIntro'))],
      fields: [
        { name: 'role', label: t('access.role'), type: 'select', options: roleOptions, value: u.role },
        { name: 'comment', label: t('access.comment'), type: 'textarea', required: true },
      ],
      submit: t('access.save'),
      onSubmit: async (v) => {
        await api.setRole(u.username, v.role, v.comment);
        toast(t('access.roleChanged', { user: u.username, role: roleName(v.role) }));
        void load();
      },
    });
  }

  function resetDialog(u: UserInfo): void {
    openDialog({
      title: t('access.resetTitle', { user: u.username }),
      intro: [h('p', { class: 'small' }, t('access.resetIntro'))],
      fields: [...passwordFields, { name: 'comment', label: t('access.comment'), type: 'textarea', required: true }],
      submit: t('access.save'),
      onSubmit: async (v) => {
        samePasswords(v);
        await api.resetPassword(u.username, v.password, v.comment);
        toast(t('access.passwordReset', { user: u.username }));
      },
    });
  }

  function disableDialog(u: UserInfo): void {
    openDialog({
      title: t('access.disableTitle', { user: u.username }),
      intro: [h('p', null, t('access.disableIntro', { user: u.username }))],
      fields: [{ name: 'comment', label: t('access.comment'), type: 'textarea', required: true }],
      submit: t('access.disableConfirm'),
      danger: true,
      onSubmit: async (v) => {
        await api.disableUser(u.username, v.comment);
        toast(t('access.userDisabled', { user: u.username }));
        void load();
      },
    });
  }

  const tokenRow = (k: TokenInfo) => h('tr', { 'data-token': String(k.id) },
    h('td', { class: 'num' }, String(k.id)),
    h('td', null, k.label),
    h('td', null, k.username),
    h('td', null, roleName(k.role)),
    h('td', { class: 'nowrap' }, dateTime(k.created_at)),
    h('td', { class: 'nowrap' }, k.expires_at ? dateTime(k.expires_at) : t('access.never')),
    h('td', { class: 'nowrap' }, k.last_used_at ? dateTime(k.last_used_at) : h('span', { class: 'muted' }, t('access.unused'))),
    h('td', null, k.revoked ? h('span', { class: 'muted' }, t('access.revoked')) : t('access.active')),
    h('td', null, k.revoked ? null
      : h('button', { type: 'button', class: 'btn btn-danger', onclick: () => revokeDialog(k) }, t('access.revoke'))));

  function revokeDialog(k: TokenInfo): void {
    openDialog({
      title: t('access.revokeTitle', { id: k.id, label: k.label }),
      intro: [h('p', null, t('access.revokeIntro', { user: k.username }))],
      fields: [{ name: 'comment', label: t('access.comment'), type: 'textarea', required: true }],
      submit: t('access.revokeConfirm'),
      danger: true,
      onSubmit: async (v) => {
        await api.revokeToken(k.id, v.comment);
        toast(t('access.revokedToast', { id: k.id }));
        void load();
      },
    });
  }

  let known: UserInfo[] = [];

  function newTokenDialog(): void {
    const active = known.filter((u) => !u.disabled);
    openDialog({
      title: t('access.newTokenTitle'),
      intro: [h('p', { class: 'small' }, t('access.newTokenIntro'))],
      fields: [
        { name: 'label', label: t('access.label'), required: true, hint: t('access.labelHint') },
        { name: 'username', label: t('access.user'), type: 'select', options: active.map((u) => ({ value: u.username, label: u.username })), value: ctx.me.username },
        { name: 'role', label: t('access.role'), type: 'select', options: ROLES.map((r) => ({ value: r, label: roleName(r) })), value: 'viewer', hint: t('access.roleHint') },
        { name: 'days', label: t('access.days'), type: 'number', min: 1, max: 3650, hint: t('access.daysHint') },
      ],
      submit: t('access.create'),
      onSubmit: async (v) => {
        const made = await api.createToken({
          label: v.label,
          ...(v.username ? { username: v.username } : {}),
          role: v.role,
          ...(v.days ? { expires_days: Number(v.days) } : {}),
        });
        void load();
        showToken(made.id, made.label, made.token);
      },
    });
  }

  /** The new token's value, shown this once. */
  function showToken(id: number, label: string, token: string): void {
    const value = h('input', { class: 'token-value', type: 'text', readonly: true, value: token, 'data-testid': 'token-value', 'aria-label': t('access.tokenValue') });
    openDialog({
      title: t('access.tokenTitle', { id, label }),
      intro: [h('p', null, t('access.tokenOnce')), value],
      fields: [],
      submit: t('access.done'),
      onSubmit: async () => {},
    });
    value.select();
  }

  async function load(): Promise<void> {
    try {
      const [u, k] = await Promise.all([api.users(), api.tokens()]);
      known = u;
      users.replaceChildren(...u.map(userRow));
      tokens.replaceChildren(...(k.length ? k.map(tokenRow)
        : [h('tr', null, h('td', { colspan: 9, class: 'muted' }, t('access.noTokens')))]));
      status.textContent = t('access.counts', { users: u.length, tokens: k.filter((x) => !x.revoked).length });
    } catch (e) {
      status.textContent = errorText(e);
    }
  }

  void load();
  return () => {};
}
