// The dashboard's shell: navigation between views, the live connection, the connection indicator, toasts.
// A view is one module under views/ exporting {id, title, create(ctx), badge?(store)}: add a module and list it below.

import { request } from './api.js';
import { EventConnection } from './events.js';
import { h, setText } from './dom.js';
import { confirmations, labels, routes } from './lifecycle.js';
import { Store } from './store.js';
import dashboard from './views/dashboard.js';
import fleet from './views/fleet.js';
import offering from './views/offering.js';
import releases from './views/releases.js';
import settings from './views/settings.js';

const views = [dashboard, releases, offering, fleet, settings];

const store = new Store();
const nav = document.getElementById('nav');
const viewRoot = document.getElementById('view');
const main = document.getElementById('main');
const banner = document.getElementById('banner');
const connection = document.getElementById('connection');
const deviceName = document.getElementById('device-name');
const toasts = document.getElementById('toasts');

/** Shows a short message; errors stay until dismissed. */
function toast(message, kind = 'info') {
  const close = h('button', { class: 'toast-close', type: 'button', 'aria-label': 'Dismiss' }, '×');
  const item = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : null }, h('p', {}, message), close);
  close.addEventListener('click', () => item.remove());
  toasts.append(item);
  if (kind !== 'error') setTimeout(() => item.remove(), 5000);
  while (toasts.children.length > 4) toasts.firstChild.remove();
}

/** Asks before an action that throws work away; resolves true to go on. */
function confirmAction(message, label) {
  return new Promise((resolve) => {
    const yes = h('button', { type: 'button', class: 'danger' }, label);
    const no = h('button', { type: 'button' }, 'Keep');
    const dialog = h('dialog', { class: 'confirm', 'aria-label': label }, h('p', {}, message), h('div', { class: 'dialog-actions' }, no, yes));
    const done = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    yes.addEventListener('click', () => done(true));
    no.addEventListener('click', () => done(false));
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      done(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    no.focus();
  });
}

const started = { deliver: 'Delivery', deploy: 'Install' };

/** Runs a release action through the API. The stream brings the result; a refusal is shown with the agent's words. */
async function runAction(catalogId, action) {
  const ask = confirmations[action];
  if (ask && !(await confirmAction(ask(catalogId), labels[action]))) return false;
  const [method, path] = routes[action];
  try {
    await request(method, path(encodeURIComponent(catalogId)));
    if (started[action]) toast(`${started[action]} of ${catalogId} started.`);
    return true;
  } catch (error) {
    toast(`${labels[action]} ${catalogId}: ${error.message}`, 'error');
    return false;
  }
}

const ctx = { store, request, toast, runAction, confirmAction };

let current = null;

function route() {
  const id = location.hash.replace(/^#\/?/, '').split('/')[0];
  return views.find((v) => v.id === id) ?? views[0];
}

function mount(focus) {
  const view = route();
  if (current?.view === view) return;
  current?.instance.destroy?.();
  const instance = view.create(ctx);
  current = { view, instance };
  viewRoot.replaceChildren(instance.element);
  instance.update(new Set(['agent', 'offering', 'delivery', 'deploy', 'notification', 'fleet', 'connection']));
  for (const link of nav.querySelectorAll('a')) {
    if (link.dataset.view === view.id) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  updateTitle();
  if (focus) {
    // A person who chose a view reads it from its top; a screen reader lands on it.
    window.scrollTo(0, 0);
    main.focus({ preventScroll: true });
  }
}

function updateTitle() {
  const device = store.summary?.deviceId;
  document.title = `${current?.view.title ?? 'GetApp Agent'} · GetApp Agent${device ? ` · ${device}` : ''}`;
  setText(deviceName, device ?? '');
}

const connectionText = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  auth: 'Waiting for the device secret',
};

function updateConnection() {
  const state = store.connection;
  connection.dataset.state = state;
  setText(connection.querySelector('.connection-text'), connectionText[state] ?? state);
  const stale = state === 'reconnecting' && store.has('agent');
  banner.hidden = !stale;
  setText(banner, stale ? 'The connection to the agent was lost: this is the last state it sent. Reconnecting…' : '');
  main.classList.toggle('stale', stale);
}

function buildNav() {
  for (const view of views) {
    const badge = h('span', { class: 'badge', hidden: true });
    nav.append(h('li', {}, h('a', { href: `#/${view.id}`, dataset: { view: view.id } }, h('span', {}, view.title), badge)));
  }
}

function updateBadges() {
  for (const view of views) {
    const badge = nav.querySelector(`a[data-view="${view.id}"] .badge`);
    const value = view.badge?.(store);
    badge.hidden = !value;
    setText(badge, value ? String(value) : '');
  }
}

buildNav();
store.subscribe((topics) => {
  if (topics.has('connection')) updateConnection();
  if (topics.has('agent')) updateTitle();
  updateBadges();
  current?.instance.update(topics);
});
window.addEventListener('hashchange', () => mount(true));
mount(false);
updateConnection();

const stream = new EventConnection(
  ['agent', 'offering', 'delivery', 'deploy', 'notifications', 'fleet'],
  (event) => store.apply(event),
  (state) => store.setConnection(state),
);
stream.start();
