// Settings: the agent's live configs (GET /api/v2/agent/configs), each edited in place and saved on change with a
// partial PUT. The agent checks every value; its 400 message is shown next to the field it names. Ranges and
// descriptions come from the agent's own OpenAPI document, so the page never disagrees with the agent about them.

import { h, setText, uid } from '../dom.js';

const groups = [
  ['Delivery', ['deliveryAutoTrigger', 'maxParallelDeliveries', 'deliveryStorageBufferBytes', 'deliveryTimeoutMins', 'downloadRetryCount', 'deliveryRetryDelaySecs', 'stallTimeoutSecs']],
  ['Deploy', ['deployAutoOnPull', 'deployTimeoutSec']],
  ['Discovery and network', ['discoveryPeriodicIntervalMin', 'queryStatusIntervalSec', 'tcpTimeout', 'networkConnectionRefreshEnabled', 'networkConnectionRefreshIntervalSecs', 'orchSysinfoCheckMins']],
  ['Analytics and logs', ['logsRunDispatchJob', 'matomoUseBuffer', 'matomoServerUrl', 'matomoSiteId', 'matomoDimensionId', 'matomoMaxRetentionHours', 'matomoMaxBufferSizeMb']],
  ['Site parent', ['parentCacheMaxBytes', 'parentReportsMax', 'parentInactiveDeviceHours']],
];

/** The field an agent's message is about: "invalid setting: 'maxParallelDeliveries' must be between 1 and 16". */
export function fieldOf(message) {
  return /'([A-Za-z0-9]+)'/.exec(message ?? '')?.[1] ?? null;
}

/** What to send for what was typed: a number when it reads as one, else the text as it is (the agent says why not). */
function valueOf(input, kind) {
  if (kind === 'boolean') return input.checked;
  if (kind === 'number') {
    const text = input.value.trim();
    return text !== '' && !Number.isNaN(Number(text)) ? Number(text) : input.value;
  }
  return input.value;
}

function createField(ctx, name, value, schema, save, reset) {
  const kind = typeof value === 'boolean' ? 'boolean' : typeof value === 'number' ? 'number' : 'text';
  const inputId = uid('setting');
  const errorId = `${inputId}-error`;
  const hintId = `${inputId}-hint`;
  const input = kind === 'boolean'
    ? h('input', { id: inputId, type: 'checkbox', name, 'aria-describedby': `${hintId} ${errorId}` })
    : h('input', {
      id: inputId,
      // type=text with a numeric keyboard: a number input would hide what was typed when it is not a number.
      type: 'text',
      inputmode: kind === 'number' ? 'numeric' : null,
      name,
      autocomplete: 'off',
      spellcheck: 'false',
      'aria-describedby': `${hintId} ${errorId}`,
    });
  const range = schema?.minimum !== undefined && schema?.maximum !== undefined ? `${schema.minimum}–${schema.maximum}` : null;
  const description = schema?.description ? schema.description.replace(/\.?$/, '.') : null;
  const hint = h('p', { class: 'hint', id: hintId }, [description, range && `Range ${range}.`].filter(Boolean).join(' '));
  const error = h('p', { class: 'field-error', id: errorId, role: 'alert', dataset: { field: 'error' } });
  const state = h('span', { class: 'saved', role: 'status' });
  const resetButton = h('button', { type: 'button', class: 'link', 'aria-label': `Reset ${name} to its default` }, 'Default');
  const element = h('div', { class: `setting setting-${kind}`, dataset: { setting: name } },
    h('label', { for: inputId }, h('code', {}, name)),
    h('div', { class: 'setting-input' }, input, state, resetButton),
    hint, error);
  const field = {
    element,
    set(v) {
      if (kind === 'boolean') input.checked = Boolean(v);
      else input.value = v === null || v === undefined ? '' : String(v);
    },
    fail(message) {
      setText(error, message);
      setText(state, '');
      input.setAttribute('aria-invalid', 'true');
    },
    clear() {
      setText(error, '');
      input.removeAttribute('aria-invalid');
    },
    saved(text) {
      setText(state, text);
    },
  };
  input.addEventListener('change', () => save(name, valueOf(input, kind), field));
  resetButton.addEventListener('click', () => reset(name, field));
  field.set(value);
  return field;
}

export default {
  id: 'settings',
  title: 'Settings',
  create(ctx) {
    const fields = new Map();
    const body = h('div', { class: 'settings' }, h('p', { class: 'empty' }, 'Loading…'));
    const element = h('section', { class: 'view', 'aria-labelledby': 'settings-title' },
      h('div', { class: 'view-head' }, h('div', {},
        h('h1', { id: 'settings-title' }, 'Settings'),
        h('p', { class: 'lead' }, 'The agent\'s live settings. A change is saved as soon as you leave the field and applies at once.'))),
      body);

    const apply = (configs) => {
      for (const [name, value] of Object.entries(configs)) fields.get(name)?.set(value);
    };

    const failed = (error, field) => {
      // The agent names the field it refuses; show its words there (or at the field being edited).
      const named = fields.get(fieldOf(error.message)) ?? field;
      named.fail(error.message);
      if (named !== field) field.saved('');
    };

    const save = async (name, value, field) => {
      field.saved('Saving…');
      try {
        const configs = await ctx.request('PUT', 'api/v2/agent/configs', { [name]: value });
        for (const f of fields.values()) f.clear();
        apply(configs);
        field.saved('Saved');
      } catch (error) {
        failed(error, field);
      }
    };

    const reset = async (name, field) => {
      field.saved('Saving…');
      try {
        const configs = await ctx.request('DELETE', `api/v2/agent/configs/${encodeURIComponent(name)}`);
        field.clear();
        apply(configs);
        field.saved('Default restored');
      } catch (error) {
        failed(error, field);
      }
    };

    const load = async () => {
      let configs;
      try {
        configs = await ctx.request('GET', 'api/v2/agent/configs');
      } catch (error) {
        body.replaceChildren(h('p', { class: 'field-error', role: 'alert' }, `The settings could not be read: ${error.message}`));
        return;
      }
      let schema = {};
      try {
        const document = await ctx.request('GET', 'api-docs/v2/openapi.json');
        schema = document?.components?.schemas?.AgentConfigs?.properties ?? {};
      } catch {
        // Only the hints are missing without it.
      }
      const names = Object.keys(configs);
      const grouped = new Set(groups.flatMap(([, members]) => members));
      const sections = [...groups, ['Other', names.filter((n) => !grouped.has(n))]]
        .map(([title, members]) => [title, members.filter((n) => n in configs)])
        .filter(([, members]) => members.length > 0);
      body.replaceChildren(...sections.map(([title, members]) => {
        const headingId = uid('settings-group');
        return h('section', { class: 'card settings-group', 'aria-labelledby': headingId }, h('h2', { id: headingId }, title),
          h('div', { class: 'settings-fields' }, members.map((name) => {
            const field = createField(ctx, name, configs[name], schema[name], save, reset);
            fields.set(name, field);
            return field.element;
          })));
      }));
    };
    load();
    return { element, update() {} };
  },
};
