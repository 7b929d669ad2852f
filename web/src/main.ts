// Entry point: session check, the login page or the application shell (header, navigation,
// the current view), hash routing and the language switch. Views are functions that fill the
// main element and return their cleanup (live subscriptions, charts, timers).
import 'uplot/dist/uPlot.min.css';
import './styles.css';

import { api, HttpError, setUnauthorizedHandler, type Me } from './api';
import { fill, h } from './dom';
import { LANGS, lang, onLangChange, setLang, t, type Lang } from './i18n';
import { Live, type LinkState } from './live';
import { debounce, errorText, openDialog, roleName, toast } from './ui';
import { accessView } from './views/access';
import { alarmsView } from './views/alarms';
import { assetView } from './views/asset';
import { auditView } from './views/audit';
import { loginView } from './views/login';
import { modelsView } from './views/models';
import { overviewView } from './views/overview';

export interface Ctx {
  me: Me;
  live: Live;
}
export type View = (root: HTMLElement, ctx: Ctx, param: string) => () => void;

const ROUTES: { path: string; view: View; nav?: string; needs?: string }[] = [
  { path: 'overview', view: overviewView, nav: 'nav.overview' },
  { path: 'asset', view: assetView },
  { path: 'alarms', view: alarmsView, nav: 'nav.alarms' },
  { path: 'models', view: modelsView, nav: 'nav.models' },
  { path: 'audit', view: auditView, nav: 'nav.audit', needs: 'audit.read' },
  { path: 'access', view: accessView, nav: 'nav.access', needs: 'user.manage' },
];

const app = document.getElementById('app') as HTMLElement;
const live = new Live();
let teardown: (() => void)[] = [];
/** Whether the shell is shown: a 401 then means the session ended. */
let signedIn = false;

function clear(): void {
  teardown.forEach((f) => f());
  teardown = [];
}

function langSwitch(): HTMLElement {
  const select = h('select', { class: 'lang', 'aria-label': t('common.language'), 'data-testid': 'lang' },
    LANGS.map((l) => h('option', { value: l }, t(`lang.${l}`))));
  select.value = lang();
  select.addEventListener('change', () => setLang(select.value as Lang));
  return select;
}

function showLogin(message?: string): void {
  signedIn = false;
  clear();
  live.stop();
  document.title = t('app.title');
  const render = () => fill(app, loginView(() => void boot(), message, langSwitch()));
  render();
  teardown.push(onLangChange(render));
}

function parseHash(): { path: string; param: string } {
  const [path, ...rest] = location.hash.replace(/^#\/?/, '').split('/');
  return { path: path || 'overview', param: decodeURIComponent(rest.join('/')) };
}

function shell(me: Me): void {
  clear();
  signedIn = true;
  const ctx: Ctx = { me, live };
  const main = h('main', { id: 'main', class: 'main', tabindex: '-1' });
  const linkDot = h('span', { class: 'link-dot', 'aria-hidden': 'true' });
  const linkText = h('span', { class: 'link-text' });
  const unacked = h('span', { class: 'nav-count', 'data-testid': 'unacked-count' });
  let viewCleanup: (() => void) | null = null;

  let retry: ReturnType<typeof setTimeout> | null = null;
  let alive = true;
  const setLink = (s: LinkState) => {
    linkDot.className = `link-dot link-${s}`;
    linkText.textContent = t(`link.${s}`);
    // The browser gives up on a stream the server refused (the session ended, or the server
    // restarted): ask who we are (a 401 shows the login page), then open the stream again.
    if (s === 'down' && !retry) {
      retry = setTimeout(async () => {
        retry = null;
        if (!alive) return;
        try {
          await api.me();
          live.start();
        } catch {
          if (alive && signedIn) setLink('down');
        }
      }, 5000);
    }
  };

  const refreshUnacked = async () => {
    try {
      const alarms = await api.alarms({ state: 'unacked_active,unacked_returned', limit: 1000 });
      unacked.textContent = alarms.length ? String(alarms.length) : '';
      unacked.title = t('nav.unacked', { count: alarms.length });
    } catch {
      unacked.textContent = '';
    }
  };
  const refreshSoon = debounce(() => void refreshUnacked(), 400);

  // Pages the role cannot read are left out (the server would answer 403 anyway).
  const readable = (r: (typeof ROUTES)[number]) => !r.needs || !me.permissions?.length || me.permissions.includes(r.needs);
  const navLinks = () => ROUTES.filter((r) => r.nav && readable(r)).map((r) =>
    h('a', { href: `#/${r.path}`, class: 'nav-link', 'data-route': r.path },
      t(r.nav as string), r.path === 'alarms' ? unacked : null));

  const header = () => h('header', { class: 'topbar' },
    h('a', { class: 'skip', href: '#main', onclick: (e: Event) => { e.preventDefault(); main.focus(); } }, t('common.skip')),
    h('div', { class: 'brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), t('app.title')),
    h('nav', { class: 'nav', 'aria-label': t('nav.label') }, navLinks()),
    h('div', { class: 'topbar-right' },
      h('span', { class: 'link', title: t('link.title') }, linkDot, linkText),
      h('span', { class: 'user', 'data-testid': 'user' }, h('strong', null, me.username), ' · ', roleName(me.role)),
      langSwitch(),
      h('button', { class: 'btn btn-quiet', type: 'button', 'data-testid': 'password', onclick: passwordDialog }, t('nav.password')),
      h('button', { class: 'btn btn-quiet', type: 'button', onclick: logout }, t('nav.logout'))));

  const route = () => {
    viewCleanup?.();
    const { path, param } = parseHash();
    const entry = ROUTES.find((r) => r.path === path) ?? ROUTES[0];
    for (const a of app.querySelectorAll<HTMLAnchorElement>('.nav-link')) {
      const current = a.dataset.route === entry.path || (entry.path === 'asset' && a.dataset.route === 'overview');
      if (current) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    main.replaceChildren();
    document.title = `${t(entry.nav ?? 'nav.overview')} · ${t('app.title')}`;
    viewCleanup = entry.view(main, ctx, param);
  };

  const render = () => {
    fill(app, header(), main);
    setLink(live.state);
    route();
  };

  live.start();
  render();
  void refreshUnacked();
  const onHash = () => route();
  window.addEventListener('hashchange', onHash);
  teardown.push(
    () => window.removeEventListener('hashchange', onHash),
    () => {
      alive = false;
      if (retry) clearTimeout(retry);
    },
    () => viewCleanup?.(),
    live.onState(setLink),
    live.onAlarm(refreshSoon),
    live.onLagged(refreshSoon),
    onLangChange(render),
  );
}

/** Changes the user's own password; the server ends their other sessions. */
function passwordDialog(): void {
  openDialog({
    title: t('password.title'),
    intro: [h('p', { class: 'small' }, t('password.intro'))],
    fields: [
      { name: 'current', label: t('password.current'), type: 'password', required: true, autocomplete: 'current-password' },
      { name: 'next', label: t('password.new'), type: 'password', required: true, autocomplete: 'new-password', hint: t('password.hint') },
      { name: 'repeat', label: t('password.repeat'), type: 'password', required: true, autocomplete: 'new-password' },
    ],
    submit: t('password.submit'),
    onSubmit: async (v) => {
      if (v.next !== v.repeat) throw new Error(t('password.mismatch'));
      await api.changePassword(v.current, v.next);
      toast(t('password.changed'));
    },
  });
}

async function logout(): Promise<void> {
  try {
    await api.logout();
  } catch {
    // Logged out or not, the login page is where the user goes next.
  }
  showLogin();
}

async function boot(): Promise<void> {
  try {
    const me = await api.me();
    shell(me);
  } catch (e) {
    if (e instanceof HttpError && e.status === 401) showLogin();
    else showLogin(errorText(e));
  }
}

setUnauthorizedHandler(() => {
  if (signedIn) showLogin(t('login.expired'));
});

void boot();
