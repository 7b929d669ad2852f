// The login page: user name and password; wrong credentials (401) and lock-out (429 with
// Retry-After) are said plainly.
import { api } from '../api';
import { h } from '../dom';
import { t } from '../i18n';
import { errorText } from '../ui';

export function loginView(onDone: () => void, message: string | undefined, langSwitch: HTMLElement): HTMLElement {
  const error = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'login-error' }, message ?? '');
  const user = h('input', { id: 'login-user', name: 'username', autocomplete: 'username', required: true, autofocus: true });
  const pass = h('input', { id: 'login-pass', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-wide' }, t('login.submit'));
  const form = h('form', { class: 'login-form', 'aria-labelledby': 'login-title' },
    h('div', { class: 'login-head' },
      h('div', { class: 'brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), t('app.title')),
      langSwitch),
    h('h1', { id: 'login-title' }, t('login.title')),
    h('p', { class: 'muted' }, t('login.intro')),
    h('div', { class: 'field' }, h('label', { for: 'login-user' }, t('login.username')), user),
    h('div', { class: 'field' }, h('label', { for: 'login-pass' }, t('login.password')), pass),
    error,
    submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    submit.disabled = true;
    error.textContent = '';
    try {
      await api.login(user.value.trim(), pass.value);
      onDone();
    } catch (e) {
      const status = (e as { status?: number }).status;
      error.textContent = status === 401 ? t('login.wrong') : errorText(e);
      pass.value = '';
      pass.focus();
    } finally {
      submit.disabled = false;
    }
  });
  setTimeout(() => user.focus(), 0);
  return h('div', { class: 'login-page' }, form, h('p', { class: 'login-foot muted' }, t('login.foot')));
}
