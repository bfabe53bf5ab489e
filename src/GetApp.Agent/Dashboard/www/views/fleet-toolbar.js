// The Fleet view's bar for several children at once: select all (those shown), then a command for every selected one
// (those offline get it when they come back, within the expiry chosen here), a decision on their orchestration, or
// forgetting them. Release commands take the release picked here: one this agent holds or was offered (what Push
// sends), or one on the selected children.

import { releaseTitle } from '../components.js';
import { h, setText, uid } from '../dom.js';
import { commands, decide, defaultExpiry, expiries, forget, sendCommand, takesCommands } from '../fleet-actions.js';

/** The releases to pick from: [group label, [[id, text]]], each id once, in a stable order. */
function releaseChoices(store, selected) {
  const seen = new Set();
  const group = (label, items) => {
    const list = [];
    for (const [id, release] of items) {
      if (!id || seen.has(id)) continue;
      seen.add(id);
      const title = releaseTitle(release);
      list.push([id, title && title !== id ? `${title} (${id})` : id]);
    }
    list.sort((a, b) => a[0].localeCompare(b[0]));
    return [label, list];
  };
  const held = [...store.releases.values()].map((r) => [r.release?.id, r.release]);
  const offered = store.offering.map((o) => [o.release?.id, o.release]);
  const onChildren = selected.flatMap((e) => (e.releases ?? []).map((r) => [r.release?.id, r.release]));
  return [group('On this agent', held), group('Offered to this agent', offered), group('On the selected devices', onChildren)].filter(([, list]) => list.length);
}

export function fleetToolbar(ctx, selection) {
  const allId = uid('select-all');
  const all = h('input', { type: 'checkbox', id: allId });
  const count = h('span', { class: 'selected-count', dataset: { field: 'selected' }, role: 'status' }, 'None selected');
  const releaseId = uid('release');
  const release = h('select', { id: releaseId, dataset: { field: 'release' } });
  const expiryId = uid('expiry');
  const expiry = h('select', { id: expiryId, dataset: { field: 'expiry' } },
    expiries.map(([seconds, text]) => h('option', { value: String(seconds), selected: seconds === defaultExpiry }, text)));
  const buttons = [];
  const button = (label, dataset, work, kind = '') => {
    const b = h('button', { type: 'button', class: kind, dataset }, label);
    b.addEventListener('click', async () => {
      const entries = selection.entries();
      if (!entries.length) return;
      for (const x of buttons) x.disabled = true;
      try {
        await work(entries);
      } finally {
        refresh();
      }
    });
    buttons.push(b);
    return b;
  };
  const expirySeconds = () => Number(expiry.value) || defaultExpiry;
  const decisionButtons = [
    button('Approve', { action: 'approve' }, (e) => decide(ctx, e, 'accept')),
    button('Refuse', { action: 'refuse' }, (e) => decide(ctx, e, 'refuse'), 'danger-outline'),
  ];
  const commandButtons = commands.filter((c) => !c.release).map((c) => button(c.label, { action: c.action }, (e) => sendCommand(ctx, c.action, null, e, expirySeconds())));
  const forgetButton = button('Forget', { action: 'forget' }, async (e) => {
    if (await forget(ctx, e)) selection.clear();
  }, 'danger-outline');
  const deviceButtons = [...decisionButtons, ...commandButtons, forgetButton];
  const releaseButtons = commands.filter((c) => c.release).map((c) => button(c.label, { action: c.action },
    (e) => sendCommand(ctx, c.action, release.value, e, expirySeconds()), c.action === 'DeliveryDelete' || c.action === 'DeliveryCancel' ? 'danger-outline' : ''));

  all.addEventListener('change', () => selection.selectAll(all.checked));
  release.addEventListener('change', () => refresh());

  const element = h('section', { class: 'card fleet-toolbar', 'aria-label': 'Selected devices' },
    h('div', { class: 'toolbar-row' },
      h('label', { class: 'check', for: allId }, all, 'Select all shown'), count),
    h('div', { class: 'actions', role: 'group', 'aria-label': 'Actions for the selected devices' }, deviceButtons),
    h('div', { class: 'toolbar-row release-row' },
      h('label', { for: releaseId }, 'Release'), release,
      h('label', { for: expiryId }, 'If offline, wait'), expiry),
    h('div', { class: 'actions', role: 'group', 'aria-label': 'Release actions for the selected devices' }, releaseButtons));

  let choicesKey = '';
  function refresh() {
    const entries = selection.entries();
    const shown = selection.shownCount();
    setText(count, entries.length ? `${entries.length} of ${shown} selected` : 'None selected');
    all.checked = shown > 0 && entries.length === shown;
    all.indeterminate = entries.length > 0 && entries.length < shown;
    all.disabled = shown === 0;
    const choices = releaseChoices(ctx.store, entries);
    const key = JSON.stringify(choices);
    if (key !== choicesKey) {
      // Rebuilt only when the choices changed, keeping what was picked.
      choicesKey = key;
      const picked = release.value;
      release.replaceChildren(h('option', { value: '' }, choices.length ? 'Pick a release…' : 'No release known'),
        ...choices.map(([label, list]) => h('optgroup', { label }, list.map(([id, text]) => h('option', { value: id }, text)))));
      release.value = choices.some(([, list]) => list.some(([id]) => id === picked)) ? picked : '';
    }
    // Enabled when the selection has a device it applies to (a mixed one: those are acted on, the others named).
    const asked = entries.some((e) => e.device?.orchestrateMe);
    const managed = entries.some((e) => takesCommands(e.device));
    for (const b of decisionButtons) b.disabled = !asked;
    for (const b of commandButtons) b.disabled = !managed;
    forgetButton.disabled = entries.length === 0;
    for (const b of releaseButtons) b.disabled = !managed || !release.value;
  }

  return { element, refresh };
}
