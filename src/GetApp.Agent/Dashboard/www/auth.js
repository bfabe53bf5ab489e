// The device secret. An agent that listens beyond loopback answers 401 without the Device-Auth header; the page then
// asks for the secret once and keeps it for this tab only (sessionStorage: gone when the tab closes). It goes out in
// the Device-Auth header and nowhere else: never in a URL (EventSource cannot send headers, so the streams are read
// with fetch), never in a log.

const storageKey = 'getapp-agent.device-secret';
let secret = load();
let pending = null;

function load() {
  try {
    return sessionStorage.getItem(storageKey);
  } catch {
    return null; // storage disabled: keep it in memory only
  }
}

function store(value) {
  secret = value;
  try {
    sessionStorage.setItem(storageKey, value);
  } catch {
    // memory only
  }
}

/** The headers of a request, with Device-Auth when a secret is known. */
export function authHeaders(headers = {}) {
  return secret ? { ...headers, 'Device-Auth': secret } : headers;
}

/** The secret a request is about to use (compared after a 401: was it this one that was refused?). */
export function secretInUse() {
  return secret;
}

/**
 * A request sent with `refused` got 401. Resolves when there is a secret worth trying: at once when another request
 * already brought a new one, else once the person entered one. However many requests are refused together, the person
 * sees one dialog.
 */
export function needSecret(refused) {
  if (secret && secret !== refused) return Promise.resolve();
  if (!pending) {
    pending = prompt(refused).then(() => {
      pending = null;
    });
  }
  return pending;
}

function prompt(refused) {
  const dialog = document.getElementById('auth-dialog');
  const form = document.getElementById('auth-form');
  const input = document.getElementById('auth-secret');
  const error = document.getElementById('auth-error');
  error.textContent = refused ? 'The agent did not accept this secret. Check it and try again.' : '';
  input.value = '';
  input.setAttribute('aria-invalid', refused ? 'true' : 'false');
  return new Promise((resolve) => {
    const submitted = (event) => {
      event.preventDefault();
      const value = input.value;
      if (!value.trim()) {
        error.textContent = 'Enter the device secret.';
        return;
      }
      form.removeEventListener('submit', submitted);
      dialog.removeEventListener('cancel', keepOpen);
      input.value = '';
      store(value);
      dialog.close();
      resolve();
    };
    // Without the secret nothing on the page can work: Escape does not dismiss the question.
    const keepOpen = (event) => event.preventDefault();
    form.addEventListener('submit', submitted);
    dialog.addEventListener('cancel', keepOpen);
    if (!dialog.open) dialog.showModal();
    input.focus();
  });
}
