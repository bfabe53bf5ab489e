// Pieces shared by the views. Each is built once and updated in place as events arrive, so a button under the
// pointer or the keyboard focus is never replaced by a progress step.

import { h, setText, show } from './dom.js';
import { bytes, duration, percent, speed } from './format.js';
import { actions, allowedActions, labels, positionOf } from './lifecycle.js';

/** The human name of a release (its displayName, else its project, else its id). */
export function releaseTitle(release) {
  return release?.displayName || release?.projectName || release?.id || '';
}

/** A release's state as a badge, with the sub-state beside it ("delivery" + "download · InProgress"). */
export function stateBadge() {
  const state = h('span', { class: 'state', dataset: { field: 'state' } });
  const detail = h('span', { class: 'state-detail', dataset: { field: 'status' } });
  const element = h('span', { class: 'state-line' }, state, detail);
  return {
    element,
    update(item) {
      const p = positionOf(item);
      setText(state, p.state);
      state.dataset.state = p.state ?? '';
      state.dataset.tone = tone(p);
      const parts = [];
      if (p.state === 'delivery' && p.deliveryState) parts.push(p.deliveryState);
      if (p.deliveryStatus && p.state === 'delivery') parts.push(p.deliveryStatus);
      if (p.deployStatus && p.state === 'deploy') parts.push(p.deployStatus);
      setText(detail, parts.join(' · '));
    },
  };
}

function tone(p) {
  if (p.deliveryStatus === 'Error' || (p.state === 'deploy' && p.deployStatus === 'Error')) return 'error';
  if (p.deliveryStatus === 'Pause' || p.deliveryStatus === 'Cancel' || p.deployStatus === 'Cancelled' || p.deployStatus === 'Pause') return 'warning';
  if (p.state === 'installed' || p.state === 'downloaded') return 'ok';
  if (p.state === 'delivery' || p.state === 'deploy') return 'busy';
  return 'neutral';
}

/** A progress bar with its numbers: percent, bytes, speed and time left (speed from the summary's transfers). */
export function progressBlock(label) {
  const bar = h('progress', { max: 100, 'aria-label': label, dataset: { field: 'progress' } });
  const value = h('span', { class: 'progress-value', dataset: { field: 'percent' } });
  const rate = h('span', { class: 'progress-speed', dataset: { field: 'speed' } });
  const eta = h('span', { class: 'progress-eta', dataset: { field: 'eta' } });
  const element = h('div', { class: 'progress' }, bar, h('div', { class: 'progress-numbers' }, value, rate, eta));
  return {
    element,
    update(release, transfer) {
      const progress = release.progress ?? transfer?.progress ?? null;
      if (progress === null) bar.removeAttribute('value');
      else if (Number(bar.value) !== progress) bar.value = progress;
      setText(value, progress === null ? 'waiting' : percent(progress));
      const moving = release.eta !== null && release.eta !== undefined;
      const bytesLine = transfer && transfer.totalBytes ? `${bytes(transfer.doneBytes)} of ${bytes(transfer.totalBytes)}` : '';
      const speedLine = moving && transfer?.bytesPerSecond ? speed(transfer.bytesPerSecond) : '';
      setText(rate, [bytesLine, speedLine].filter(Boolean).join(' · '));
      setText(eta, moving ? `${duration(release.eta)} left` : '');
    },
  };
}

/** The buttons of the actions the lifecycle allows now; each calls the API through ctx.runAction. */
export function actionBar(ctx, catalogId, title) {
  const buttons = new Map();
  const element = h('div', { class: 'actions', role: 'group', 'aria-label': `Actions for ${title}` });
  for (const action of actions) {
    const button = h('button', {
      type: 'button',
      class: action === 'deliver' || action === 'deploy' || action === 'resume' ? 'primary' : action === 'delete' || action === 'uninstall' || action === 'cancel' ? 'danger-outline' : '',
      dataset: { action },
      hidden: true,
    }, labels[action]);
    button.addEventListener('click', async () => {
      button.disabled = true;
      element.setAttribute('aria-busy', 'true');
      try {
        await ctx.runAction(catalogId, action);
      } finally {
        button.disabled = false;
        element.removeAttribute('aria-busy');
      }
    });
    buttons.set(action, button);
    element.append(button);
  }
  return {
    element,
    update(item) {
      const allowed = new Set(allowedActions(item));
      for (const [action, button] of buttons) show(button, allowed.has(action));
    },
  };
}

/** A key/value list ("Device id: ..."), updated in place. */
export function facts(rows) {
  const values = new Map();
  const element = h('dl', { class: 'facts' });
  for (const [key, label] of rows) {
    const value = h('dd', { dataset: { field: key } }, '–');
    values.set(key, value);
    element.append(h('div', { class: 'fact' }, h('dt', {}, label), value));
  }
  return {
    element,
    set(key, text) {
      setText(values.get(key), text ?? '–');
    },
    get: (key) => values.get(key),
  };
}

/** Shows "loading" until the first state of a stream arrived, then the empty message when there is nothing. */
export function emptyState(text) {
  return h('p', { class: 'empty', hidden: true }, text);
}

/** Keeps one row per key in `list` in the given order, creating and removing rows as needed. */
export function syncRows(list, rows, items, keyOf, create, update) {
  const seen = new Set();
  let index = 0;
  for (const item of items) {
    const key = keyOf(item);
    seen.add(key);
    let row = rows.get(key);
    if (!row) {
      row = create(item);
      rows.set(key, row);
    }
    update(row, item);
    // Move only what is out of place: moving a node would take the focus from a button in it.
    if (list.children[index] !== row.element) list.insertBefore(row.element, list.children[index] ?? null);
    index += 1;
  }
  for (const [key, row] of rows) {
    if (!seen.has(key)) {
      row.element.remove();
      rows.delete(key);
    }
  }
}
