// One child in the Fleet view: who it is, whether it is online, how it is managed, its releases with live progress,
// its latest commands with their outcome, and what can be done with it. Built once and updated in place. Everything a
// child says about itself (name, metadata, types, messages) goes in as text: a child is not trusted to write HTML.

import { progressBlock, releaseTitle, stateBadge, syncRows } from '../components.js';
import { h, setText, show, uid } from '../dom.js';
import { ago, dateTime } from '../format.js';
import { cancelCommand, commandLabel, commandOfLifecycle, commandTone, decide, deviceName, forget, sendCommand, takesCommands } from '../fleet-actions.js';
import { allowedActions, labels } from '../lifecycle.js';

function badge(field) {
  return h('span', { class: 'state small', dataset: { field } });
}

function setBadge(element, text, tone) {
  setText(element, text ?? '');
  element.dataset.tone = tone;
  show(element, Boolean(text));
}

/** The mode as a person reads it, from the device's mode and orchestration. */
export function modeText(device) {
  if (device.mode === 'orchestrated') return 'orchestrated';
  if (device.mode === 'reactive') return 'reactive';
  return 'not managed';
}

function releaseRow(ctx, deviceId, status) {
  const id = status.release.id;
  const title = h('span', { class: 'fleet-release-title' });
  const state = stateBadge();
  const progress = progressBlock(`Progress of ${id} on ${deviceId}`);
  const error = h('pre', { class: 'errmsg', dataset: { field: 'errMsg' } });
  const buttons = new Map();
  const actions = h('div', { class: 'actions compact', role: 'group', 'aria-label': `Actions for ${id} on ${deviceId}` });
  for (const lifecycle of Object.keys(commandOfLifecycle)) {
    const button = h('button', { type: 'button', dataset: { action: commandOfLifecycle[lifecycle], lifecycle }, hidden: true }, labels[lifecycle]);
    buttons.set(lifecycle, button);
    actions.append(button);
  }
  let current = null;
  for (const [lifecycle, button] of buttons) {
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        await sendCommand(ctx, commandOfLifecycle[lifecycle], id, [current]);
      } finally {
        button.disabled = false;
      }
    });
  }
  const element = h('li', { class: 'fleet-release', dataset: { releaseId: id } },
    h('div', { class: 'release-head' }, h('div', {}, title, h('p', { class: 'meta' }, id)), state.element), progress.element, error, actions);
  return {
    element,
    update(entry, item, transfer) {
      current = entry;
      setText(title, releaseTitle(item.release));
      state.update(item);
      show(progress.element, Boolean(transfer));
      // The parent's view of a child's transfer: its progress, its average speed (bytes/s) and ETA (s).
      if (transfer) progress.update({ ...item, progress: transfer.progress ?? item.progress, eta: transfer.eta ?? item.eta }, { bytesPerSecond: transfer.speed });
      setText(error, item.errMsg ?? '');
      show(error, Boolean(item.errMsg));
      const allowed = takesCommands(entry.device) ? new Set(allowedActions(item)) : new Set();
      for (const [lifecycle, button] of buttons) show(button, allowed.has(lifecycle));
    },
  };
}

function commandRow(ctx) {
  const what = h('span', { class: 'command-what' });
  const status = h('span', { class: 'state small', dataset: { field: 'status' } });
  const when = h('span', { class: 'meta' });
  const message = h('p', { class: 'command-message', dataset: { field: 'message' } });
  const cancel = h('button', { type: 'button', class: 'link', hidden: true }, 'Cancel');
  let current = null;
  cancel.addEventListener('click', async () => {
    cancel.disabled = true;
    await cancelCommand(ctx, current);
    cancel.disabled = false;
  });
  const element = h('li', { class: 'command' }, h('div', { class: 'command-head' }, what, status, when, cancel), message);
  return {
    element,
    update(command) {
      current = command;
      element.dataset.commandId = command.commandId;
      element.dataset.action = command.action;
      setText(what, `${commandLabel(command.action)}${command.catalogId ? ` ${command.catalogId}` : ''}`);
      setText(status, command.status);
      status.dataset.tone = commandTone(command.status);
      setText(when, command.status === 'pending'
        ? `waits for the device until ${dateTime(command.expiresAt)}`
        : `${ago(command.updatedAt)}${command.sends > 1 ? ` · sent ${command.sends} times` : ''}`);
      setText(message, command.message ?? '');
      show(message, Boolean(command.message));
      show(cancel, command.status === 'pending');
      cancel.setAttribute('aria-label', ['Cancel', command.action, command.catalogId, 'before it is sent'].filter(Boolean).join(' '));
    },
  };
}

/** A child's card. `selection` is the view's: {has(id), toggle(id, on)}. */
export function deviceCard(ctx, first, selection) {
  const deviceId = first.deviceId;
  const titleId = uid('child');
  const title = h('h3', { id: titleId });
  const meta = h('p', { class: 'meta' });
  const select = h('input', { type: 'checkbox', class: 'select-device' });
  const online = badge('online');
  const mode = badge('mode');
  const orchestration = badge('orchestration');
  const activity = badge('activity');
  const seen = h('p', { class: 'meta', dataset: { field: 'lastSeen' } });
  const approve = h('button', { type: 'button', class: 'primary', dataset: { action: 'approve' } }, 'Approve');
  const refuse = h('button', { type: 'button', class: 'danger-outline', dataset: { action: 'refuse' } }, 'Refuse');
  const discover = h('button', { type: 'button', dataset: { action: 'Discovery' } }, 'Discover');
  const metadata = h('button', { type: 'button', dataset: { action: 'MetadataRequest' } }, 'Request metadata');
  const forgetButton = h('button', { type: 'button', class: 'danger-outline', dataset: { action: 'forget' } }, 'Forget');
  const releases = h('ul', { class: 'fleet-releases', 'aria-label': `Releases on ${deviceId}` });
  const noReleases = h('p', { class: 'empty' }, 'No release reported by this device yet.');
  const commandsList = h('ol', { class: 'commands', 'aria-label': `Latest commands for ${deviceId}` });
  const commandsBox = h('div', { class: 'commands-box' }, h('h4', {}, 'Commands'), commandsList);
  const releaseRows = new Map();
  const commandRows = new Map();
  let current = first;

  const run = (button, work) => button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await work();
    } finally {
      button.disabled = false;
    }
  });
  run(approve, () => decide(ctx, [current], 'accept'));
  run(refuse, () => decide(ctx, [current], 'refuse'));
  run(discover, () => sendCommand(ctx, 'Discovery', null, [current]));
  run(metadata, () => sendCommand(ctx, 'MetadataRequest', null, [current]));
  run(forgetButton, () => forget(ctx, [current]));
  select.addEventListener('change', () => selection.toggle(deviceId, select.checked));

  const element = h('article', { class: 'card child', 'aria-labelledby': titleId, dataset: { deviceId } },
    h('div', { class: 'child-head' },
      select,
      h('div', { class: 'child-title' }, title, meta, seen),
      h('div', { class: 'state-line' }, online, mode, orchestration, activity)),
    h('div', { class: 'actions', role: 'group', 'aria-label': `Actions for ${deviceId}` }, approve, refuse, discover, metadata, forgetButton),
    h('div', { class: 'fleet-releases-box' }, h('h4', {}, 'Releases'), noReleases, releases),
    commandsBox);

  return {
    element,
    update(entry) {
      current = entry;
      const d = entry.device ?? {};
      const data = d.data ?? {};
      const name = deviceName(entry);
      setText(title, name);
      select.checked = selection.has(deviceId);
      select.setAttribute('aria-label', `Select ${name}`);
      element.classList.toggle('selected', select.checked);
      const types = Array.isArray(data.deviceType) ? data.deviceType.join(', ') : '';
      const location = typeof data.metadata?.location === 'string' ? data.metadata.location : '';
      setText(meta, [name !== deviceId ? deviceId : null, data.platform && `platform ${data.platform}`, types, location, d.address].filter(Boolean).join(' · '));
      setBadge(online, d.online ? 'online' : 'offline', d.online ? 'ok' : 'neutral');
      element.dataset.online = d.online ? 'true' : 'false';
      setBadge(mode, modeText(d), d.mode === 'none' ? 'neutral' : 'busy');
      const orchestrationText = { pending: 'awaiting approval', refused: 'orchestration refused' }[d.orchestration] ?? null;
      setBadge(orchestration, orchestrationText, d.orchestration === 'pending' ? 'warning' : 'error');
      setBadge(activity, d.active === false ? 'inactive' : null, 'neutral');
      const since = d.online ? (d.connectedAt && `online since ${dateTime(d.connectedAt)}`) : (d.disconnectedAt && `offline since ${dateTime(d.disconnectedAt)}`);
      setText(seen, [`last seen ${ago(d.lastSeenAt)}`, since, d.pendingCommands ? `${d.pendingCommands} command${d.pendingCommands === 1 ? '' : 's'} waiting` : null].filter(Boolean).join(' · '));
      show(approve, Boolean(d.orchestrateMe) && d.orchestration !== 'accepted');
      show(refuse, Boolean(d.orchestrateMe) && d.orchestration !== 'refused');
      const managed = takesCommands(d);
      show(discover, managed);
      show(metadata, managed);

      const items = (entry.releases ?? []).filter((r) => r?.release?.id).slice().sort((a, b) => a.release.id.localeCompare(b.release.id));
      show(noReleases, items.length === 0);
      const transfers = entry.transfers ?? [];
      syncRows(releases, releaseRows, items, (r) => r.release.id, (r) => releaseRow(ctx, deviceId, r),
        (row, r) => row.update(entry, r, transfers.find((t) => t.catalogId === r.release.id)));

      const commands = entry.commands ?? [];
      show(commandsBox, commands.length > 0);
      syncRows(commandsList, commandRows, commands, (c) => c.commandId, () => commandRow(ctx), (row, c) => row.update(c));
    },
  };
}
