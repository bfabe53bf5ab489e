// What the Fleet view can ask of this agent's children, through the fleet API (docs/fleet.md): commands
// (POST /api/cdn/devices/action; a child offline gets it when it comes back), orchestration decisions
// (POST /api/cdn/devices/orchestration), forgetting a child (DELETE /api/cdn/devices/{id}) and cancelling a command not
// sent yet (DELETE /api/cdn/devices/commands/{id}). Every refusal is shown with the agent's own AppError message.

import { dateTime } from './format.js';

/** The commands, in button order: the API's name, the button's label, whether it is about one release. */
export const commands = [
  { action: 'Discovery', label: 'Discover', release: false },
  { action: 'MetadataRequest', label: 'Request metadata', release: false },
  { action: 'Push', label: 'Push', release: true },
  { action: 'DeliveryStart', label: 'Deliver', release: true },
  { action: 'DeliveryStop', label: 'Pause', release: true },
  { action: 'DeliveryCancel', label: 'Cancel delivery', release: true },
  { action: 'DeliveryDelete', label: 'Delete', release: true },
  { action: 'DeployStart', label: 'Install', release: true },
];

export const commandLabel = (action) => commands.find((c) => c.action === action)?.label ?? action;

/** A release action of the page's lifecycle (lifecycle.js) -> the command that does it on a child. */
export const commandOfLifecycle = {
  deliver: 'DeliveryStart',
  resume: 'DeliveryStart', // a paused delivery is resumed by DeliveryStart
  pause: 'DeliveryStop',
  cancel: 'DeliveryCancel',
  delete: 'DeliveryDelete',
  deploy: 'DeployStart',
};

/** Commands that throw work away: the page asks first. */
const confirmations = {
  DeliveryCancel: (what, whom) => `Cancel the delivery of ${what} on ${whom}? What was downloaded there so far is deleted.`,
  DeliveryDelete: (what, whom) => `Delete ${what} from ${whom}? Its files are removed there; it can be delivered again later.`,
};

/** The expiry choices of a command for a device offline (the agent's default is 7 days). */
export const expiries = [
  [3600, '1 hour'],
  [86_400, '1 day'],
  [604_800, '7 days'],
  [2_592_000, '30 days'],
];
export const defaultExpiry = 604_800;

/** A child's name as a person knows it: its metadata name, else its id. Always shown as text. */
export function deviceName(entry) {
  const name = entry?.device?.data?.metadata?.name;
  return typeof name === 'string' && name.trim() ? name : entry?.deviceId ?? '';
}

/** Whether the agent sends the child commands: reactive, or its orchestration accepted (ChildDevice.IsManaged). */
export function takesCommands(device) {
  return Boolean(device && (device.reactiveMode || (device.orchestrateMe && device.orchestration === 'accepted')));
}

/** Why a child takes no command, in the words of the agent's own refusal. */
function whyNot(device) {
  return device?.orchestrateMe
    ? `awaits your decision on its orchestration (${device.orchestration ?? 'pending'}): approve it first`
    : 'does not take commands (its orchestrateMe and reactiveMode are off)';
}

function devices(n) {
  return n === 1 ? '1 device' : `${n} devices`;
}

function names(entries) {
  return entries.map(deviceName).join(', ');
}

/**
 * Sends one command to the given children. Those that take no command are left out and named (the agent would refuse
 * the whole action for them). Resolves true when the agent queued it.
 */
export async function sendCommand(ctx, action, catalogId, entries, expiresInSeconds = defaultExpiry) {
  const label = commandLabel(action);
  const takers = entries.filter((e) => takesCommands(e.device));
  const skipped = entries.filter((e) => !takesCommands(e.device));
  const skippedText = skipped.map((e) => `${deviceName(e)} ${whyNot(e.device)}`).join('; ');
  if (takers.length === 0) {
    ctx.toast(`${label}: not sent. ${skippedText}.`, 'error');
    return false;
  }

  const what = catalogId ?? '';
  const ask = confirmations[action];
  if (ask && !(await ctx.confirmAction(ask(what, takers.length === 1 ? deviceName(takers[0]) : devices(takers.length)), label))) return false;
  try {
    const answer = await ctx.request('POST', 'api/cdn/devices/action', {
      action,
      ...(catalogId ? { catalogId } : {}),
      deviceIds: takers.map((e) => e.deviceId),
      expiresInSeconds,
    });
    const waiting = (answer?.commands ?? []).filter((c) => c.status === 'pending').length;
    const parts = [];
    if (takers.length > waiting) parts.push(`sent to ${devices(takers.length - waiting)}`);
    if (waiting) parts.push(`${devices(waiting)} offline: it waits for ${waiting === 1 ? 'it' : 'them'} until ${dateTime(answer.expiresAt)}`);
    if (skipped.length) parts.push(`not sent to ${skippedText}`);
    ctx.toast(`${label}${what ? ` ${what}` : ''}: ${parts.join('; ')}.`, skipped.length ? 'warning' : 'info');
    return true;
  } catch (error) {
    ctx.toast(`${label}${what ? ` ${what}` : ''}: ${error.message}`, 'error');
    return false;
  }
}

/** Accepts or refuses the orchestration of the children that asked for it. */
export async function decide(ctx, entries, decision) {
  const label = decision === 'accept' ? 'Approve' : 'Refuse';
  const asked = entries.filter((e) => e.device?.orchestrateMe);
  const others = entries.filter((e) => !e.device?.orchestrateMe);
  if (asked.length === 0) {
    ctx.toast(`${label}: ${names(others)} did not ask to be orchestrated.`, 'error');
    return false;
  }

  if (decision === 'refuse' && !(await ctx.confirmAction(
    `Refuse the orchestration of ${names(asked)}? ${asked.length === 1 ? 'It takes' : 'They take'} no command from this agent until approved.`, label))) return false;
  try {
    await ctx.request('POST', 'api/cdn/devices/orchestration', { deviceIds: asked.map((e) => e.deviceId), decision });
    const done = decision === 'accept' ? 'approved: orchestrated by this agent' : 'refused';
    ctx.toast(`${names(asked)} ${done}.${others.length ? ` Left out (did not ask): ${names(others)}.` : ''}`);
    return true;
  } catch (error) {
    ctx.toast(`${label}: ${error.message}`, 'error');
    return false;
  }
}

/** Forgets children now: their entries, releases, commands and pushes (they register again as new if they return). */
export async function forget(ctx, entries) {
  if (!(await ctx.confirmAction(
    `Forget ${names(entries)}? This agent drops ${entries.length === 1 ? 'its entry, its releases and its commands' : 'their entries, releases and commands'}; a child that comes back registers again as new.`,
    'Forget'))) return false;
  const failed = [];
  for (const entry of entries) {
    try {
      await ctx.request('DELETE', `api/cdn/devices/${encodeURIComponent(entry.deviceId)}`);
    } catch (error) {
      failed.push(`${deviceName(entry)}: ${error.message}`);
    }
  }

  if (failed.length) ctx.toast(`Forget: ${failed.join('; ')}`, 'error');
  else ctx.toast(`Forgotten: ${names(entries)}.`);
  return failed.length === 0;
}

/** Cancels a command not sent yet (the agent answers 409 once it went out). */
export async function cancelCommand(ctx, command) {
  try {
    await ctx.request('DELETE', `api/cdn/devices/commands/${encodeURIComponent(command.commandId)}`);
    return true;
  } catch (error) {
    ctx.toast(`Cancel ${commandLabel(command.action)}: ${error.message}`, 'error');
    return false;
  }
}

/** How a command's status reads: [tone, hint]. */
export function commandTone(status) {
  switch (status) {
    case 'done':
      return 'ok';
    case 'refused':
    case 'failed':
      return 'error';
    case 'pending':
      return 'warning';
    case 'sent':
    case 'received':
    case 'accepted':
      return 'busy';
    default:
      return 'neutral';
  }
}
